/* auditkey.h — signet-policyd's audit key: the Ed25519 key on policyd's
 * token that signs the audit trail's checkpoints (doc/audit-format.md
 * §9.2) and nothing else.  It is the private key labelled AUDITKEY_LABEL,
 * a label no project key can have (project names do not start with '#'),
 * generated on the token at the first start (sensitive, never
 * extractable) and found again at every later one.  hsm.c hands the key
 * out to this module only (hsm_find_audit_key): no project can sign with
 * it, whatever its key URI names. */
#ifndef SIGNET_POLICYD_AUDITKEY_H
#define SIGNET_POLICYD_AUDITKEY_H

#include <stddef.h>
#include <gpg-error.h>

#include "audit.h"
#include "hsm.h"

#define AUDITKEY_LABEL HSM_AUDIT_LABEL

/* Find the audit key on HSM's token, generating it when there is none,
 * and fill *OUT for audit_start_checkpoints: name = ORIGIN (checked with
 * note_name_ok), pub = its Ed25519 public key, sign = pure Ed25519 over
 * the message on the token (hsm_sign_eddsa), ctx = what sign needs;
 * timestamp and ts_ctx are left NULL (policyd_auditts sets them).  The
 * key is checked with one signature verified against pub before it is
 * handed out.  Errors, with the reason in ERR (ERRLEN bytes):
 * GPG_ERR_INV_NAME (ORIGIN), GPG_ERR_WRONG_PUBKEY_ALGO (a key with the
 * label that is not Ed25519), GPG_ERR_AMBIGUOUS (two keys with the
 * label), SIGNET_ERR_HSM (the token).  On success release *OUT with
 * policyd_auditkey_release() after audit_close() (the last checkpoint
 * is signed there), and before hsm_close(). */
gpg_error_t policyd_auditkey(struct hsm *hsm, const char *origin, struct audit_signer *out, char *err,
                             size_t errlen);

/* Free what policyd_auditkey() put in S (its ctx); S is cleared.  NULL
 * and a cleared S are fine. */
void policyd_auditkey_release(struct audit_signer *s);

#endif
