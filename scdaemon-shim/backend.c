/* backend.c — see backend.h.  Protocol: doc/policyd-protocol.md. */
#define GPG_ERR_SOURCE_DEFAULT GPG_ERR_SOURCE_SCD
#include "backend.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "../agent/certinfo.h"
#include "hex.h"
#include "keycache.h"
#include "log.h"
#include "monotime.h"
#include "pdclient.h"
#include "signet-err.h"
#include "totp.h"

#define BACKEND_ERRTEXT_MAX 512
/* "SIGN --hash=sha512 --key=<40 hex> <64-char project> <128 hex>" fits
 * easily. */
#define BACKEND_CMD_MAX 512

struct backend {
	char *socket;
	char serial[SERIAL_HEX_LEN + 1];
	/* Held while talking to policyd for a refresh, so that concurrent
	 * sessions wait for one refresh instead of each starting their own. */
	pthread_mutex_t refresh_lock;
	/* Guards the fields below; never held across I/O. */
	pthread_mutex_t lock;
	struct card_keylist cache;
	int have_refreshed;       /* at least one successful KEYLIST */
	time_t refreshed_at;      /* monotonic seconds */
	time_t miss_at;           /* last refresh caused by a miss */
	time_t failed_at;         /* last failed refresh; 0: none */
	gpg_error_t failed_err;   /* its error */
	/* Idle policyd connections, newest last (guarded by lock). */
	assuan_context_t idle[BACKEND_POOL_MAX];
	time_t idle_since[BACKEND_POOL_MAX];
	size_t nidle;
	/* The cache on disk (NULL: none).  cache_file_stale: the file does
	 * not hold the current keys (not loaded, or a save failed or left a
	 * key out); set by backend_use_cache_file at start-up, then only
	 * read and written under refresh_lock. */
	char *cache_file;
	int cache_file_stale;
};

static gpg_error_t
as_scd(gpg_error_t err)
{
	return err == 0 ? 0 : gpg_err_make(GPG_ERR_SOURCE_SCD, gpg_err_code(err));
}

static const struct pdclient_deadline request_deadline = { BACKEND_TIMEOUT_SEC, BACKEND_TIMEOUT_SEC };
static const struct pdclient_deadline sign_deadline = { 0, BACKEND_SIGN_SILENCE_SEC };

/* policyd could not be used: say which way, with what to do.  gpg shows
 * only the code's text ("Connection refused", "Connection timed out",
 * "Limit reached"). */
static gpg_error_t
no_policyd(const struct backend *be, gpg_error_t err)
{
	switch (gpg_err_code(err)) {
	case SIGNET_ERR_POLICYD_FULL:
		log_error("signet-policyd at %s refused the connection: it is full for this user "
		          "(too many connections open; close some, or ask the Signet admin about "
		          "[policyd] max_connections_per_user)", be->socket);
		return gpg_error(SIGNET_ERR_POLICYD_FULL);
	case GPG_ERR_ETIMEDOUT:
		log_error("signet-policyd at %s did not answer in time (stopped or stuck?); "
		          "check `signet status` and its log", be->socket);
		return gpg_error(SIGNET_ERR_POLICYD_TIMEOUT);
	default:
		break;
	}
	log_error("cannot reach signet-policyd at %s: %s; start it (signet start) and retry",
	          be->socket, gpg_strerror(err));
	return gpg_error(SIGNET_ERR_NO_POLICYD);
}

static gpg_error_t
connect_policyd(const struct backend *be, assuan_context_t *ctx)
{
	gpg_error_t err;

	/* No retry: gpg is waiting, and a human must start policyd anyway. */
	if ((err = pdclient_connect(be->socket, ctx)) != 0)
		return no_policyd(be, err);
	return 0;
}

/* An idle connection has nothing to read: readable means policyd closed
 * it (restart, idle timeout) or is out of step. */
static int
conn_idle_ok(assuan_context_t ctx)
{
	assuan_fd_t fd[2];   /* libassuan wants room for at least two */
	struct pollfd p;

	if (assuan_get_active_fds(ctx, 0, fd, 2) < 1)
		return 0;
	p.fd = fd[0];
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, 0) == 0;
}

