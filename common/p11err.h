/* p11err.h — names of PKCS#11 return values for error messages
 * (signet-policyd's and signet-tsa's token code). */
#ifndef SIGNET_P11ERR_H
#define SIGNET_P11ERR_H

#include <stddef.h>
#include <gpg-error.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

#define P11ERR_MAX_TEXT 32   /* room for "CKR 0x…" of an unnamed value */

/* "CKR_PIN_INCORRECT", or "CKR 0x…" written into BUF (BUFLEN bytes) for
 * a value without a name here. */
const char *p11err_name(CK_RV rv, char *buf, size_t buflen);

/* ERR (ERRLEN bytes) gets "STEP: CKR_…"; returns SIGNET_ERR_HSM, the
 * error of every failed PKCS#11 call. */
gpg_error_t p11err_fail(char *err, size_t errlen, const char *step, CK_RV rv);

#endif
