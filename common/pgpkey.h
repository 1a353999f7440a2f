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

#endif