/* A connection for one request: an idle one that is still good, else a new
 * one.  Reusing saves policyd a thread, a greeting and a credentials lookup
 * per signature; checking first keeps the "restarted policyd is picked up"
 * promise. */
static gpg_error_t
conn_get(struct backend *be, assuan_context_t *ctx)
{
	assuan_context_t c;
	time_t since;

	*ctx = NULL;
	for (;;) {
		pthread_mutex_lock(&be->lock);
		if (be->nidle == 0) {
			pthread_mutex_unlock(&be->lock);
			break;
		}
		be->nidle--;
		c = be->idle[be->nidle];
		since = be->idle_since[be->nidle];
		pthread_mutex_unlock(&be->lock);
		if (monotime_sec() - since < BACKEND_IDLE_SEC && conn_idle_ok(c)) {
			*ctx = c;
			return 0;
		}
		pdclient_close(c);
	}
	return connect_policyd(be, ctx);
}

/* Give CTX back after a request.  REUSE: the last transaction ended with
 * policyd's OK or ERR, so the connection is in step. */
static void
conn_put(struct backend *be, assuan_context_t ctx, int reuse)
{
	if (ctx == NULL)
		return;
	if (reuse) {
		pthread_mutex_lock(&be->lock);
		if (be->nidle < BACKEND_POOL_MAX) {
			be->idle[be->nidle] = ctx;
			be->idle_since[be->nidle] = monotime_sec();
			be->nidle++;
			ctx = NULL;
		}
		pthread_mutex_unlock(&be->lock);
	}
	if (ctx != NULL)
		pdclient_close(ctx);
}

/* 1 if ERR (from pdclient_transact) leaves the connection usable. */
static int
conn_in_step(gpg_error_t err, const char *errtext)
{
	return err == 0 || (errtext != NULL && errtext[0] != '\0');
}

/* Map the outcome of one transaction: policyd's ERR keeps its code (source
 * SCD) and its reason goes to the log; a connection that broke mid-way is
 * "policyd not reachable". */
static gpg_error_t
map_transact(const struct backend *be, const char *what, gpg_error_t err, const char *errtext)
{
	char vis[BACKEND_ERRTEXT_MAX];

	if (err == 0)
		return 0;
	if (errtext != NULL && errtext[0] != '\0') {
		log_error("signet-policyd refused %s: %s (%s)", what,
		          log_vis(errtext, vis, sizeof(vis)), gpg_strerror(err));
		return as_scd(err);
	}
	switch (gpg_err_code(err)) {
	case GPG_ERR_EOF:
	case GPG_ERR_EPIPE:
	case GPG_ERR_ECONNRESET:
	case GPG_ERR_ASS_READ_ERROR:
	case GPG_ERR_ASS_WRITE_ERROR:
	case GPG_ERR_ETIMEDOUT:
		return no_policyd(be, err);
	default:
		break;
	}
	log_error_e(err, "%s with signet-policyd at %s", what, be->socket);
	return as_scd(err);
}

gpg_error_t
backend_new(const char *socket, const char *serial, struct backend **bep)
{
	struct backend *be = NULL;

	if (bep != NULL)
		*bep = NULL;
	if (socket == NULL || serial == NULL || bep == NULL ||
	    strlen(serial) != SERIAL_HEX_LEN)
		return gpg_error(GPG_ERR_INV_VALUE);
	if ((be = calloc(1, sizeof(*be))) == NULL)
		return gpg_error_from_syserror();
	if ((be->socket = strdup(socket)) == NULL) {
		free(be);
		return gpg_error_from_syserror();
	}
	memcpy(be->serial, serial, SERIAL_HEX_LEN + 1);
	pthread_mutex_init(&be->lock, NULL);
	pthread_mutex_init(&be->refresh_lock, NULL);
	*bep = be;
	return 0;
}

void
backend_free(struct backend *be)
{
	if (be == NULL)
		return;
	card_keylist_clear(&be->cache);
	while (be->nidle > 0)
		pdclient_close(be->idle[--be->nidle]);
	pthread_mutex_destroy(&be->lock);
	pthread_mutex_destroy(&be->refresh_lock);
	free(be->cache_file);
	free(be->socket);
	free(be);
}

/* Status lines of one policyd answer: the keys of KEYLIST, and the whole
 * reason of a refusal (policyd sends `S REASON` before an ERR whose text
 * libassuan would cut at 100 bytes). */
