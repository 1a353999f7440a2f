/* hashalgo.c — see hashalgo.h.  Prefixes: RFC 8017 §9.2 note 1 (RFC 4880
 * §5.2.2 for RIPEMD-160), as listed in scd-protocol §2.4. */
#include "hashalgo.h"

#include <string.h>
#include <strings.h>
#include <gcrypt.h>

static const uint8_t prefix_md5[] = {
	0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05,
	0x05, 0x00, 0x04, 0x10
};
static const uint8_t prefix_rmd160[] = {
	0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x24, 0x03, 0x02, 0x01, 0x05, 0x00, 0x04,
	0x14
};
static const uint8_t prefix_sha1[] = {
	0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
	0x14
};
static const uint8_t prefix_sha224[] = {
	0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	0x04, 0x05, 0x00, 0x04, 0x1c
};
static const uint8_t prefix_sha256[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	0x01, 0x05, 0x00, 0x04, 0x20
};
static const uint8_t prefix_sha384[] = {
	0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	0x02, 0x05, 0x00, 0x04, 0x30
};
static const uint8_t prefix_sha512[] = {
	0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	0x03, 0x05, 0x00, 0x04, 0x40
};

#define ENTRY(nm, gcry, pgp, len, pfx, idx) \
	{ nm, gcry, pgp, len, pfx, sizeof(pfx), 1u << (idx) }

/* The bit of an entry is its index: keep the order stable, masks may be
 * stored. */
static const struct hashalgo table[] = {
	ENTRY("md5",    GCRY_MD_MD5,    1,  16, prefix_md5,    0),
	ENTRY("rmd160", GCRY_MD_RMD160, 3,  20, prefix_rmd160, 1),
	ENTRY("sha1",   GCRY_MD_SHA1,   2,  20, prefix_sha1,   2),
	ENTRY("sha224", GCRY_MD_SHA224, 11, 28, prefix_sha224, 3),
	ENTRY("sha256", GCRY_MD_SHA256, 8,  32, prefix_sha256, 4),
	ENTRY("sha384", GCRY_MD_SHA384, 9,  48, prefix_sha384, 5),
	ENTRY("sha512", GCRY_MD_SHA512, 10, 64, prefix_sha512, 6),
};

#define NALGO (sizeof(table) / sizeof(table[0]))

const struct hashalgo *
hashalgo_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < NALGO; i++) {
		if (strcasecmp(name, table[i].name) == 0)
			return &table[i];
	}
	return NULL;
}

const struct hashalgo *
hashalgo_by_gcry(int gcry_algo)
{
	size_t i;

	for (i = 0; i < NALGO; i++) {
		if (table[i].gcry_algo == gcry_algo)
			return &table[i];
	}
	return NULL;
}

const struct hashalgo *
hashalgo_at(size_t i)
{
	return i < NALGO ? &table[i] : NULL;
}

gpg_error_t
hashalgo_strip_prefix(const struct hashalgo *algo, const uint8_t *data, size_t len,
                      const uint8_t **digest)
{
	if (digest != NULL)
		*digest = NULL;
	if (algo == NULL || data == NULL || digest == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	/* scd-protocol §5.6: the whole DigestInfo of exactly this algorithm,
	 * or a bare digest of its length; a prefix of another algorithm is
	 * refused, so the digest signed is the one the policy checked. */
	if (len == algo->prefix_len + algo->digest_len &&
	    memcmp(data, algo->prefix, algo->prefix_len) == 0) {
		*digest = data + algo->prefix_len;
		return 0;
	}
	if (len == algo->digest_len) {
		*digest = data;
		return 0;
	}
	return gpg_error(GPG_ERR_INV_VALUE);
}

unsigned int
hashalgo_default_mask(void)
{
	return hashalgo_by_name("sha256")->bit | hashalgo_by_name("sha384")->bit |
	       hashalgo_by_name("sha512")->bit;
}
