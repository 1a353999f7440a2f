/* auditckpt.c — checkpoints (doc/audit-format.md §9.1): a thread of the
 * log that, every N records or T milliseconds with new records, takes the
 * tree's size and root under the append lock, signs the checkpoint note
 * with the audit key and has it time-stamped with no lock held, then
 * appends it as a record.  Signing is slow (an HSM, maybe a TSA over the
 * network) and never on a signature's path: records appended meanwhile
 * simply come before the checkpoint line, which is why a checkpoint's
 * tree size may be smaller than its own index. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "atomicfile.h"
#include "auditlog-int.h"
#include "auditseg.h"
#include "log.h"
#include "signednote.h"

#define CKPT_RETRY_MS     1000     /* after a failed checkpoint */
#define CKPT_MAX_TOKEN    (16 * 1024)
#define CKPT_NAME_MAX     4096

struct audit_ckpt {
	struct audit_signer signer;
	unsigned every;
	unsigned ms;
	pthread_t thread;
	int64_t retry_at_us;           /* after a failure: not before then */
};

/* Base64 of the token, for the record; NULL if there is none. */
static char *
token_base64(const struct audit_signer *s, const char *note, size_t len)
{
	uint8_t *der = NULL;
	size_t derlen = 0;
	char *b64 = NULL;
	gpg_error_t r;

	if (s->timestamp == NULL)
		return NULL;
	if ((r = s->timestamp(s->ts_ctx, (const uint8_t *)note, len, &der, &derlen)) != 0) {
		log_error_e(r, "audit: no time-stamp for this checkpoint (the next one tries again)");
		return NULL;
	}
	if (derlen == 0 || derlen > CKPT_MAX_TOKEN || (b64 = malloc(4 * ((derlen + 2) / 3) + 1)) == NULL)
		log_error("audit: time-stamp token of %zu bytes not kept", derlen);
	else
		EVP_EncodeBlock((unsigned char *)b64, der, (int)derlen);
	free(der);
	return b64;
}

/* Sign and append the checkpoint of the first SIZE leaves (root ROOT). */
static gpg_error_t
write_checkpoint(struct audit_log *log, uint64_t size, const uint8_t root[MERKLE_HASH_LEN])
{
	const struct audit_signer *s = &log->ckpt->signer;
	struct note_checkpoint cp = { .size = size };
	struct audit_event ev = { .event = "checkpoint", .has_tree_size = 1, .tree_size = size };
	char *note = NULL, *token = NULL;
	size_t len = 0;
	uint64_t seq = 0;
	gpg_error_t r;

	snprintf(cp.origin, sizeof(cp.origin), "%s", s->name);
	memcpy(cp.root, root, MERKLE_HASH_LEN);
	if ((r = note_checkpoint_sign(&cp, s->name, s->pub, s->sign, s->ctx, &note, &len)) != 0) {
		log_error_e(r, "audit %s: cannot sign the checkpoint of tree size %llu", log->path,
		            (unsigned long long)size);
		goto out;
	}
	token = token_base64(s, note, len);
	ev.note = note;
	ev.tsa_token = token;
	if ((r = audit_append(log, &ev, &seq)) != 0)
		goto out;
	pthread_mutex_lock(&log->append_lock);
	log->ckpt_next = seq;   /* the leaf after the checkpoint line */
	log->ckpt_size = size;
	log->ckpt_time_us = auditlog_now_us();
	pthread_mutex_unlock(&log->append_lock);
out:
	free(token);
	free(note);
	return r;
}

/* Records the last checkpoint does not cover (append_lock held): those
 * after its tree size, appended while it was signed or since, but for its
 * own line (which no checkpoint needs to follow). */
static uint64_t
pending(const struct audit_log *log)
{
	uint64_t leaves = log->next_seq - 1;
	uint64_t n = leaves > log->ckpt_size ? leaves - log->ckpt_size : 0;

	return n > 0 && log->ckpt_next > log->ckpt_size ? n - 1 : n;
}

static int
due(const struct audit_log *log, int64_t now)
{
	uint64_t n = pending(log);

	if (n == 0 || now < log->ckpt->retry_at_us)
		return 0;
	return n >= log->ckpt->every || now - log->ckpt_time_us >= (int64_t)log->ckpt->ms * 1000;
}

int
auditckpt_wake_wanted(const struct audit_log *log)
{
	uint64_t n = pending(log);

	return n <= 1 || n >= log->ckpt->every;
}

