/* p11sign.h — one signature on a PKCS#11 session, with the mechanism
 * that fits the key type: CKM_RSA_PKCS (IN: a DigestInfo), CKM_ECDSA (IN:
 * the hash; out r || s, each the curve's size) or CKM_EDDSA (pure
 * Ed25519; IN: the message; out R || S). */
#ifndef SIGNET_P11SIGN_H
#define SIGNET_P11SIGN_H

#include <stddef.h>
#include <stdint.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

#include "p11find.h"
#include "p11key.h"
#include "p11login.h"

/* Largest IN: a DigestInfo is < 100 bytes and an OpenPGP EdDSA "message"
 * is a hash, but an audit checkpoint signs its whole note text (pure
 * Ed25519), up to NOTE_MAX_LEN (signednote.h). */
#define P11SIGN_MAX_IN  8192

/* Sign IN with KEY of TYPE on session S into SIG (SIGMAX bytes); *SIGLEN
 * gets the length.  An ECDSA answer shorter than 2 * the curve's size
 * (a token that strips leading zeros of r and s) is left-padded.
 * CKR_DATA_LEN_RANGE for IN over P11SIGN_MAX_IN. */
CK_RV p11sign_run(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key,
                  enum p11_keytype type, const uint8_t *in, size_t in_len, uint8_t *sig,
                  size_t sigmax, size_t *siglen);

/* p11sign_run() with the key REF on session S of LOGIN; when the token
 * has dropped the login or the key's handle, log in again and find the
 * key again (p11find_retry), once, and sign again. */
CK_RV p11sign_key(struct p11login *login, CK_SESSION_HANDLE s, struct p11keyref *ref, const uint8_t *in,
                  size_t in_len, uint8_t *sig, size_t sigmax, size_t *siglen);

/* The mechanism p11sign_run() uses for TYPE (CKM_VENDOR_DEFINED: none). */
CK_MECHANISM_TYPE p11sign_mechanism(enum p11_keytype type);

#endif
