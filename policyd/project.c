/* project.c — see project.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../agent/certinfo.h"
#include "log.h"
#include "p11uri.h"
#include "project.h"
#include "signet-err.h"

static const struct {
	enum key_algo algo;
	enum hsm_keytype hsm;
	enum pgpkey_type pgp;
	const char *what;          /* for messages */
} key_types[] = {
	{ KEY_ALGO_RSA2048, HSM_KT_RSA, PGPKEY_RSA, "RSA" },
	{ KEY_ALGO_RSA3072, HSM_KT_RSA, PGPKEY_RSA, "RSA" },
	{ KEY_ALGO_RSA4096, HSM_KT_RSA, PGPKEY_RSA, "RSA" },
	{ KEY_ALGO_P256, HSM_KT_P256, PGPKEY_P256, "P-256" },
	{ KEY_ALGO_P384, HSM_KT_P384, PGPKEY_P384, "P-384" },
	{ KEY_ALGO_ED25519, HSM_KT_ED25519, PGPKEY_ED25519, "Ed25519" },
};

enum hsm_keytype
project_key_type(enum key_algo algo)
{
	size_t i;

	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (key_types[i].algo == algo)
			return key_types[i].hsm;
	return HSM_KT_NONE;
}

static const char *
hsm_type_what(enum hsm_keytype t)
{
	size_t i;

	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (key_types[i].hsm == t)
			return key_types[i].what;
	return "unsupported";
}

/* The EC public key of KEY (of TYPE, not RSA) as PUB. */
static gpg_error_t
ec_public(struct hsm *hsm, const struct hsm_key *key, enum key_algo algo, uint32_t created,
          struct pgpkey *pub, char *why, size_t whylen)
{
	uint8_t q[HSM_MAX_EC_POINT];
	size_t q_len = 0, i;
	enum pgpkey_type type = PGPKEY_NONE;
	gpg_error_t r;

	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (key_types[i].algo == algo)
			type = key_types[i].pgp;
	if ((r = hsm_key_ec_point(hsm, key, q, sizeof(q), &q_len, why, whylen)) != 0)
		return r;
	if ((r = pgpkey_from_ec(type, q, q_len, created, pub)) != 0)
		snprintf(why, whylen, "unusable %s public key: %s", key_algo_name(algo), gpg_strerror(r));
	return r;
}

/* The key found by LABEL and/or ID as a pgpkey created at CREATED,
 * checked against ALGO (its type, and an RSA key's size). */
static gpg_error_t
resolve_key(struct hsm *hsm, const char *label, const uint8_t *id, size_t id_len, enum key_algo algo,
            uint32_t created, struct hsm_key **key, struct pgpkey *pub, char *why, size_t whylen)
{
	uint8_t n[PGPKEY_MAX_MODULUS + 1], e[16];
	size_t n_len = 0, e_len = 0;
	enum hsm_keytype have;
	gpg_error_t r;

	*key = NULL;
	if ((r = hsm_find_key(hsm, label, id, id_len, key, why, whylen)) != 0)
		return r;
	if ((have = hsm_key_type(*key)) != project_key_type(algo)) {
		snprintf(why, whylen, "is a%s %s key but algo = %s", have == HSM_KT_RSA ? "n" : "",
		         hsm_type_what(have), key_algo_name(algo));
		r = gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
		goto fail;
	}
	if (have != HSM_KT_RSA) {
		if ((r = ec_public(hsm, *key, algo, created, pub, why, whylen)) != 0)
			goto fail;
		return 0;
	}
	if ((r = hsm_key_public(hsm, *key, n, sizeof(n), &n_len, e, sizeof(e), &e_len, why, whylen)) != 0)
		goto fail;
	if ((r = pgpkey_from_rsa(n, n_len, e, e_len, created, pub)) != 0) {
		snprintf(why, whylen, "unusable RSA public key: %s", gpg_strerror(r));
		goto fail;
	}
	if (pub->bits != key_algo_bits(algo)) {
		snprintf(why, whylen, "is a %u-bit key but algo = %s", pub->bits, key_algo_name(algo));
		r = gpg_error(GPG_ERR_INV_VALUE);
		goto fail;
	}
	return 0;
fail:
	hsm_key_free(*key);
	*key = NULL;
	return r;
}

gpg_error_t
project_resolve_label(struct hsm *hsm, const char *label, enum key_algo algo, uint32_t created,
                      struct hsm_key **key, struct pgpkey *pub, char *why, size_t whylen)
{
	return resolve_key(hsm, label, NULL, 0, algo, created, key, pub, why, whylen);
}

static gpg_error_t
resolve_primary(const struct signet_config *cfg, const struct project_conf *pc, struct hsm *hsm,
                struct project *p, char *why, size_t whylen)
{
	struct p11uri uri;
	gpg_error_t r;

