/* tsafixture.h — test material for the TSA unit tests: a self-signed
 * time-stamping certificate (EKU timeStamping, critical) for a new key,
 * its own trust anchor.  Test material only. */
#ifndef SIGNET_TESTS_TSAFIXTURE_H
#define SIGNET_TESTS_TSAFIXTURE_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* A new key (ALG "P-256" or "RSA-3072") and its certificate with common
 * name CN.  0 on success, -1 on failure (nothing to free then). */
int tsafixture_make(const char *cn, const char *alg, EVP_PKEY **keyp, X509 **certp);

/* CERT as PEM in a new file under /tmp, its name in PATH.  0 or -1. */
int tsafixture_write_pem(X509 *cert, char *path, size_t pathlen);

#endif
