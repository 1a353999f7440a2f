/* tsverifyctx.c — see tsverifyctx.h. */
#include "tsverifyctx.h"

#include <limits.h>

#include <openssl/opensslv.h>

/* The three setters of this OpenSSL: set0_ (status) from 3.4 on, the old
 * ones (returning what they set) before. */
#if OPENSSL_VERSION_NUMBER >= 0x30400000L
#define SET_STORE(c, s)      TS_VERIFY_CTX_set0_store((c), (s))
#define SET_CERTS(c, k)      TS_VERIFY_CTX_set0_certs((c), (k))
#define SET_IMPRINT(c, i, l) TS_VERIFY_CTX_set0_imprint((c), (i), (l))
#else
#define SET_STORE(c, s)      (TS_VERIFY_CTX_set_store((c), (s)), 1)
#define SET_CERTS(c, k)      (TS_VERIFY_CTX_set_certs((c), (k)), 1)
#define SET_IMPRINT(c, i, l) (TS_VERIFY_CTX_set_imprint((c), (i), (l)), 1)
#endif

int
tsverifyctx_give(TS_VERIFY_CTX *vctx, X509_STORE **store, STACK_OF(X509) **certs,
                 unsigned char **imprint, size_t imprint_len)
{
	if (vctx == NULL || store == NULL || *store == NULL || imprint_len > (size_t)LONG_MAX)
		return 0;
	if (SET_STORE(vctx, *store) != 1)
		return 0;
	*store = NULL;
	if (certs != NULL && *certs != NULL) {
		if (SET_CERTS(vctx, *certs) != 1)
			return 0;
		*certs = NULL;
	}
	if (imprint != NULL && *imprint != NULL) {
		if (SET_IMPRINT(vctx, *imprint, (long)imprint_len) != 1)
			return 0;
		*imprint = NULL;
	}
	return 1;
}