	if ((r = p11uri_parse(pc->key_uri, &uri, why, whylen)) != 0)
		return r;
	if (uri.has_token && strcmp(uri.token, cfg->token) != 0) {
		snprintf(why, whylen, "names token \"%s\" but [hsm] token is \"%s\"", uri.token, cfg->token);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if (!uri.has_object && !uri.has_id) {
		snprintf(why, whylen, "names neither object= nor id=");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	return resolve_key(hsm, uri.has_object ? uri.object : NULL, uri.id, uri.has_id ? uri.id_len : 0,
	                   pc->algo, (uint32_t)pc->created, &p->key, &p->pub, why, whylen);
}

/* A certificate without key state is a 0.1 one, whose primary signs --
 * unless it has subkeys: then its key state (KEYS) was lost, and letting
 * the primary sign again would reopen what subkeys closed.  A file that
 * does not parse is left to 0.1's rule (policyd never read it then). */
static gpg_error_t
check_legacy_cert(const struct project_conf *pc, const char *keys, char *err, size_t errlen)
{
	struct certinfo *ci = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	gpg_error_t r = 0;

	if ((buf = malloc(PGPCERT_MAX)) == NULL || (ci = malloc(sizeof(*ci))) == NULL) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "project %s: out of memory", pc->name);
		goto out;
	}
	if (certinfo_read_file(pc->cert, buf, PGPCERT_MAX, &len) != 0 || certinfo_parse(buf, len, ci) != 0)
		goto out;
	if (ci->nsubs > 0) {
		snprintf(err, errlen, "project %s: %s has %zu subkey(s) but the key state %s is missing; restore "
		         "it (its primary key only certifies and will not sign)", pc->name, pc->cert, ci->nsubs, keys);
		r = gpg_error(GPG_ERR_INV_STATE);
	}
out:
	free(ci);
	free(buf);
	return r;
}

/* The key state of P: which model it follows and, for subkeys, each subkey
 * resolved on the token by its label. */
static gpg_error_t
resolve_subkeys(const struct project_conf *pc, struct hsm *hsm, struct project *p, char *err, size_t errlen)
{
	char path[PATH_MAX], label[KEYSTATE_LABEL_MAX], why[P11URI_MAX_ATTR * 2 + 128];
	struct stat st;
	gpg_error_t r;
	size_t i;

	if ((r = keystate_path(pc->cert, path, sizeof(path))) != 0) {
		snprintf(err, errlen, "project %s: cert path too long for its key state file", pc->name);
		return r;
	}
	r = keystate_load(path, &p->ks, err, errlen);
	if (gpg_err_code(r) == GPG_ERR_ENOENT) {
		err[0] = '\0';
		p->model = lstat(pc->cert, &st) == 0 ? PROJECT_LEGACY : PROJECT_UNCERTIFIED;
		if (p->model == PROJECT_LEGACY && (r = check_legacy_cert(pc, path, err, errlen)) != 0)
			return r;
		if (p->model == PROJECT_LEGACY)
			log_warn("project %s: its certificate predates signing subkeys, so its primary key "
			         "still signs; run `signet project upgrade %s`", pc->name, pc->name);
		return 0;
	}
	if (r != 0)
		return r;
	if ((p->subs = calloc(p->ks.nsubs, sizeof(*p->subs))) == NULL)
		return gpg_error_from_syserror();
	p->model = PROJECT_SUBKEYS;
	for (i = 0; i < p->ks.nsubs; i++) {
		why[0] = '\0';
		if ((r = keystate_label(pc->name, p->ks.subs[i].created, label, sizeof(label))) != 0 ||
		    (r = resolve_key(hsm, label, NULL, 0, pc->algo, p->ks.subs[i].created, &p->subs[i].key,
		                     &p->subs[i].pub, why, sizeof(why))) != 0) {
			snprintf(err, errlen, "%s: subkey %zu (token object %s): %s", path, i + 1, label, why);
			return r;
		}
		p->subs[i].sigtime = p->ks.subs[i].sigtime;
		p->subs[i].expires = p->ks.subs[i].expires;
	}
	return 0;
}

static void
project_clear(struct project *p)
{
	size_t i;

	hsm_key_free(p->key);
	p->key = NULL;
	if (p->subs != NULL)
		for (i = 0; i < p->ks.nsubs; i++)
			hsm_key_free(p->subs[i].key);
	free(p->subs);
	p->subs = NULL;
}

static gpg_error_t
project_resolve(const struct signet_config *cfg, const struct project_conf *pc, struct hsm *hsm,
                struct project *p, char *err, size_t errlen)
{
	char why[P11URI_MAX_ATTR * 2 + 128];
	gpg_error_t r;

