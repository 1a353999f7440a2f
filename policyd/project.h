/* project.h — the runtime project table: each configured project with its
 * keys resolved on the token.
 *
 * A project's primary key (signet.conf `key`) certifies only: MKCERT,
 * ROTATE and UPGRADE use it.  SIGN uses one of its signing subkeys, which
 * the key state file (common/keystate.h, CERT.keys) lists.  A project whose
 * certificate exists but has no key state was made by Signet 0.1, where the
 * primary signed: it keeps signing with the primary until an admin runs
 * UPGRADE (policyd warns at every load).
 *
 * Built from a loaded configuration at start-up and on RELOAD; immutable
 * afterwards (it is part of a configuration snapshot, snapshot.h, which
 * readers hold a reference to while using it). */
#ifndef SIGNET_POLICYD_PROJECT_H
#define SIGNET_POLICYD_PROJECT_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#include "config.h"
#include "keystate.h"
#include "pgpkey.h"
#include "hsm.h"

enum project_model {
	PROJECT_UNCERTIFIED = 0,   /* no certificate, no key state: nothing signs yet */
	PROJECT_LEGACY,            /* 0.1 certificate, no key state: the primary signs */
	PROJECT_SUBKEYS,           /* key state: only its usable subkeys sign */
};

struct project_subkey {
	struct hsm_key *key;
	struct pgpkey pub;                 /* created = its creation time */
	uint32_t sigtime;
	uint32_t expires;                  /* 0: never */
};

struct project {
	const struct project_conf *conf;   /* points into the configuration */
	struct hsm_key *key;               /* the primary */
	struct pgpkey pub;                 /* key, grip, fpr, sexp at conf->created */
	enum project_model model;
	struct keystate ks;                /* PROJECT_SUBKEYS only */
	struct project_subkey *subs;       /* ks.nsubs of them, oldest first */
};

struct project_table {
	struct project *v;
	size_t n;
};

/* Resolve every project of CFG on HSM: parse its key URI (its token, if
 * named, must be [hsm] token), find the private key by object label and/or
 * id, read n/e, check the size against `algo` and compute grip, fingerprint
 * and S-expression; then read its key state (if any) and resolve each
 * subkey the same way by its label.  Any failure is an error naming the
 * project in ERR ("FILE:LINE: project acme: key pkcs11:…: not found on the
 * token", or the key state file's "FILE:LINE: reason"). */
gpg_error_t project_table_load(const struct signet_config *cfg, struct hsm *hsm,
                               struct project_table **table, char *err, size_t errlen);
void project_table_free(struct project_table *table);

/* Resolve only project NAME of CFG into *P, as project_table_load() does
 * (for an admin command that must not hold the daemon's table while it
 * works).  GPG_ERR_NOT_FOUND if CFG has no project NAME.  P->conf points
 * into CFG; free P's keys with project_release() before CFG. */
gpg_error_t project_load_one(const struct signet_config *cfg, const char *name, struct hsm *hsm,
                             struct project *p, char *err, size_t errlen);
void project_release(struct project *p);

/* NULL if TABLE has no project NAME. */
const struct project *project_table_find(const struct project_table *table, const char *name);

/* The key SIGN may use for P at NOW, named by GRIP (40 hex, any case) or,
 * GRIP NULL, the current one: *KEY and *PUB (the current or an in-overlap
 * subkey; a legacy project's primary).  Never the primary of a subkey
 * project.  Otherwise an error with a reason in WHY: SIGNET_ERR_KEY_USAGE
 * (the primary, an unknown grip), SIGNET_ERR_KEY_EXPIRED (an old subkey
 * past its overlap: *PUB is set to it, for the record, *KEY stays NULL),
 * SIGNET_ERR_NO_KEY (no certificate yet). */
gpg_error_t project_signing_key(const struct project *p, const char *grip, int64_t now,
                                const struct hsm_key **key, const struct pgpkey **pub,
                                char *why, size_t whylen);

/* The token's key type for a project's ALGO (HSM_KT_NONE: none). */
enum hsm_keytype project_key_type(enum key_algo algo);

/* Resolve the key labelled LABEL on HSM as a key of ALGO (its type, and
 * for RSA its size) created at CREATED: *KEY (hsm_key_free()) and PUB.
 * WHY gets a reason. */
gpg_error_t project_resolve_label(struct hsm *hsm, const char *label, enum key_algo algo,
                                  uint32_t created, struct hsm_key **key, struct pgpkey *pub,
                                  char *why, size_t whylen);

#endif
