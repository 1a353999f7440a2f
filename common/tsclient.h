/* tsclient.h — a small RFC 3161 time-stamp client: ask a TSA (http:// or
 * https://) for a token over a digest, and verify a token against a CA.
 * The audit checkpoints use it; tests run it against signet-tsa.
 *
 * Tokens are the DER TimeStampToken (a CMS ContentInfo), not the whole
 * TimeStampResp: that is what is kept and verified later (`openssl ts
 * -verify -token_in` reads the same bytes). */
#ifndef SIGNET_TSCLIENT_H
#define SIGNET_TSCLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <gpg-error.h>

#include "hashalgo.h"

#define TSCLIENT_MAX_RESP     (64 * 1024)  /* a TimeStampResp over HTTP */
#define TSCLIENT_MAX_URL      2048
#define TSCLIENT_NONCE_LEN    16           /* random bytes of the nonce */
#define TSCLIENT_MAX_TIMEOUT  600          /* seconds */
#define TSCLIENT_MAX_SERIAL   40           /* hex digits of a token serial (RFC 3161: ≤ 160 bits) */
#define TSCLIENT_MAX_OID      128          /* a dotted policy OID */
#define TSCLIENT_MAX_TIME     40           /* GeneralizedTime as text */

/* What a verified token says. */
struct tsclient_info {
	time_t gen_time;                       /* seconds (fraction dropped) */
	char gen_time_str[TSCLIENT_MAX_TIME];  /* "20261127001800.5Z" as in the token */
	char serial[TSCLIENT_MAX_SERIAL + 1];  /* upper-case hex, no leading zeros */
	char policy[TSCLIENT_MAX_OID];         /* dotted OID */
};

/* Build a DER TimeStampReq over DIGEST (DIGEST_LEN must be ALGO's length)
 * with a fresh random nonce (RAND_bytes) and certReq = WANT_CERT.  *QUERY
 * (*QUERY_LEN bytes) is freed with free(). */
gpg_error_t tsclient_make_query(const struct hashalgo *algo, const uint8_t *digest, size_t digest_len,
                                int want_cert, uint8_t **query, size_t *query_len,
                                char *err, size_t errlen);

/* Check the DER TimeStampResp RESP against the DER TimeStampReq QUERY it
 * answers: PKIStatus granted (or grantedWithMods), else GPG_ERR_NOT_OPERATIONAL
 * with ERR naming the status, the failInfo bits and the server's text; the
 * token's imprint (algorithm and digest) and nonce must echo the query's
 * (GPG_ERR_INV_RESPONSE).  The signature is not checked here
 * (tsclient_verify).  On success *TOKEN (*TOKEN_LEN bytes, free()) is the
 * DER TimeStampToken. */
gpg_error_t tsclient_check_reply(const uint8_t *query, size_t query_len,
                                 const uint8_t *resp, size_t resp_len,
                                 uint8_t **token, size_t *token_len,
                                 char *err, size_t errlen);

/* Ask the TSA at URL (http://host[:port]/path or https://…) for a token
 * over DIGEST: tsclient_make_query, POST (application/timestamp-query,
 * OpenSSL's HTTP client, at most TSCLIENT_MAX_RESP bytes back, HTTP 200 and
 * application/timestamp-reply required), tsclient_check_reply.  TLS_CA_FILE
 * (PEM) verifies an https server (NULL: the system default paths).
 * TIMEOUT_S (1..TSCLIENT_MAX_TIMEOUT) bounds the whole exchange.  Errors:
 * GPG_ERR_INV_ARG (bad URL or arguments), GPG_ERR_NETWORK (connection,
 * TLS or HTTP failure; ERR says which, e.g. "code=415" or "Connection
 * refused"), GPG_ERR_TIMEOUT (no connection in time), and those of
 * tsclient_check_reply. */
gpg_error_t tsclient_request(const char *url, const char *tls_ca_file,
                             const struct hashalgo *algo, const uint8_t *digest, size_t digest_len,
                             int want_cert, unsigned timeout_s,
                             uint8_t **token, size_t *token_len,
                             char *err, size_t errlen);

/* Verify the DER TimeStampToken TOKEN: the signature, the signer's chain
 * up to a certificate in CA_FILE (PEM) with extendedKeyUsage timeStamping,
 * the ESS signing-certificate binding, the version, and that the imprint
 * is ALGO over DIGEST.  UNTRUSTED_FILE (PEM, may be NULL) supplies the TSA
 * certificate and intermediates when the token does not carry them (no
 * certReq).  On success *INFO holds the token's time, serial and policy.
 * GPG_ERR_BAD_SIGNATURE when the token does not verify (ERR: OpenSSL's
 * reason), GPG_ERR_INV_ARG (bad arguments), GPG_ERR_INV_VALUE (not a token,
 * unreadable CA file or untrusted file without certificates), GPG_ERR_ENOENT
 * (UNTRUSTED_FILE cannot be opened). */
gpg_error_t tsclient_verify(const uint8_t *token, size_t token_len,
                            const struct hashalgo *algo, const uint8_t *digest, size_t digest_len,
                            const char *ca_file, const char *untrusted_file,
                            struct tsclient_info *info, char *err, size_t errlen);

#endif
