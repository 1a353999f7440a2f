/* pgpcert.h — a project's OpenPGP certificate (transferable public key,
 * RFC 4880 §11.1): the primary key with its user ID and positive
 * self-certification, then its signing subkeys, each with a subkey binding
 * signature by the primary that embeds the subkey's own primary key binding
 * (back-)signature.  Signatures are made by a callback, so the private keys
 * stay on the HSM, and every one is checked before anything is returned. */
#ifndef SIGNET_PGPCERT_H
#define SIGNET_PGPCERT_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>
#include "pgpkey.h"
#include "pgpsig.h"
#include "hashalgo.h"

#define PGPCERT_MAX_UID     256
/* Room for the primary and PGPCERT_MAX_SUBKEYS RSA-4096 subkeys (about
 * 1.1 KiB for the primary's packets, 1.7 KiB per subkey). */
#define PGPCERT_MAX_SUBKEYS 16
#define PGPCERT_MAX         32768

/* One subkey of the certificate. */
struct pgpcert_subkey {
	const struct pgpkey *key;   /* its public key; key->created = its creation time */
	uint32_t sigtime;           /* creation time of its binding + back signature */
	uint32_t expires;           /* 0: never; else absolute epoch second at which the
	                               subkey expires (key expiration subpacket =
	                               expires - key->created, must be > 0) */
};

/* Sign DIGEST (DIGEST_LEN bytes of ALGO) with the private half of SIGNER
 * (the primary or one of the subkeys, compared by fingerprint): PKCS#1 v1.5
 * signature of modulus length into SIG (SIGMAX), *SIGLEN.  The callback adds
 * the DigestInfo itself; ALGO is always SHA-256. */
typedef pgpsig_sign_fn pgpcert_sign_fn;

#define PGPCERT_PRIMARY_CERTIFY  0x01   /* key flags of the primary's self-sig */
#define PGPCERT_PRIMARY_LEGACY   0x03   /* certify+sign: certificates made before
                                           subkeys (kept on upgrade so old
                                           signatures keep verifying) */

/* Primary public-key packet, user ID, positive self-certification (0x13) at
 * primary->created with key flags PRIMARY_FLAGS (one of the two above) and
 * fixed preferences, then for each of the NSUBS subkeys: public-subkey
 * packet (tag 14) and a subkey binding signature (0x18, by the primary, at
 * sigtime: key flags sign (0x02), key expiration when set, issuer + issuer
 * fingerprint) carrying, in its hashed area, an embedded primary key binding
 * back-signature (0x19, by the subkey, at sigtime) — gpg refuses signing
 * subkeys without it.  Subkeys in the order given (oldest first).  All
 * signatures use SHA-256.
 *
 * With PGPCERT_PRIMARY_LEGACY and no subkeys the result is byte for byte the
 * certificate of the release before subkeys (PKCS#1 v1.5 is deterministic).
 *
 * SIGN is called 1 + 2 * NSUBS times; every signature is checked against its
 * key before anything is returned.  UID is 1 to PGPCERT_MAX_UID bytes of
 * UTF-8 without control characters.  Result in OUT (OUTMAX), *OUTLEN.
 * Errors (*OUTLEN is 0 then):
 *   GPG_ERR_INV_VALUE      a NULL argument, NSUBS over PGPCERT_MAX_SUBKEYS,
 *                          a subkey without a key
 *   GPG_ERR_INV_FLAG       PRIMARY_FLAGS not one of the two above
 *   GPG_ERR_INV_USER_ID    UID empty, too long or not clean UTF-8
 *   GPG_ERR_DUP_KEY        a subkey equal to the primary or to another subkey
 *   GPG_ERR_INV_TIME       a sigtime before its subkey's or the primary's
 *                          creation, or expires set but <= key->created
 *   GPG_ERR_BAD_SIGNATURE  a signature that does not verify against the key
 *                          it was asked of, or empty or longer than its modulus
 *   GPG_ERR_BUFFER_TOO_SHORT  OUTMAX too small
 *   or SIGN's own error.
 * Needs libgcrypt initialised (pgpkey.h). */
gpg_error_t pgpcert_build(const struct pgpkey *primary, unsigned int primary_flags,
                          const char *uid,
                          const struct pgpcert_subkey *subs, size_t nsubs,
                          pgpcert_sign_fn sign, void *opaque,
                          uint8_t *out, size_t outmax, size_t *outlen);

/* ASCII armor (RFC 4880 §6.2, "PGP PUBLIC KEY BLOCK", with CRC-24) of DATA
 * into a new NUL-terminated string *ARMORED (free()).  64-character lines,
 * no armor headers.  GPG_ERR_NO_DATA for LEN 0, GPG_ERR_TOO_LARGE above
 * PGPCERT_MAX, GPG_ERR_ENOMEM; *ARMORED is NULL on error. */
gpg_error_t pgpcert_armor(const uint8_t *data, size_t len, char **armored);

#endif
