/* token.h — granted RFC 3161 tokens built from pre-encoded parts.
 *
 * OpenSSL's TS_RESP_create_response spends two to four times the cost of
 * a P-256 signature on everything around it (it hashes the certificate
 * again for ESSCertIDv2, builds a PKCS7 BIO chain, fetches algorithms from
 * the provider store and parses its own output back), per request.  The
 * parts of a token that never change for one key and certificate are taken
 * once, at start-up, from a reference token OpenSSL makes; a request then
 * costs one TSTInfo, two SHA-256 and the signature.  Only the plain,
 * well-formed request takes this path (tsa_token_accepts); every other one
 * goes to OpenSSL's path, which words the rejections. */
#ifndef SIGNET_TSA_TOKEN_H
#define SIGNET_TSA_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include <gpg-error.h>
#include <openssl/evp.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "tsa.h"

#define TSA_TOKEN_MAX_NONCE  64   /* DER bytes of a nonce the fast path echoes */
#define TSA_TOKEN_MAX_TIME   32   /* "YYYYMMDDHHMMSS.fffZ" and NUL */
#define TSA_TOKEN_MAX_SERIAL 24   /* 64-bit serial in hex and NUL */

struct tsa_token;

/* What the audit record of a token needs (points into the request or into
 * the tsa_token; valid until the request is freed). */
struct tsa_token_info {
	char serial[TSA_TOKEN_MAX_SERIAL]; /* hex, even number of digits */
	char gen_time[TSA_TOKEN_MAX_TIME]; /* as in the token */
	const char *policy;                /* dotted OID */
	const char *hash;                  /* OpenSSL short name, e.g. SHA256 */
	const uint8_t *digest;             /* the message imprint */
	size_t digest_len;
};

/* Pre-encode the constant parts of a token for KEY, CERT and CHAIN (may be
 * NULL) under CFG (policies, accuracy, digests): OpenSSL makes one
 * reference token (one signature with KEY), and one token of ours is
 * checked with CMS_verify.  NSLOTS signing contexts are kept (one per
 * worker; the caller picks a slot no other thread uses meanwhile).  On
 * error ERR holds the reason. */
gpg_error_t tsa_token_new(EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain, const struct tsa_config *cfg,
                          unsigned nslots, struct tsa_token **out, char *err, size_t errlen);

/* Free TK; NULL is fine. */
void tsa_token_free(struct tsa_token *tk);

/* Whether REQ is a request the fast path grants: version 1, an accepted
 * imprint digest of the right length with absent or NULL parameters, no
 * policy or a configured one (its index in *POLICY), no extensions, a
 * nonce of at most TSA_TOKEN_MAX_NONCE DER bytes.  0: not this path. */
int tsa_token_accepts(const struct tsa_token *tk, const TS_REQ *req, size_t *policy);

/* The DER TimeStampResp (status granted) for REQ, which tsa_token_accepts
 * took with POLICY, with SERIAL and time NOW, signed with slot SLOT's
 * context: *OUT (free with free()), *OUTLEN bytes; INFO filled for the
 * audit record. */
gpg_error_t tsa_token_issue(struct tsa_token *tk, unsigned slot, const TS_REQ *req, size_t policy,
                            uint64_t serial, const struct timeval *now, uint8_t **out, size_t *outlen,
                            struct tsa_token_info *info);

/* SERIAL in hex as the audit trail writes it (upper case, an even number
 * of digits, like BN_bn2hex). */
void tsa_token_serial_hex(uint64_t serial, char *out, size_t outlen);

#endif
