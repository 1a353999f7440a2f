/* tsverifyctx.h — hand what a time-stamp token is verified against to an
 * OpenSSL TS_VERIFY_CTX, on OpenSSL 3.0 to 3.5 alike.  OpenSSL 3.4
 * deprecated TS_VERIFY_CTX_set_store/_certs/_imprint for set0_ variants
 * that return a status; both kinds take ownership of what they are given
 * (the context frees it with itself). */
#ifndef SIGNET_TSVERIFYCTX_H
#define SIGNET_TSVERIFYCTX_H

#include <stddef.h>

#include <openssl/ts.h>

/* Give *STORE, *CERTS and *IMPRINT (IMPRINT_LEN bytes, OPENSSL_malloc'd)
 * to VCTX; CERTS and IMPRINT may be NULL or point to NULL (not set).  Each
 * pointer handed over is set to NULL, so the caller frees what was not
 * (after a failure too).  1 on success, 0 when OpenSSL refused one. */
int tsverifyctx_give(TS_VERIFY_CTX *vctx, X509_STORE **store, STACK_OF(X509) **certs,
                     unsigned char **imprint, size_t imprint_len);

#endif
