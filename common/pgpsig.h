/* pgpsig.h — one OpenPGP v4 signature packet (RFC 4880 §5.2.3), RSA,
 * ECDSA or EdDSA with SHA-256 (SHA-384 for a P-384 signer: gpg refuses an
 * ECDSA hash shorter than the curve), made through a callback (the private key may be on the HSM) and
 * checked against the signer's public key before it is handed out.  Used by
 * pgpcert for self-certifications and (sub)key binding signatures.
 *
 * Every signature carries, in its hashed area, a creation time first and an
 * issuer fingerprint (subpacket 33, draft-ietf-openpgp-rfc4880bis, what gpg
 * 2.2 writes and reads) last, with the caller's subpackets between them, and
 * in its unhashed area the issuer key ID (16).  Needs libgcrypt initialised
 * (pgpkey.h). */
#ifndef SIGNET_PGPSIG_H
#define SIGNET_PGPSIG_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>
#include "hashalgo.h"
#include "pgpkey.h"

/* RFC 4880 §5.2.1 signature types Signet makes. */
#define PGPSIG_BINARY          0x00
#define PGPSIG_POSITIVE_CERT   0x13
#define PGPSIG_SUBKEY_BINDING  0x18
#define PGPSIG_PRIMARY_BINDING 0x19

/* RFC 4880 §5.2.3.1 subpacket types. */
#define PGPSIG_SUB_CREATION_TIME 2
#define PGPSIG_SUB_KEY_EXPIRES   9
#define PGPSIG_SUB_PREF_SYM      11
#define PGPSIG_SUB_ISSUER        16
#define PGPSIG_SUB_PREF_HASH     21
#define PGPSIG_SUB_PREF_COMPR    22
#define PGPSIG_SUB_KEY_FLAGS     27
#define PGPSIG_SUB_FEATURES      30
#define PGPSIG_SUB_EMBEDDED_SIG  32
#define PGPSIG_SUB_ISSUER_FPR    33

/* At most this many bytes of caller subpackets (enough for key flags,
 * preferences, a key expiration and an embedded RSA-4096 signature). */
#define PGPSIG_MAX_SUBS 1024
/* Longest packet body pgpsig_make() writes: version..hashed length (6),
 * creation time (6), caller subpackets, issuer fpr (23), unhashed area (12),
 * hash left 16 bits (2), MPI (2 + modulus). */
#define PGPSIG_MAX (6 + 6 + PGPSIG_MAX_SUBS + 23 + 12 + 2 + 2 + PGPKEY_MAX_MODULUS)

/* Sign DIGEST (DIGEST_LEN bytes of ALGO) with the private half of SIGNER
 * into SIG (SIGMAX), *SIGLEN, in the form pgpkey_sig_len() gives the size
 * of: RSA: PKCS#1 v1.5 of modulus length (the callback adds the DigestInfo
 * itself); ECDSA: r || s over the digest's leftmost field-size bytes;
 * EdDSA: R || S over the digest as the message. */
typedef gpg_error_t (*pgpsig_sign_fn)(void *opaque, const struct pgpkey *signer,
                                      const struct hashalgo *algo,
                                      const uint8_t *digest, size_t digest_len,
                                      uint8_t *sig, size_t sigmax, size_t *siglen);

/* A run of bytes the signature covers before its own hashed part. */
struct pgpsig_chunk {
	const void *data;
	size_t len;
};

struct pgpsig_spec {
	unsigned int type;                  /* PGPSIG_* */
	uint32_t created;                   /* signature creation time */
	const struct pgpkey *signer;
	const uint8_t *subs;                /* encoded hashed subpackets */
	size_t subs_len;                    /* at most PGPSIG_MAX_SUBS */
	const struct pgpsig_chunk *covered; /* RFC 4880 §5.2.4: the data, or */
	size_t ncovered;                    /* the key/user ID hash forms */
};

/* Check SIG (SIG_LEN bytes, the raw form of pgpsig_sign_fn) by KEY over
 * DIGEST of ALGO with libgcrypt: 0 or GPG_ERR_BAD_SIGNATURE
 * (GPG_ERR_INV_LENGTH: DIGEST_LEN is not ALGO's).  ECDSA and EdDSA
 * signatures from a card are checked by neither gpg-agent nor gpg, so
 * policyd checks every one it returns. */
gpg_error_t pgpsig_verify_digest(const struct pgpkey *key, const struct hashalgo *algo,
                                 const uint8_t *digest, size_t digest_len,
                                 const uint8_t *sig, size_t sig_len);

/* Make the signature SPEC describes: SIGN is called once; its answer must
 * verify against SPEC->signer.  The signature packet body (no packet
 * header: ready for pgpwrite_packet() or an embedded-signature subpacket)
 * into OUT (OUTMAX; PGPSIG_MAX is always enough), *OUTLEN.  Errors:
 * GPG_ERR_INV_VALUE (missing argument, subpackets too long),
 * GPG_ERR_BAD_SIGNATURE (the signature does not verify, or is not of
 * pgpkey_sig_len()), GPG_ERR_BUFFER_TOO_SHORT, or SIGN's own error;
 * *OUTLEN is 0 then. */
gpg_error_t pgpsig_make(const struct pgpsig_spec *spec, pgpsig_sign_fn sign, void *opaque,
                        uint8_t *out, size_t outmax, size_t *outlen);

#endif