	why[0] = '\0';
	p->conf = pc;
	if ((r = resolve_primary(cfg, pc, hsm, p, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "%s:%d: project %s: key %s: %s", cfg->path ? cfg->path : "signet.conf",
		         pc->line, pc->name, pc->key_uri, why);
		goto fail;
	}
	if ((r = resolve_subkeys(pc, hsm, p, err, errlen)) != 0)
		goto fail;
	return 0;
fail:
	project_clear(p);
	return r ? r : gpg_error(GPG_ERR_GENERAL);
}

gpg_error_t
project_load_one(const struct signet_config *cfg, const char *name, struct hsm *hsm, struct project *p,
                 char *err, size_t errlen)
{
	const struct project_conf *pc;

	memset(p, 0, sizeof(*p));
	if ((pc = config_find_project(cfg, name)) == NULL) {
		snprintf(err, errlen, "no project %s in %s", name, cfg->path ? cfg->path : "signet.conf");
		return gpg_error(GPG_ERR_NOT_FOUND);
	}
	return project_resolve(cfg, pc, hsm, p, err, errlen);
}

void
project_release(struct project *p)
{
	if (p != NULL)
		project_clear(p);
}

gpg_error_t
project_table_load(const struct signet_config *cfg, struct hsm *hsm,
                   struct project_table **tablep, char *err, size_t errlen)
{
	gpg_error_t r;
	struct project_table *t = NULL;
	size_t i;

	*tablep = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return gpg_error_from_syserror();
	if (cfg->nprojects > 0 && (t->v = calloc(cfg->nprojects, sizeof(*t->v))) == NULL) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < cfg->nprojects; i++) {
		if ((r = project_resolve(cfg, &cfg->projects[i], hsm, &t->v[i], err, errlen)) != 0)
			goto out;
		t->n++;
	}
	*tablep = t;
	t = NULL;
	r = 0; /* success */
out:
	project_table_free(t);
	return r;
}

void
project_table_free(struct project_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		project_clear(&t->v[i]);
	free(t->v);
	free(t);
}

const struct project *
project_table_find(const struct project_table *t, const char *name)
{
	size_t i;

	if (t == NULL || name == NULL)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].conf->name, name) == 0)
			return &t->v[i];
	return NULL;
}

gpg_error_t
project_signing_key(const struct project *p, const char *grip, int64_t now,
                    const struct hsm_key **key, const struct pgpkey **pub, char *why, size_t whylen)
{
	size_t i, cur;

	*key = NULL;
	*pub = NULL;
	if (p->model == PROJECT_UNCERTIFIED) {
		snprintf(why, whylen, "project %s has no certificate yet (an admin makes it with "
		         "`signet project certify %s`)", p->conf->name, p->conf->name);
		return gpg_error(SIGNET_ERR_NO_KEY);
	}
	if (p->model == PROJECT_LEGACY) {
		/* 0.1 certificate: the primary is the signing key until UPGRADE. */
		if (grip != NULL && strcasecmp(grip, p->pub.grip) != 0) {
			snprintf(why, whylen, "key %s is not a key of project %s", grip, p->conf->name);
			return gpg_error(SIGNET_ERR_KEY_USAGE);
		}
		*key = p->key;
		*pub = &p->pub;
		return 0;
	}
	cur = keystate_current(&p->ks);
	if (grip == NULL) {
		*key = p->subs[cur].key;
		*pub = &p->subs[cur].pub;
		return 0;
	}
	if (strcasecmp(grip, p->pub.grip) == 0) {
		snprintf(why, whylen, "key %s is the primary key of project %s, which only certifies; SIGN "
		         "uses its signing subkey %s", p->pub.fpr, p->conf->name, p->subs[cur].pub.fpr);
		return gpg_error(SIGNET_ERR_KEY_USAGE);
	}
	for (i = 0; i < p->ks.nsubs; i++) {
		if (strcasecmp(grip, p->subs[i].pub.grip) != 0)
			continue;
		if (!keystate_usable(&p->ks, i, now)) {
			*pub = &p->subs[i].pub;   /* named in the audit record; never signs */
			snprintf(why, whylen, "signing subkey %s of project %s was rotated out and its overlap "
			         "ended at %lu; gpg must use the current subkey %s (import the project's "
			         "current certificate: `signet setup`)", p->subs[i].pub.fpr, p->conf->name,
			         (unsigned long)p->subs[i].expires, p->subs[cur].pub.fpr);
			return gpg_error(SIGNET_ERR_KEY_EXPIRED);
		}
		*key = p->subs[i].key;
		*pub = &p->subs[i].pub;
		return 0;
	}
	snprintf(why, whylen, "key %s is not a signing key of project %s", grip, p->conf->name);
	return gpg_error(SIGNET_ERR_KEY_USAGE);
}
