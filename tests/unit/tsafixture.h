/* tsafixture.h — test material for the TSA unit tests: a self-signed
 * time-stamping certificate (EKU timeStamping, critical) for a new key,
 * its own trust anchor.  Test material only. */
#ifndef SIGNET_TESTS_TSAFIXTURE_H
#define SIGNET_TESTS_TSAFIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* A new key (ALG "P-256" or "RSA-3072") and its certificate with common
 * name CN.  0 on success, -1 on failure (nothing to free then). */
int tsafixture_make(const char *cn, const char *alg, EVP_PKEY **keyp, X509 **certp);

/* CERT as PEM in a new file under /tmp, its name in PATH.  0 or -1. */
int tsafixture_write_pem(X509 *cert, char *path, size_t pathlen);

/* The DER TimeStampResp OpenSSL's TS_RESP_CTX makes for the DER
 * TimeStampReq QUERY, signed by KEY/CERT (SHA-256, ESS cert id SHA-256)
 * under POLICY; MD is the one imprint algorithm it accepts.  *OUT
 * (malloc, *OUTLEN bytes).  0 or -1. */
int tsafixture_reply(EVP_PKEY *key, X509 *cert, const EVP_MD *md, const char *policy,
                     const uint8_t *query, size_t query_len, uint8_t **out, size_t *outlen);

#endif