struct reply_status {
	struct card_keylist *list;      /* NULL: not a KEYLIST */
	char reason[BACKEND_ERRTEXT_MAX];
};

static gpg_error_t
reply_status(void *opaque, const char *keyword, const char *args)
{
	struct reply_status *rs = opaque;
	struct card_key key;
	char vis[CARD_LINE_MAX];
	gpg_error_t err;

	if (strcmp(keyword, "REASON") == 0) {
		snprintf(rs->reason, sizeof(rs->reason), "%s", args);
		return 0;
	}
	if (strcmp(keyword, "KEY") != 0 || rs->list == NULL)
		return 0;
	/* A key we cannot describe is skipped, not fatal for the whole list
	 * (scd-protocol §11.9). */
	if ((err = card_key_parse(args, &key)) != 0) {
		log_warn("policyd KEYLIST: skipping malformed line '%s'",
		         log_vis(args, vis, sizeof(vis)));
		return 0;
	}
	if ((err = card_keylist_add(rs->list, &key)) != 0)
		log_warn_e(err, "policyd KEYLIST: skipping key %s", key.project);
	return 0;
}

/* The reason to log: the S REASON line if policyd sent one. */
static const char *
best_reason(const struct reply_status *rs, const char *errtext)
{
	return rs->reason[0] != '\0' ? rs->reason : errtext;
}

/* READKEY for KEY over CTX; sets KEY's sexp after checking it. */
static gpg_error_t
fetch_sexp(const struct backend *be, assuan_context_t ctx, struct card_key *key, int *in_step)
{
	char cmd[BACKEND_CMD_MAX], errtext[BACKEND_ERRTEXT_MAX];
	struct reply_status rs = { NULL, "" };
	uint8_t *data = NULL;
	size_t len = 0;
	gpg_error_t err;

	/* By keygrip: a project may have two signing keys (rotation). */
	snprintf(cmd, sizeof(cmd), "READKEY --key=%s %s", key->grip, key->project);
	err = pdclient_transact_deadline(ctx, cmd, &request_deadline, &data, &len, reply_status, &rs,
	                                 errtext, sizeof(errtext));
	*in_step = conn_in_step(err, errtext);
	if ((err = map_transact(be, "READKEY", err, best_reason(&rs, errtext))) != 0)
		goto out;
	if ((err = card_key_set_sexp(key, data, len)) != 0) {
		log_error_e(err, "public key of project %s from policyd does not match its "
		            "keygrip/fingerprint", key->project);
		goto out;
	}
	err = 0; /* success */
out:
	free(data);
	return err;
}

/* Write KL (policyd's fresh list) to the cache file when the file lags
 * behind: the key set changed, the file is missing, or the last save did
 * not write every key.  Called under refresh_lock.  A failure is logged and
 * leaves the file to the next refresh: the in-memory cache still works. */
static void
save_cache_file(struct backend *be, const struct card_keylist *kl, int changed)
{
	struct stat st;
	size_t written = 0;
	gpg_error_t err;

	if (be->cache_file == NULL)
		return;
	if (!changed && !be->cache_file_stale && lstat(be->cache_file, &st) == 0)
		return;
	if ((err = keycache_save(be->cache_file, be->serial, kl, &written)) != 0) {
		log_warn_e(err, "cannot write the key cache %s", be->cache_file);
		be->cache_file_stale = 1;
		return;
	}
	/* A key whose public key could not be fetched is missing from the
	 * file: try again at the next refresh. */
	be->cache_file_stale = written != kl->nkeys;
	log_debug("key cache %s written: %zu of %zu key(s)", be->cache_file, written, kl->nkeys);
}

