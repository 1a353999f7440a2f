/* pgpkey.h — what gpg needs to know about an RSA public key held on the HSM:
 * libgcrypt's canonical S-expression and keygrip (so they match gpg-agent's
 * byte for byte, scd-protocol §5.2/§5.3) and the OpenPGP v4 fingerprint for
 * a given creation time (RFC 4880 §12.2, scd-protocol §5.5). */
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
 * stripped) and CREATED.  GPG_ERR_INV_VALUE for sizes out of range. */
gpg_error_t pgpkey_from_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                            uint32_t created, struct pgpkey *key);

/* Parse a canonical public-key S-expression (as READKEY returns it) back into
 * KEY (created is set to CREATED).  Used by signet-scd. */
gpg_error_t pgpkey_from_sexp(const uint8_t *sexp, size_t len, uint32_t created, struct pgpkey *key);

/* The 4-byte public-key packet body length + body (RFC 4880 §5.5.2) into
 * OUT.  Used for the fingerprint and the certificate. */
gpg_error_t pgpkey_packet_body(const struct pgpkey *key, uint8_t *out, size_t outlen, size_t *len);

#endif
