/* p11find.h — the one private key named by a label and/or CKA_ID, or by
 * an RFC 7512 PKCS#11 URI (object=, id=), looked up as the logged-in
 * user (a logged-out session does not see private objects: the login is
 * restored first, never "not found" for a dropped login). */
#ifndef SIGNET_P11FIND_H
#define SIGNET_P11FIND_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

#include "p11key.h"
#include "p11login.h"
#include "p11uri.h"

/* Count (up to 2) private keys of any type with LABEL (NULL: any) and ID
 * (ID_LEN 0: any); *FIRST gets one. */
CK_RV p11find_private(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, const char *label, const uint8_t *id,
                      size_t id_len, CK_OBJECT_HANDLE *first, CK_ULONG *count);

/* The single private key with LABEL and/or ID on session S of LOGIN, and
 * its type.  GPG_ERR_NOT_FOUND if there is none, GPG_ERR_AMBIGUOUS if
 * several match, GPG_ERR_INV_ARG if neither is given: the caller words
 * those (ERR is set for PKCS#11 failures only). */
gpg_error_t p11find_key(struct p11login *login, CK_SESSION_HANDLE s, const char *label, const uint8_t *id,
                        size_t id_len, CK_OBJECT_HANDLE *key, enum p11_keytype *type, char *err,
                        size_t errlen);

/* p11find_key() with object= and id= of URI. */
gpg_error_t p11find_uri(struct p11login *login, CK_SESSION_HANDLE s, const struct p11uri *uri,
                        CK_OBJECT_HANDLE *key, enum p11_keytype *type, char *err, size_t errlen);

#endif
