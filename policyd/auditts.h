/* auditts.h — RFC 3161 time-stamps for signet-policyd's audit checkpoints
 * (doc/audit-format.md §9.4): the timestamp callback of struct
 * audit_signer.  It runs on the audit log's checkpoint thread, never on a
 * signing path, and gives up after its deadline: a checkpoint then goes
 * without a token (the log says why), a signature is never held up. */
#ifndef SIGNET_POLICYD_AUDITTS_H
#define SIGNET_POLICYD_AUDITTS_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#include "audit.h"

#define AUDITTS_TIMEOUT_DEFAULT 5    /* seconds for the whole exchange */
#define AUDITTS_TIMEOUT_MAX     30   /* the checkpoint thread waits no longer */

struct auditts;

/* A time-stamp client for the TSA at URL (http:// or https://, at most
 * TSCLIENT_MAX_URL bytes), TLS_CA_FILE (PEM; NULL: the system's) to check
 * an https server, TSA_CA_FILE (PEM; NULL: not checked here) to verify
 * every token's signature before it is kept, and TIMEOUT_S
 * (1..AUDITTS_TIMEOUT_MAX; 0: AUDITTS_TIMEOUT_DEFAULT).  The strings are
 * copied.  GPG_ERR_INV_ARG with ERR (ERRLEN bytes) for a bad URL or
 * timeout. */
gpg_error_t auditts_new(const char *url, const char *tls_ca_file, const char *tsa_ca_file, unsigned timeout_s,
                        struct auditts **ts, char *err, size_t errlen);
/* NULL is fine. */
void auditts_free(struct auditts *ts);

/* S->timestamp = auditts_stamp, S->ts_ctx = TS (which must outlive the
 * audit log: free it after audit_close). */
void auditts_attach(struct auditts *ts, struct audit_signer *s);

/* The callback: a TimeStampToken over the LEN bytes at MSG (SHA-256
 * imprint, a fresh nonce, certReq set so that a verifier needs only the
 * TSA's CA) from TS_CTX's TSA.  The reply must be granted and echo the
 * request's imprint and nonce (tsclient_check_reply), and with a TSA CA
 * file the token must verify against it.  *DER (malloc'd, *DERLEN bytes)
 * is the DER TimeStampToken (the CMS ContentInfo, not the
 * TimeStampResp).  Failures are logged with their reason (log_warn) and
 * returned: GPG_ERR_TIMEOUT, GPG_ERR_NETWORK, GPG_ERR_NOT_OPERATIONAL (the
 * TSA refused), GPG_ERR_INV_RESPONSE, GPG_ERR_BAD_SIGNATURE. */
gpg_error_t auditts_stamp(void *ts_ctx, const uint8_t *msg, size_t len, uint8_t **der, size_t *derlen);

#endif
