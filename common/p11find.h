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

/* A key object as found: its handle, and what finds it again — a token
 * may give its objects new handles after a logout (SoftHSM2 does), so a
 * handle kept from start-up can stop working while the key is there. */
struct p11keyref {
	CK_OBJECT_HANDLE handle;      /* p11keyref_handle(): threads share a ref */
	enum p11_keytype type;
	CK_OBJECT_CLASS cls;
	uint8_t label[P11KEY_MAX_LABEL];
	size_t label_len;
	uint8_t id[P11KEY_MAX_ID];
	size_t id_len;
};

/* REF's current handle. */
CK_OBJECT_HANDLE p11keyref_handle(const struct p11keyref *ref);
/* REF for object OBJ of class CLS: its handle, type, CKA_LABEL and
 * CKA_ID. */
CK_RV p11keyref_set(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, CK_OBJECT_CLASS cls,
                    struct p11keyref *ref);

/* After an operation with REF on session S of LOGIN ended with RV: when
 * RV says the login or the handle is gone (CKR_USER_NOT_LOGGED_IN,
 * CKR_OBJECT_HANDLE_INVALID, CKR_KEY_HANDLE_INVALID), log in again if
 * need be and find REF's object again by class, label and CKA_ID (exactly
 * one); 1 then, and the caller tries the operation once more.  0 for any
 * other RV — CKR_OK above all: a done operation is never done twice — or
 * a failed recovery. */
int p11find_retry(struct p11login *login, CK_SESSION_HANDLE s, struct p11keyref *ref, CK_RV rv);

/* Count (up to 2) private keys of any type with LABEL (NULL: any) and ID
 * (ID_LEN 0: any); *FIRST gets one. */
CK_RV p11find_private(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, const char *label, const uint8_t *id,
                      size_t id_len, CK_OBJECT_HANDLE *first, CK_ULONG *count);

/* The single private key with LABEL and/or ID on session S of LOGIN into
 * *REF.  GPG_ERR_NOT_FOUND if there is none, GPG_ERR_AMBIGUOUS if
 * several match, GPG_ERR_INV_ARG if neither is given: the caller words
 * those (ERR is set for PKCS#11 failures only). */
gpg_error_t p11find_key(struct p11login *login, CK_SESSION_HANDLE s, const char *label, const uint8_t *id,
                        size_t id_len, struct p11keyref *ref, char *err, size_t errlen);

/* p11find_key() with object= and id= of URI. */
gpg_error_t p11find_uri(struct p11login *login, CK_SESSION_HANDLE s, const struct p11uri *uri,
                        struct p11keyref *ref, char *err, size_t errlen);

#endif