static struct timespec
deadline_of(const struct audit_log *log)
{
	int64_t at = log->ckpt_time_us + (int64_t)log->ckpt->ms * 1000;
	struct timespec ts;

	if (at < log->ckpt->retry_at_us)
		at = log->ckpt->retry_at_us;
	ts.tv_sec = at / 1000000;
	ts.tv_nsec = (long)(at % 1000000) * 1000;
	return ts;
}

static void *
ckpt_main(void *arg)
{
	struct audit_log *log = arg;
	uint8_t root[MERKLE_HASH_LEN];
	uint64_t size;

	pthread_mutex_lock(&log->append_lock);
	while (!log->ckpt_stop) {
		if (log->failed) {
			/* Nothing can be written any more: sign nothing (each try
			 * is an HSM signature, maybe a TSA request) until stop. */
			pthread_cond_wait(&log->ckpt_cond, &log->append_lock);
			continue;
		}
		if (!due(log, auditlog_now_us())) {
			struct timespec until = deadline_of(log);

			/* Nothing new: the deadline may be long past, so only the
			 * next record (or stop) is worth waking for.  Else the
			 * deadline is ahead (due() said so). */
			if (pending(log) == 0)
				pthread_cond_wait(&log->ckpt_cond, &log->append_lock);
			else
				pthread_cond_timedwait(&log->ckpt_cond, &log->append_lock, &until);
			continue;
		}
		size = merkle_store_size(log->tree);
		merkle_state_root(merkle_store_state(log->tree), root);
		pthread_mutex_unlock(&log->append_lock);
		if (write_checkpoint(log, size, root) != 0) {
			pthread_mutex_lock(&log->append_lock);
			log->ckpt->retry_at_us = auditlog_now_us() + CKPT_RETRY_MS * 1000;
			continue;
		}
		pthread_mutex_lock(&log->append_lock);
	}
	pthread_mutex_unlock(&log->append_lock);
	return NULL;
}

/* P.vkey: the verifier key, for `signet audit key` and verifiers. */
static gpg_error_t
write_vkey(const struct audit_log *log, const struct audit_signer *s)
{
	char name[CKPT_NAME_MAX], vkey[NOTE_MAX_VKEY + 1];
	size_t len;
	gpg_error_t r;

	if ((r = auditseg_sidecar(log->path, ".vkey", name, sizeof(name))) != 0 ||
	    (r = note_vkey_format(s->name, s->pub, vkey, sizeof(vkey) - 1)) != 0)
		return r;
	len = strlen(vkey);
	vkey[len++] = '\n';
	if ((r = atomicfile_write(name, vkey, len, 0644)) != 0)
		log_error_e(r, "audit %s: cannot write the verifier key %s", log->path, name);
	return r;
}

gpg_error_t
audit_start_checkpoints(struct audit_log *log, const struct audit_signer *signer, unsigned every,
                        unsigned ms)
{
	struct audit_ckpt *c;
	gpg_error_t r;

	if (log == NULL || signer == NULL || signer->sign == NULL || every == 0 || ms == 0 ||
	    log->ckpt != NULL || note_name_ok(signer->name) != 0)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((r = write_vkey(log, signer)) != 0)
		return r;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return gpg_error_from_syserror();
	c->signer = *signer;
	c->every = every;
	c->ms = ms;
	pthread_mutex_lock(&log->append_lock);
	log->ckpt = c;
	log->ckpt_stop = 0;
	pthread_mutex_unlock(&log->append_lock);
	if (pthread_create(&c->thread, NULL, ckpt_main, log) != 0) {
		pthread_mutex_lock(&log->append_lock);
		log->ckpt = NULL;
		pthread_mutex_unlock(&log->append_lock);
		free(c);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	return 0;
}

void
audit_stop_checkpoints(struct audit_log *log)
{
	uint8_t root[MERKLE_HASH_LEN];
	uint64_t size = 0;
	int last = 0;

	if (log == NULL || log->ckpt == NULL)
		return;
	pthread_mutex_lock(&log->append_lock);
	log->ckpt_stop = 1;
	pthread_cond_broadcast(&log->ckpt_cond);
	pthread_mutex_unlock(&log->append_lock);
	pthread_join(log->ckpt->thread, NULL);
	/* A clean stop leaves the whole trail but this last line covered. */
	pthread_mutex_lock(&log->append_lock);
	if (pending(log) > 0 && !log->failed) {
		last = 1;
		size = merkle_store_size(log->tree);
		merkle_state_root(merkle_store_state(log->tree), root);
	}
	pthread_mutex_unlock(&log->append_lock);
	if (last)
		(void)write_checkpoint(log, size, root);
	free(log->ckpt);
	log->ckpt = NULL;
}