gpg_error_t
backend_use_cache_file(struct backend *be, const char *path)
{
	struct card_keylist kl = { NULL, 0 };
	char errtext[KEYCACHE_ERR_MAX];
	gpg_error_t err;
	size_t n;
	int installed;

	if (be == NULL || path == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	free(be->cache_file);
	if ((be->cache_file = strdup(path)) == NULL)
		return gpg_error_from_syserror();
	be->cache_file_stale = 1;
	err = keycache_load(path, be->serial, &kl, errtext, sizeof(errtext));
	if (gpg_err_code(err) == GPG_ERR_ENOENT) {
		log_debug("no key cache %s yet", path);
		return 0;
	}
	if (gpg_err_code(err) == GPG_ERR_WRONG_CARD) {
		log_info("key cache ignored: %s", errtext);
		return 0;
	}
	if (err != 0) {
		/* Never fatal: policyd's next answer rewrites the file. */
		log_warn("key cache ignored: %s", errtext[0] != '\0' ? errtext : gpg_strerror(err));
		return 0;
	}
	n = kl.nkeys;
	pthread_mutex_lock(&be->lock);
	/* policyd's answer, if there already is one, wins. */
	if ((installed = !be->have_refreshed)) {
		card_keylist_clear(&be->cache);
		be->cache = kl;
		kl.keys = NULL;
		kl.nkeys = 0;
		be->cache_file_stale = 0;
	}
	pthread_mutex_unlock(&be->lock);
	if (installed)
		log_info("key cache %s: %zu key(s), used until signet-policyd answers", path, n);
	card_keylist_clear(&kl);
	return 0;
}

static gpg_error_t
do_refresh(struct backend *be, int *changed)
{
	struct card_keylist fresh = { NULL, 0 }, old = { NULL, 0 };
	struct reply_status rs = { &fresh, "" };
	assuan_context_t ctx = NULL;
	char errtext[BACKEND_ERRTEXT_MAX];
	const struct card_key *prev;
	size_t i, kept = 0;
	gpg_error_t err;
	int in_step = 0, diff;

	if ((err = conn_get(be, &ctx)) != 0)
		goto out;
	err = pdclient_transact_deadline(ctx, "KEYLIST", &request_deadline, NULL, NULL, reply_status, &rs,
	                                 errtext, sizeof(errtext));
	in_step = conn_in_step(err, errtext);
	if ((err = map_transact(be, "KEYLIST", err, best_reason(&rs, errtext))) != 0)
		goto out;

	pthread_mutex_lock(&be->lock);
	err = card_keylist_copy(&old, &be->cache);
	pthread_mutex_unlock(&be->lock);
	if (err != 0)
		goto out;

	/* Public keys never change for a grip: reuse what we have, fetch the
	 * rest on this same connection.  A key whose public key does not
	 * check out is dropped from the card. */
	for (i = 0; i < fresh.nkeys; i++) {
		struct card_key *k = &fresh.keys[i];

		if (card_keylist_find(&old, be->serial, k->grip, &prev) == 0 &&
		    prev->sexp_len > 0 && strcmp(prev->project, k->project) == 0 &&
		    prev->created == k->created) {
			memcpy(k->sexp, prev->sexp, prev->sexp_len);
			k->sexp_len = prev->sexp_len;
		} else if ((err = fetch_sexp(be, ctx, k, &in_step)) != 0) {
			if (gpg_err_code(err) == GPG_ERR_BAD_PUBKEY)
				continue;
			/* Kept without its public key: READKEY tries again. */
		}
		if (kept != i)
			fresh.keys[kept] = *k;
		kept++;
	}
	fresh.nkeys = kept;
	/* Only refreshes change the key set, and they hold refresh_lock:
	 * OLD is still the cache's key set. */
	diff = !card_keylist_same(&old, &fresh);
	save_cache_file(be, &fresh, diff);

	pthread_mutex_lock(&be->lock);
	if (changed != NULL)
		*changed = diff;
	card_keylist_clear(&be->cache);
	be->cache = fresh;
	fresh.keys = NULL;
	fresh.nkeys = 0;
	be->have_refreshed = 1;
	be->refreshed_at = monotime_sec();
	pthread_mutex_unlock(&be->lock);
	log_debug("key list refreshed from signet-policyd: %zu key(s)", kept);
	err = 0; /* success */
out:
	conn_put(be, ctx, in_step);
	card_keylist_clear(&fresh);
	card_keylist_clear(&old);
	return err;
}

gpg_error_t
backend_refresh(struct backend *be, enum backend_refresh when, int *changed)
{
	gpg_error_t err = 0;
	time_t now;
	int due = 1;

	if (changed != NULL)
		*changed = 0;
	if (be == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	pthread_mutex_lock(&be->refresh_lock);
	now = monotime_sec();
	pthread_mutex_lock(&be->lock);
	switch (when) {
	case BACKEND_REFRESH_FORCE:
		break;
	case BACKEND_REFRESH_STALE:
		due = !be->have_refreshed || now - be->refreshed_at >= BACKEND_CACHE_TTL_SEC;
		break;
	case BACKEND_REFRESH_MISS:
		due = be->miss_at == 0 || now - be->miss_at >= BACKEND_MISS_INTERVAL_SEC;
		if (due)
			be->miss_at = now;
		break;
	}
	/* While policyd is down, listings must not each pay (and log) a
	 * failed connection: try again only after a pause. */
	if (due && when != BACKEND_REFRESH_FORCE && be->failed_at != 0 &&
	    now - be->failed_at < BACKEND_MISS_INTERVAL_SEC) {
		due = 0;
		err = be->failed_err;
	}
	pthread_mutex_unlock(&be->lock);
	if (due) {
		err = do_refresh(be, changed);
		pthread_mutex_lock(&be->lock);
		be->failed_at = err != 0 ? monotime_sec() : 0;
		be->failed_err = err;
		pthread_mutex_unlock(&be->lock);
	}
	pthread_mutex_unlock(&be->refresh_lock);
	return err;
}

gpg_error_t
backend_keys(struct backend *be, struct card_keylist *out)
{
	gpg_error_t err;

	if (be == NULL || out == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	pthread_mutex_lock(&be->lock);
	err = card_keylist_copy(out, &be->cache);
	pthread_mutex_unlock(&be->lock);
	return err;
}

static gpg_error_t
lookup(struct backend *be, const char *ref, struct card_key *key)
{
	const struct card_key *k = NULL;
	gpg_error_t err;

	pthread_mutex_lock(&be->lock);
	err = card_keylist_find(&be->cache, be->serial, ref, &k);
	if (err == 0)
		*key = *k;
	pthread_mutex_unlock(&be->lock);
	return err;
}

/* The primary key of PROJECT, from its certificate (policyd CERT): what a
 * legacy "SIGNET.<project>" stub names.  KEY gets that key (keyref in the
 * legacy form, public key attached), so that PKSIGN asks policyd for exactly
 * that key: policyd signs with it only for a project made before subkeys,
 * and refuses it otherwise.  Never another key of the project in its place:
 * gpg hashed for this one. */
static gpg_error_t
fetch_primary(struct backend *be, const char *project, struct card_key *key)
{
	char cmd[BACKEND_CMD_MAX], errtext[BACKEND_ERRTEXT_MAX];
	struct reply_status rs = { NULL, "" };
	struct certinfo *ci = NULL;
	assuan_context_t ctx = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	gpg_error_t err;
	int in_step = 0;

	memset(key, 0, sizeof(*key));
	snprintf(cmd, sizeof(cmd), "CERT %s", project);
	if ((err = conn_get(be, &ctx)) != 0)
		goto out;
	err = pdclient_transact_deadline(ctx, cmd, &request_deadline, &data, &len, reply_status, &rs,
	                                 errtext, sizeof(errtext));
	in_step = conn_in_step(err, errtext);
	if ((err = map_transact(be, "CERT", err, best_reason(&rs, errtext))) != 0)
		goto out;
	if ((ci = calloc(1, sizeof(*ci))) == NULL) {
		err = gpg_error_from_syserror();
		goto out;
	}
	if ((err = certinfo_parse(data, len, ci)) != 0) {
		log_error_e(err, "certificate of project %s from policyd", project);
		err = gpg_error(GPG_ERR_INV_RESPONSE);
		goto out;
	}
	snprintf(key->project, sizeof(key->project), "%s", project);
	snprintf(key->keyref, sizeof(key->keyref), CARD_KEYREF_PREFIX "%s", project);
	memcpy(key->grip, ci->key.grip, sizeof(key->grip));
	memcpy(key->fpr, ci->key.fpr, sizeof(key->fpr));
	if ((err = pgpkey_name(&ci->key, key->algo, sizeof(key->algo))) != 0)
		goto out;
	key->type = ci->key.type;
	key->bits = ci->key.bits;
	key->created = ci->key.created;
	memcpy(key->sexp, ci->key.sexp, ci->key.sexp_len);
	key->sexp_len = ci->key.sexp_len;
	err = 0; /* success */
out:
	conn_put(be, ctx, in_step);
	free(data);
	free(ci);
	return as_scd(err);
}

gpg_error_t
backend_find_key(struct backend *be, const char *ref, struct card_key *key)
{
	char project[PROJECT_NAME_MAX + 1];
	gpg_error_t err, rerr;

	if (be == NULL || ref == NULL || key == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	if ((err = lookup(be, ref, key)) == 0)
		return 0;
	/* Only "not known yet" is worth asking policyd about. */
	if (gpg_err_code(err) != GPG_ERR_NO_SECKEY)
		return err;
	rerr = backend_refresh(be, BACKEND_REFRESH_MISS, NULL);
	if ((err = lookup(be, ref, key)) == 0)
		return 0;
	if (gpg_err_code(rerr) == SIGNET_ERR_NO_POLICYD)
		return rerr;
	/* Not a listed key's keyref: a stub made before subkeys. */
	if (card_keyref_project(ref, project, sizeof(project)) == 0) {
		log_info("key %s: a stub from before signing subkeys; it names the primary key "
		         "of project %s", ref, project);
		return fetch_primary(be, project, key);
	}
	return err;
}

gpg_error_t
backend_key_sexp(struct backend *be, struct card_key *key)
{
	assuan_context_t ctx = NULL;
	const struct card_key *k;
	struct card_key *c;
	gpg_error_t err;
	int in_step = 0;

	if (be == NULL || key == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (key->sexp_len > 0)
		return 0;
	if ((err = conn_get(be, &ctx)) != 0)
		goto out;
	if ((err = fetch_sexp(be, ctx, key, &in_step)) != 0)
		goto out;
	/* Remember it, if the cache still holds the same key. */
	pthread_mutex_lock(&be->lock);
	if (card_keylist_find(&be->cache, be->serial, key->grip, &k) == 0 &&
	    strcmp(k->project, key->project) == 0 && k->created == key->created) {
		c = (struct card_key *)k;  /* points into our own cache */
		memcpy(c->sexp, key->sexp, key->sexp_len);
		c->sexp_len = key->sexp_len;
	}
	pthread_mutex_unlock(&be->lock);
	err = 0; /* success */
out:
	conn_put(be, ctx, in_step);
	return err;
}

/* The status lines of SIGN: S REQUEST goes to the waiter, the rest to
 * reply_status. */
struct sign_reply {
	struct reply_status rs;
	const struct backend_wait *wait;
	assuan_context_t ctx;      /* the policyd connection */
	gpg_error_t gave_up;       /* the waiter's error; 0: none */
};

/* Hang up on policyd now, not after its next line (which may come only
 * when the request is decided): policyd sees the hang-up at once and
 * cancels the waiting request.  pdclient then reads EOF. */
static void
hang_up(assuan_context_t ctx)
{
	assuan_fd_t fd[2];   /* libassuan wants room for at least two */

	if (assuan_get_active_fds(ctx, 0, fd, 2) >= 1)
		shutdown(fd[0], SHUT_RDWR);
}

static gpg_error_t
sign_status_line(void *opaque, const char *keyword, const char *args)
{
	struct sign_reply *t = opaque;
	gpg_error_t err;

	if (strcmp(keyword, "REQUEST") != 0)
		return reply_status(&t->rs, keyword, args);
	if (t->wait == NULL || t->wait->request == NULL || t->gave_up != 0)
		return 0;
	if ((err = t->wait->request(t->wait->opaque, args)) != 0) {
		t->gave_up = err;
		hang_up(t->ctx);
	}
	return err;
}

gpg_error_t
backend_sign(struct backend *be, const struct card_key *key, const struct hashalgo *algo,
             const uint8_t *digest, size_t digest_len, const char *otp,
             const struct backend_wait *wait, uint8_t *sig, size_t *siglen)
{
	char hex[2 * HASHALGO_MAX_DIGEST + 1];
	char cmd[BACKEND_CMD_MAX], errtext[BACKEND_ERRTEXT_MAX];
	struct sign_reply t = { { NULL, "" }, wait, NULL, 0 };
	assuan_context_t ctx = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	gpg_error_t err;
	int n, in_step = 0;

	if (siglen != NULL)
		*siglen = 0;
	if (be == NULL || key == NULL || algo == NULL || digest == NULL ||
	    sig == NULL || siglen == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (digest_len > HASHALGO_MAX_DIGEST)
		return gpg_error(GPG_ERR_ASS_PARAMETER);
	if ((err = hex_encode(digest, digest_len, hex, sizeof(hex))) != 0)
		return as_scd(err);
	/* Always the key gpg asked for: without --key policyd would take the
	 * project's current subkey, and a signature by another key than the
	 * one gpg hashed for is a bad signature. */
	if (otp != NULL && !totp_code_ok(otp))
		return gpg_error(SIGNET_ERR_OTP_WRONG);
	n = snprintf(cmd, sizeof(cmd), "SIGN --hash=%s --key=%s%s%s %s %s", algo->name, key->grip,
	             otp ? " --otp=" : "", otp ? otp : "", key->project, hex);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return gpg_error(GPG_ERR_ASS_PARAMETER);

	if ((err = conn_get(be, &ctx)) != 0)
		goto out;
	t.ctx = ctx;
	err = pdclient_transact_deadline(ctx, cmd, &sign_deadline, &data, &len, sign_status_line, &t,
	                                 errtext, sizeof(errtext));
	in_step = conn_in_step(err, errtext);
	/* "Which code?" is a question, not a refusal: no error in the log. */
	if (gpg_err_code(err) == SIGNET_ERR_OTP_NEEDED && in_step) {
		err = as_scd(err);
		goto out;
	}
	/* We hung up ourselves: not a policyd failure. */
	if (t.gave_up != 0) {
		log_info("SIGN for project %s given up while it waited for approvers: %s", key->project,
		         gpg_strerror(t.gave_up));
		err = as_scd(t.gave_up);
		in_step = 0;
		goto out;
	}
	if ((err = map_transact(be, "SIGN", err, best_reason(&t.rs, errtext))) != 0)
		goto out;
	if (len == 0 || len > BACKEND_MAX_SIG) {
		log_error("signet-policyd returned a signature of %zu bytes for project %s",
		          len, key->project);
		err = gpg_error(GPG_ERR_INV_RESPONSE);
		goto out;
	}
	memcpy(sig, data, len);
	*siglen = len;
	err = 0; /* success */
out:
	explicit_bzero(cmd, sizeof(cmd));   /* it held the code */
	conn_put(be, ctx, in_step);
	free(data);
	return err;
}

struct totp_reply {
	struct reply_status rs;
	int seen, required;
	unsigned enrolled, failures, max;
};

static gpg_error_t
totp_status_line(void *opaque, const char *keyword, const char *args)
{
	struct totp_reply *t = opaque;

	if (strcmp(keyword, "TOTP") != 0)
		return reply_status(&t->rs, keyword, args);
	/* <enrolled> <failures> <max> <required> */
	if (sscanf(args, "%u %u %u %d", &t->enrolled, &t->failures, &t->max, &t->required) == 4)
		t->seen = 1;
	return 0;
}

gpg_error_t
backend_totp_status(struct backend *be, const char *project, int *required, unsigned *left)
{
	char cmd[BACKEND_CMD_MAX], errtext[BACKEND_ERRTEXT_MAX];
	struct totp_reply t;
	assuan_context_t ctx = NULL;
	gpg_error_t err;
	int in_step = 0;

	*required = 0;
	*left = 0;
	memset(&t, 0, sizeof(t));
	snprintf(cmd, sizeof(cmd), "TOTP STATUS %s", project);
	if ((err = conn_get(be, &ctx)) != 0)
		goto out;
	err = pdclient_transact_deadline(ctx, cmd, &request_deadline, NULL, NULL, totp_status_line, &t,
	                                 errtext, sizeof(errtext));
	in_step = conn_in_step(err, errtext);
	if ((err = map_transact(be, "TOTP STATUS", err, best_reason(&t.rs, errtext))) != 0)
		goto out;
	if (!t.seen) {
		err = gpg_error(GPG_ERR_INV_RESPONSE);
		goto out;
	}
	*required = t.required;
	*left = t.failures < t.max ? t.max - t.failures : 0;
out:
	conn_put(be, ctx, in_step);
	return err;
}
