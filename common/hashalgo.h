/* hashalgo.h — the digest algorithms gpg-agent may name in PKSIGN.
 *
 * One table: the name gpg uses (--hash=sha256), the libgcrypt id, the
 * OpenPGP id (RFC 4880 §9.4), the digest length and the DER DigestInfo
 * prefix (RFC 8017 §9.2 note 1). */
#ifndef SIGNET_HASHALGO_H
#define SIGNET_HASHALGO_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

struct hashalgo {
	const char *name;        /* "sha256" */
	int gcry_algo;           /* GCRY_MD_SHA256 */
	int pgp_algo;            /* 8 */
	size_t digest_len;       /* 32 */
	const uint8_t *prefix;   /* DigestInfo prefix */
	size_t prefix_len;
	unsigned int bit;        /* 1u << index, for allowed-algorithm masks */
};

#define HASHALGO_MAX_DIGEST 64
#define HASHALGO_MAX_DIGESTINFO (19 + 64)

/* NULL if NAME (case-insensitive) is not known. */
const struct hashalgo *hashalgo_by_name(const char *name);
const struct hashalgo *hashalgo_by_gcry(int gcry_algo);
/* Iterate: returns entry I or NULL past the end. */
const struct hashalgo *hashalgo_at(size_t i);

/* What PKSIGN got in SETDATA, normalised (scd-protocol §5.6): if DATA is the
 * DigestInfo of ALGO, or a bare digest of ALGO's length, set *DIGEST to point
 * into DATA at the bare digest.  GPG_ERR_INV_VALUE otherwise. */
gpg_error_t hashalgo_strip_prefix(const struct hashalgo *algo, const uint8_t *data, size_t len,
                                  const uint8_t **digest);

/* Mask of the default allowed algorithms: sha256 sha384 sha512. */
unsigned int hashalgo_default_mask(void);

#endif
