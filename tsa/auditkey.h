/* auditkey.h — signet-tsa's audit key: the Ed25519 key on the TSA's token
 * that signs its audit trail's checkpoints (doc/audit-format.md §9.2) and
 * nothing else — never a time-stamp token.  The private key labelled
 * TSA_AUDITKEY_LABEL, generated on the token at the first start
 * (sensitive, never extractable) and found again at every later one. */
#ifndef SIGNET_TSA_AUDITKEY_H
#define SIGNET_TSA_AUDITKEY_H

#include <stddef.h>
#include <gpg-error.h>

#include "audit.h"
#include "hsmkey.h"

#define TSA_AUDITKEY_LABEL "#signet-audit"

/* Find the audit key on HK's token (logged in: hsmkey_open or
 * hsmkey_login), generating it when there is none, and fill *OUT for
 * audit_start_checkpoints: name = ORIGIN (checked with note_name_ok),
 * pub = its Ed25519 public key, sign = pure Ed25519 on the token, ctx =
 * the key within HK (nothing to free: it lives as long as HK, so
 * audit_close before hsmkey_close); timestamp and ts_ctx NULL.  The key
 * is checked with one signature verified against pub.  Errors, with the
 * reason in ERR (ERRLEN bytes): GPG_ERR_INV_NAME (ORIGIN),
 * GPG_ERR_WRONG_PUBKEY_ALGO (the label names a key that is not
 * Ed25519), GPG_ERR_AMBIGUOUS (two keys with the label), SIGNET_ERR_HSM
 * (the token). */
gpg_error_t tsa_auditkey(struct hsmkey *hk, const char *origin, struct audit_signer *out, char *err,
                         size_t errlen);

#endif
