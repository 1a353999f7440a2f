/* pgpkey.h — what gpg needs to know about a public key held on the HSM (RSA,
 * ECDSA on NIST P-256 or P-384, or EdDSA on Ed25519): libgcrypt's canonical
 * S-expression and keygrip (so they match gpg-agent's byte for byte,
 * scd-protocol §5.2/§5.3) and the OpenPGP v4 public-key packet and
 * fingerprint for a given creation time (RFC 4880 §5.5.2, §12.2; RFC 6637
 * for ECDSA; EdDSA as GnuPG writes it: algorithm 22, the Ed25519 OID
 * 1.3.6.1.4.1.11591.15.1 and the point prefixed with 0x40, which gpg 2.2
 * and 2.4 both read).
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
#define PGPKEY_MAX_Q       97          /* 0x04 || X || Y of P-384 */
#define PGPKEY_MAX_SEXP    2048
#define PGPKEY_GRIP_HEX    41
#define PGPKEY_FPR_HEX     41
#define PGPKEY_NAME_MAX    16          /* "rsa4096", "nistp384", "ed25519" */

/* The key types Signet makes. */
enum pgpkey_type {
	PGPKEY_NONE = 0,
	PGPKEY_RSA,
	PGPKEY_P256,                       /* ECDSA, NIST P-256 */
	PGPKEY_P384,                       /* ECDSA, NIST P-384 */
	PGPKEY_ED25519,                    /* EdDSA, Ed25519 */
};

/* RFC 4880 §9.1 / RFC 6637 §5 public-key algorithm ids. */
#define PGPKEY_ALGO_RSA   1
#define PGPKEY_ALGO_ECDSA 19
#define PGPKEY_ALGO_EDDSA 22

struct pgpkey {
	enum pgpkey_type type;
	unsigned int algo;                 /* PGPKEY_ALGO_* */
	uint8_t n[PGPKEY_MAX_MODULUS];     /* RSA: big-endian, no leading zeros */
	size_t n_len;
	uint8_t e[16];
	size_t e_len;
	uint8_t q[PGPKEY_MAX_Q];           /* EC: 0x04 || X || Y; Ed25519: 0x40 || A */
	size_t q_len;
	uint32_t created;
	unsigned int bits;                 /* RSA: of n; EC: of the curve (256, 384, 255) */
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

/* Fill KEY from the EC public key Q of TYPE (PGPKEY_P256, PGPKEY_P384: the
 * uncompressed point 0x04 || X || Y; PGPKEY_ED25519: the 32 bytes of the
 * public key, or those bytes after a 0x40 prefix) and CREATED.
 * GPG_ERR_INV_VALUE for a length that does not fit TYPE or a point that is
 * not on its curve, GPG_ERR_WRONG_PUBKEY_ALGO for another TYPE.  On error
 * KEY is zeroed. */
gpg_error_t pgpkey_from_ec(enum pgpkey_type type, const uint8_t *q, size_t q_len, uint32_t created,
                           struct pgpkey *key);

/* Parse a canonical public-key S-expression (as READKEY returns it) back into
 * KEY (created is set to CREATED).  Used by signet-scd.  Accepts exactly
 * (public-key(rsa(n …)(e …))), (public-key(ecc(curve NIST P-256|NIST
 * P-384)(q …))) or (public-key(ecc(curve Ed25519)(flags eddsa)(q …))) in
 * canonical form, at most PGPKEY_MAX_SEXP bytes; GPG_ERR_INV_SEXP,
 * GPG_ERR_WRONG_PUBKEY_ALGO (another algorithm or curve), GPG_ERR_TOO_LARGE
 * or the errors of pgpkey_from_rsa / pgpkey_from_ec otherwise (KEY
 * zeroed).  KEY->sexp is rebuilt; it equals the input when n and e were in
 * gcrypt's STD form (§5.2). */
gpg_error_t pgpkey_from_sexp(const uint8_t *sexp, size_t len, uint32_t created, struct pgpkey *key);

/* The version-4 public-key packet body (RFC 4880 §5.5.2: 0x04, 4-byte
 * creation time, algorithm, then MPI(n), MPI(e) for RSA or the curve OID's
 * length and bytes and MPI(q) for EC), without packet header, into
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

/* The name gpg prints for KEY's algorithm (KEYPAIRINFO, --card-status):
 * "rsa<bits>", "nistp256", "nistp384", "ed25519" into OUT (OUTLEN bytes;
 * PGPKEY_NAME_MAX is enough).  GPG_ERR_INV_VALUE for an empty KEY. */
gpg_error_t pgpkey_name(const struct pgpkey *key, char *out, size_t outlen);

/* The type and size a name of pgpkey_name() stands for: PGPKEY_NONE (and
 * *BITS 0) for anything else.  RSA sizes 1024 to 8 * PGPKEY_MAX_MODULUS. */
enum pgpkey_type pgpkey_type_by_name(const char *name, unsigned int *bits);

/* The type of an OpenPGP key of ALGO (PGPKEY_ALGO_ECDSA or _EDDSA) whose
 * curve OID (its DER body, as the key packet carries it) is OID (OID_LEN
 * bytes): PGPKEY_NONE for any curve Signet does not make. */
enum pgpkey_type pgpkey_type_by_oid(unsigned int algo, const uint8_t *oid, size_t oid_len);

/* libgcrypt's and the OpenPGP card's curve name ("NIST P-256", "NIST
 * P-384", "Ed25519"; NULL for RSA) and the OpenPGP algorithm of TYPE
 * (0 for PGPKEY_NONE). */
const char *pgpkey_curve_name(enum pgpkey_type type);
unsigned int pgpkey_type_algo(enum pgpkey_type type);

/* The length of a raw signature by KEY: the modulus length for RSA, r || s
 * of two field sizes for ECDSA (64 or 96), 64 for Ed25519. */
size_t pgpkey_sig_len(const struct pgpkey *key);

#endif
