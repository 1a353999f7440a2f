/* p11token.h — tokens of a loaded PKCS#11 module by label: find the
 * initialised one, or make it (C_InitToken, then the user PIN). */
#ifndef SIGNET_P11TOKEN_H
#define SIGNET_P11TOKEN_H

#include <stddef.h>
#include <gpg-error.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

#define P11TOKEN_LABEL_LEN 32    /* CK_TOKEN_INFO.label, blank-padded */
#define P11TOKEN_MAX_SLOTS 64

/* The slot of the initialised token labelled LABEL.  GPG_ERR_NOT_FOUND
 * (ERR says so) if there is none; GPG_ERR_INV_VALUE for a label that is
 * empty or longer than 32 bytes. */
gpg_error_t p11token_find(CK_FUNCTION_LIST_PTR fn, const char *label, CK_SLOT_ID *slot, char *err,
                          size_t errlen);

/* Make the token LABEL on the first slot with an uninitialised token: SO
 * PIN from SO_PIN_FILE, then, logged in as the SO, the user PIN from
 * PIN_FILE.  *CREATED is 0 (and no PIN file is read) when an initialised
 * token with that label exists.  PINs are wiped after use and never in
 * ERR. */
gpg_error_t p11token_init(CK_FUNCTION_LIST_PTR fn, const char *label, const char *so_pin_file,
                          const char *pin_file, int *created, char *err, size_t errlen);

#endif
