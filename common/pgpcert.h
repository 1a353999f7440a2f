/* pgpcert.h — a project's OpenPGP certificate (transferable public key,
 * RFC 4880 §11.1): public-key packet, user ID packet, positive certification
 * (0x13) self-signature with a fixed creation time.  The signature itself is
 * made by a callback, so the private key stays on the HSM. */
#ifndef SIGNET_PGPCERT_H
#define SIGNET_PGPCERT_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>
#include "pgpkey.h"
#include "hashalgo.h"

#define PGPCERT_MAX_UID 256
#define PGPCERT_MAX     4096

/* Sign DIGEST (DIGEST_LEN bytes of ALGO) with the project key: PKCS#1 v1.5
 * signature of modulus length into SIG (SIGMAX), *SIGLEN. */
typedef gpg_error_t (*pgpcert_sign_fn)(void *opaque, const struct hashalgo *algo,
                                       const uint8_t *digest, size_t digest_len,
                                       uint8_t *sig, size_t sigmax, size_t *siglen);

/* Build the certificate for KEY and UID, self-signed at KEY->created with
 * SHA-256 through SIGN.  Result in OUT (OUTMAX), *OUTLEN.  SIGN is called
 * once, with the bare 32-byte digest (it adds the DigestInfo itself); its
 * signature is checked against KEY before anything is returned.  UID is 1 to
 * PGPCERT_MAX_UID bytes of UTF-8 without control characters.  Errors:
 * GPG_ERR_INV_USER_ID, GPG_ERR_BAD_SIGNATURE (signature does not verify or
 * is longer than the modulus), GPG_ERR_BUFFER_TOO_SHORT, GPG_ERR_INV_VALUE,
 * or SIGN's own error; *OUTLEN is 0 then.  Needs libgcrypt initialised
 * (pgpkey.h). */
gpg_error_t pgpcert_build(const struct pgpkey *key, const char *uid,
                          pgpcert_sign_fn sign, void *opaque,
                          uint8_t *out, size_t outmax, size_t *outlen);

/* ASCII armor (RFC 4880 §6.2, "PGP PUBLIC KEY BLOCK", with CRC-24) of DATA
 * into a new NUL-terminated string *ARMORED (free()).  64-character lines,
 * no armor headers.  GPG_ERR_NO_DATA for LEN 0, GPG_ERR_TOO_LARGE above
 * PGPCERT_MAX, GPG_ERR_ENOMEM; *ARMORED is NULL on error. */
gpg_error_t pgpcert_armor(const uint8_t *data, size_t len, char **armored);

#endif
