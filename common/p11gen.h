/* p11gen.h — key pairs of every Signet key type made on a PKCS#11 token.
 * The private half is a token object that is private, sensitive, never
 * extractable and can only sign; both halves carry the label and CKA_ID
 * given (that pair is how the public half is found again). */
#ifndef SIGNET_P11GEN_H
#define SIGNET_P11GEN_H

#include <stddef.h>
#include <stdint.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

#include <gpg-error.h>

#include "p11key.h"
#include "p11login.h"

/* Generate a key pair of TYPE (BITS: the RSA modulus size, else
 * ignored) on session S: RSA with CKM_RSA_PKCS_KEY_PAIR_GEN and exponent
 * 65537, P-256/P-384 with CKM_EC_KEY_PAIR_GEN, Ed25519 with
 * CKM_EC_EDWARDS_KEY_PAIR_GEN.  *PRIV gets the private key.  The caller
 * checks the label is free (p11find) and the sizes (LABEL non-empty). */
CK_RV p11gen_keypair(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, enum p11_keytype type,
                     unsigned int bits, const char *label, const uint8_t *id, size_t id_len,
                     CK_OBJECT_HANDLE *priv);

/* p11gen_keypair() on session S of LOGIN unless a private key labelled
 * LABEL exists (GPG_ERR_EEXIST): the check runs logged in and, within
 * this process, as one step with the generation (LOGIN's keygen lock).
 * Another process writing the same token could still race; a lookup by
 * label then reports the ambiguity, never a wrong key. */
gpg_error_t p11gen_unique(struct p11login *login, CK_SESSION_HANDLE s, enum p11_keytype type,
                          unsigned int bits, const char *label, const uint8_t *id, size_t id_len,
                          char *err, size_t errlen);

#endif
