/* tsacert.h — the TSA's certificate files: read PEM certificates, check a
 * TSA certificate the RFC 3161 way, verify it against its CA, and write
 * PEM files durably.  Used by the normal start (cert + chain against ca)
 * and by --init / --import. */
#ifndef SIGNET_TSA_TSACERT_H
#define SIGNET_TSA_TSACERT_H

#include <stddef.h>
#include <gpg-error.h>
#include <openssl/x509.h>

#define TSACERT_MAX_CERTS 16       /* certificates in one PEM file */

/* Read the PEM certificates of PATH (no symlink, at most TSA_MAX_PEM bytes,
 * at most TSACERT_MAX_CERTS) into a new *CERTS (sk_X509_pop_free).  A file
 * without a certificate is an error.  GPG_ERR_ENOENT when PATH is missing.
 * On error ERR holds "PATH: reason". */
gpg_error_t tsacert_read_pem(const char *path, STACK_OF(X509) **certs, char *err, size_t errlen);

/* RFC 3161 §2.3: CERT's extendedKeyUsage must be present, hold
 * timeStamping and nothing else, and be critical.  On error ERR says which
 * of these is wrong (GPG_ERR_WRONG_KEY_USAGE). */
gpg_error_t tsacert_check_eku(X509 *cert, char *err, size_t errlen);

/* Verify CERT (with the untrusted intermediates CHAIN, may be NULL) against
 * the trusted certificates CAS, purpose timeStampSigning
 * (X509_verify_cert).  On error ERR holds OpenSSL's reason and the depth
 * (GPG_ERR_BAD_CERT). */
gpg_error_t tsacert_verify(X509 *cert, STACK_OF(X509) *chain, STACK_OF(X509) *cas, char *err, size_t errlen);

/* Replace PATH with the PEM of CERT followed by those of MORE (may be NULL)
 * the durable way (common/atomicfile.h: a temporary file beside it,
 * fsynced, mode 0644, renamed over PATH).  On error ERR holds "PATH: reason" and PATH is unchanged. */
gpg_error_t tsacert_write_pem(const char *path, X509 *cert, STACK_OF(X509) *more, char *err, size_t errlen);

/* The same for any PEM text DATA/LEN already encoded. */
gpg_error_t tsacert_write_file(const char *path, const char *data, size_t len, char *err, size_t errlen);

#endif
