/* p11key.h — the key types Signet keeps on a PKCS#11 token, and what
 * tells them apart on the token (CKA_KEY_TYPE, the curve in
 * CKA_EC_PARAMS).  Shared by signet-policyd and signet-tsa. */
#ifndef SIGNET_P11KEY_H
#define SIGNET_P11KEY_H

#include <stddef.h>
#include <stdint.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

/* The same values as policyd's enum hsm_keytype. */
enum p11_keytype {
	P11_KT_NONE = 0,
	P11_KT_RSA,
	P11_KT_P256,
	P11_KT_P384,
	P11_KT_ED25519,
};

#define P11KEY_MAX_PARAMS 32     /* CKA_EC_PARAMS read back ("edwards25519" is 14 bytes) */
#define P11KEY_MAX_POINT  104    /* CKA_EC_POINT: DER OCTET STRING around a P-384 point */
#define P11KEY_MAX_ID     256    /* CKA_ID bytes read back (as many as a URI's id= holds) */
#define P11KEY_MAX_LABEL  256    /* CKA_LABEL bytes read back */

/* The CKA_EC_PARAMS Signet gives a new key of TYPE (NULL for RSA). */
const CK_BYTE *p11key_ec_params(enum p11_keytype type, size_t *len);
/* The size in bytes of one half of TYPE's signature (r or s; R or S),
 * 0 for RSA. */
size_t p11key_half_size(enum p11_keytype type);
/* "RSA", "P-256", "P-384", "Ed25519". */
const char *p11key_name(enum p11_keytype type);

/* The type of key object OBJ (P11_KT_NONE: one Signet does not use). */
CK_RV p11key_type(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj,
                  enum p11_keytype *type);

/* The public key object beside private key PRIV: same CKA_LABEL, same
 * CKA_ID.  *FOUND says how many there are (up to 2); *PUB is set when
 * there is one. */
CK_RV p11key_public_of(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv,
                       CK_OBJECT_HANDLE *pub, CK_ULONG *found);

/* The public key of the EC or Ed25519 private key PRIV of TYPE: the
 * CKA_EC_POINT of its public half (p11key_public_of; a private object has
 * none), unwrapped (p11key_point_unwrap) into Q (QMAX bytes, *QLEN).
 * *FOUND as p11key_public_of's: CKR_OK with *FOUND != 1 means no single
 * public half.  CKR_ATTRIBUTE_VALUE_INVALID for a point of the wrong
 * shape, CKR_BUFFER_TOO_SMALL when it does not fit QMAX. */
CK_RV p11key_point_of(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv,
                      enum p11_keytype type, uint8_t *q, size_t qmax, size_t *qlen, CK_ULONG *found);

/* The bare public key of TYPE in the CKA_EC_POINT value V (VLEN bytes):
 * the DER OCTET STRING wrapper (PKCS#11 2.40 §2.3.3) is removed, a bare
 * value of the right length taken as is.  *Q points into V.  -1 for a
 * value of the wrong shape. */
int p11key_point_unwrap(enum p11_keytype type, const uint8_t *v, size_t vlen, const uint8_t **q,
                        size_t *qlen);

#endif
