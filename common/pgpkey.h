/* pgpkey.h — what gpg needs to know about an RSA public key held on the HSM:
 * libgcrypt's canonical S-expression and keygrip (so they match gpg-agent's
 * byte for byte, scd-protocol §5.2/§5.3) and the OpenPGP v4 fingerprint for
 * a given creation time (RFC 4880 §12.2, scd-protocol §5.5).
 *
 * Uses libgcrypt: every program (and test) must call gcry_check_version()
 * once at start-up, before any thread exists; this module never initialises
 * libgcrypt itself.  All functions are reentrant and do not allocate beyond
 * libgcrypt's own temporaries. */
#ifndef SIGNET_PGPKEY_H
#define SIGNET_PGPKEY_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#define PGPKEY_MAX_MODULUS 512         /* RSA-4096 */
#define PGPKEY_MAX_SEXP    2048
#define PGPKEY_GRIP_HEX    41
#define PGPKEY_FPR_HEX     41

struct pgpkey {
	uint8_t n[PGPKEY_MAX_MODULUS];     /* big-endian, no leading zeros */
	size_t n_len;
	uint8_t e[16];
	size_t e_len;
	uint32_t created;
	unsigned int bits;
	char grip[PGPKEY_GRIP_HEX];        /* 40 upper-case hex */
	char fpr[PGPKEY_FPR_HEX];          /* 40 upper-case hex */
	uint8_t keyid[8];
	uint8_t sexp[PGPKEY_MAX_SEXP];     /* canonical (public-key(rsa(n)(e))) */
	size_t sexp_len;
};

/* Fill KEY from the modulus N and exponent E (big-endian; leading zeros are
 * stripped) and CREATED.  GPG_ERR_INV_VALUE for sizes out of range (n below
 * 1024 bits or above PGPKEY_MAX_MODULUS bytes, e longer than 16 bytes), an
 * even n or e, or e = 1.  N and E must not point into KEY.  On error KEY is
 * zeroed. */
gpg_error_t pgpkey_from_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                            uint32_t created, struct pgpkey *key);

/* Parse a canonical public-key S-expression (as READKEY returns it) back into
 * KEY (created is set to CREATED).  Used by signet-scd.  Accepts exactly
 * (public-key(rsa(n …)(e …))) in canonical form, at most PGPKEY_MAX_SEXP
 * bytes; GPG_ERR_INV_SEXP, GPG_ERR_WRONG_PUBKEY_ALGO, GPG_ERR_TOO_LARGE or the
 * errors of pgpkey_from_rsa otherwise (KEY zeroed).  KEY->sexp is rebuilt;
 * it equals the input when n and e were in gcrypt's STD form (§5.2). */
gpg_error_t pgpkey_from_sexp(const uint8_t *sexp, size_t len, uint32_t created, struct pgpkey *key);

/* The version-4 public-key packet body (RFC 4880 §5.5.2: 0x04, 4-byte
 * creation time, algorithm 1, MPI(n), MPI(e)), without packet header, into
 * OUT (OUTLEN bytes); *LEN gets its length.  Used for the fingerprint and the
 * certificate.  GPG_ERR_BUFFER_TOO_SHORT if it does not fit (at most
 * 10 + PGPKEY_MAX_MODULUS + 16 bytes). */
gpg_error_t pgpkey_packet_body(const struct pgpkey *key, uint8_t *out, size_t outlen, size_t *len);

/* Longest pgpkey_packet_body(), and pgpkey_hash_form() (0x99, 2-byte
 * length, body). */
#define PGPKEY_MAX_BODY      (10 + PGPKEY_MAX_MODULUS + 16)
#define PGPKEY_MAX_HASH_FORM (3 + PGPKEY_MAX_BODY)

/* The bytes a v4 fingerprint (RFC 4880 §12.2) and every key signature
 * (§5.2.4: self-certification, subkey binding, primary key binding) hash for
 * KEY: 0x99, the 2-byte body length, then pgpkey_packet_body().  The same
 * whether KEY is a primary key or a subkey: a subkey's fingerprint and key
 * ID are KEY->fpr and KEY->keyid as pgpkey_from_rsa() computed them with the
 * subkey's own creation time; only the packet tag in a certificate differs
 * (6 or 14).  Into OUT (OUTLEN bytes), *LEN; GPG_ERR_BUFFER_TOO_SHORT below
 * PGPKEY_MAX_HASH_FORM, GPG_ERR_INV_VALUE for an empty KEY. */
gpg_error_t pgpkey_hash_form(const struct pgpkey *key, uint8_t *out, size_t outlen, size_t *len);

#endif
