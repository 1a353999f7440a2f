/* certmake.h — the certificates and the request signet-tsa --init makes:
 * a local test CA, the TSA certificate it issues, and a PKCS#10 request
 * for a real CA.  Every signature is made with SHA-256 by the EVP_PKEY
 * given (for --init, a key that signs on the token). */
#ifndef SIGNET_TSA_CERTMAKE_H
#define SIGNET_TSA_CERTMAKE_H

#include <stddef.h>
#include <gpg-error.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define CERTMAKE_CA_DAYS   (10 * 365 + 2)  /* ten years */
#define CERTMAKE_TSA_DAYS  (5 * 365 + 1)   /* five years */
#define CERTMAKE_BACKDATE  3600            /* seconds: notBefore = now - 1 h */
#define CERTMAKE_SERIAL_LEN 16             /* 128-bit random serials */

/* A self-signed X.509 v3 CA certificate for CAKEY, subject CN=CN, a random
 * 128-bit serial, valid now-1h .. +10 years, basicConstraints critical
 * CA:TRUE pathlen:0, keyUsage critical keyCertSign,cRLSign, SKI.  *OUT is
 * new (X509_free).  On error ERR holds the reason. */
gpg_error_t certmake_ca(EVP_PKEY *cakey, const char *cn, X509 **out, char *err, size_t errlen);

/* A TSA certificate for KEY issued by CA (whose key is CAKEY): subject
 * CN=CN, random 128-bit serial, valid now-1h .. +5 years, basicConstraints
 * critical CA:FALSE, keyUsage critical digitalSignature, extendedKeyUsage
 * critical timeStamping, SKI and AKI. */
gpg_error_t certmake_issue(X509 *ca, EVP_PKEY *cakey, EVP_PKEY *key, const char *cn, X509 **out,
                           char *err, size_t errlen);

/* A PKCS#10 request signed by KEY, subject CN=CN, asking for
 * extendedKeyUsage critical timeStamping and keyUsage critical
 * digitalSignature.  *OUT is the PEM text (free()), *OUTLEN bytes. */
gpg_error_t certmake_csr(EVP_PKEY *key, const char *cn, char **out, size_t *outlen, char *err, size_t errlen);

#endif
