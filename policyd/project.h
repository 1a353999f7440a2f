/* project.h — the runtime project table: each configured project with its
 * key resolved on the token.
 *
 * Built from a loaded configuration at start-up and on RELOAD; immutable
 * afterwards (it is part of a configuration snapshot, snapshot.h, which
 * readers hold a reference to while using it). */
#ifndef SIGNET_POLICYD_PROJECT_H
#define SIGNET_POLICYD_PROJECT_H

#include <stddef.h>
#include <gpg-error.h>

#include "config.h"
#include "pgpkey.h"
#include "hsm.h"

struct project {
	const struct project_conf *conf;   /* points into the configuration */
	struct hsm_key *key;
	struct pgpkey pub;                 /* n, e, grip, fpr, sexp at conf->created */
};

struct project_table {
	struct project *v;
	size_t n;
};

/* Resolve every project of CFG on HSM: parse its key URI (its token, if
 * named, must be [hsm] token), find the private key by object label and/or
 * id, read n/e, check the size against `algo` and compute grip, fingerprint
 * and S-expression.  Any failure is an error naming the project and URI in
 * ERR ("FILE:LINE: project acme: key pkcs11:…: not found on the token"). */
gpg_error_t project_table_load(const struct signet_config *cfg, struct hsm *hsm,
                               struct project_table **table, char *err, size_t errlen);
void project_table_free(struct project_table *table);

/* NULL if TABLE has no project NAME. */
const struct project *project_table_find(const struct project_table *table, const char *name);

#endif
