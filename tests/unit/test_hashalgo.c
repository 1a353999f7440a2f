/* test_hashalgo.c — the digest table and DigestInfo prefix stripping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <gcrypt.h>

#include "hashalgo.h"
#include "hex.h"

/* scd-protocol §2.4, as gpg-agent sends them. */
static const struct {
	const char *name;
	const char *prefix_hex;
	size_t len;
} expected[] = {
	{ "md5", "3020300C06082A864886F70D020505000410", 16 },
	{ "rmd160", "3021300906052B2403020105000414", 20 },
	{ "sha1", "3021300906052B0E03021A05000414", 20 },
	{ "sha224", "302D300D06096086480165030402040500041C", 28 },
	{ "sha256", "3031300D060960864801650304020105000420", 32 },
	{ "sha384", "3041300D060960864801650304020205000430", 48 },
	{ "sha512", "3051300D060960864801650304020305000440", 64 },
};

static void
test_table(void **state)
{
	const struct hashalgo *a;
	char hex[2 * HASHALGO_MAX_DIGESTINFO + 1];
	uint8_t asn[32];
	size_t i, asnlen;
	unsigned int bits = 0;

	(void)state;
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		a = hashalgo_by_name(expected[i].name);
		assert_non_null(a);
		assert_string_equal(a->name, expected[i].name);
		assert_int_equal(a->digest_len, expected[i].len);
		assert_int_equal(hex_encode(a->prefix, a->prefix_len, hex, sizeof(hex)), 0);
		assert_string_equal(hex, expected[i].prefix_hex);
		assert_ptr_equal(hashalgo_by_gcry(a->gcry_algo), a);
		assert_int_equal(gcry_md_get_algo_dlen(a->gcry_algo), a->digest_len);
		/* libgcrypt knows the same DER prefix: an independent check. */
		asnlen = sizeof(asn);
		assert_int_equal(gcry_md_algo_info(a->gcry_algo, GCRYCTL_GET_ASNOID, asn, &asnlen), 0);
		assert_int_equal(asnlen, a->prefix_len);
		assert_memory_equal(asn, a->prefix, asnlen);
		assert_int_equal(a->bit & bits, 0);
		bits |= a->bit;
		assert_true(a->prefix_len + a->digest_len <= HASHALGO_MAX_DIGESTINFO);
		assert_true(a->digest_len <= HASHALGO_MAX_DIGEST);
	}
	for (i = 0; hashalgo_at(i) != NULL; i++)
		;
	assert_int_equal(i, sizeof(expected) / sizeof(expected[0]));
	assert_int_equal(hashalgo_by_name("sha256")->pgp_algo, 8);
	assert_int_equal(hashalgo_by_name("sha1")->pgp_algo, 2);
	assert_int_equal(hashalgo_by_name("rmd160")->pgp_algo, 3);
	assert_int_equal(hashalgo_by_name("sha224")->pgp_algo, 11);
}

static void
test_names(void **state)
{
	(void)state;
	assert_ptr_equal(hashalgo_by_name("SHA256"), hashalgo_by_name("sha256"));
	assert_null(hashalgo_by_name("sha3-256"));
	assert_null(hashalgo_by_name(""));
	assert_null(hashalgo_by_name("sha"));
	assert_null(hashalgo_by_name("sha2566"));
	assert_null(hashalgo_by_name(NULL));
	assert_null(hashalgo_by_gcry(GCRY_MD_SHA3_256));
}

static void
test_default_mask(void **state)
{
	unsigned int m = hashalgo_default_mask();

	(void)state;
	assert_true(m & hashalgo_by_name("sha256")->bit);
	assert_true(m & hashalgo_by_name("sha384")->bit);
	assert_true(m & hashalgo_by_name("sha512")->bit);
	assert_false(m & hashalgo_by_name("sha1")->bit);
	assert_false(m & hashalgo_by_name("md5")->bit);
	assert_false(m & hashalgo_by_name("sha224")->bit);
	assert_false(m & hashalgo_by_name("rmd160")->bit);
}

static void
test_strip_prefixed(void **state)
{
	const struct hashalgo *a = hashalgo_by_name("sha256");
	uint8_t buf[HASHALGO_MAX_DIGESTINFO];
	const uint8_t *d = NULL;
	size_t i;

	(void)state;
	memcpy(buf, a->prefix, a->prefix_len);
	for (i = 0; i < a->digest_len; i++)
		buf[a->prefix_len + i] = (uint8_t)(0xa0 + i);
	assert_int_equal(hashalgo_strip_prefix(a, buf, a->prefix_len + a->digest_len, &d), 0);
	assert_ptr_equal(d, buf + a->prefix_len);
}

static void
test_strip_bare(void **state)
{
	const struct hashalgo *a = hashalgo_by_name("sha512");
	uint8_t buf[64] = { 0 };
	const uint8_t *d = NULL;

	(void)state;
	assert_int_equal(hashalgo_strip_prefix(a, buf, 64, &d), 0);
	assert_ptr_equal(d, buf);
	a = hashalgo_by_name("sha1");
	assert_int_equal(hashalgo_strip_prefix(a, buf, 20, &d), 0);
	assert_ptr_equal(d, buf);
}

static void
test_strip_wrong(void **state)
{
	const struct hashalgo *a256 = hashalgo_by_name("sha256");
	const struct hashalgo *a384 = hashalgo_by_name("sha384");
	const struct hashalgo *a1 = hashalgo_by_name("sha1");
	const struct hashalgo *r160 = hashalgo_by_name("rmd160");
	uint8_t buf[HASHALGO_MAX_DIGESTINFO] = { 0 };
	const uint8_t *d = (const uint8_t *)"x";

	(void)state;
	/* Wrong lengths. */
	assert_int_equal(gpg_err_code(hashalgo_strip_prefix(a256, buf, 31, &d)), GPG_ERR_INV_VALUE);
	assert_null(d);
	assert_int_equal(gpg_err_code(hashalgo_strip_prefix(a256, buf, 33, &d)), GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(hashalgo_strip_prefix(a256, buf, 0, &d)), GPG_ERR_INV_VALUE);
	/* Right total length, wrong prefix. */
	assert_int_equal(gpg_err_code(hashalgo_strip_prefix(a256, buf, 51, &d)), GPG_ERR_INV_VALUE);
	/* The DigestInfo of another algorithm. */
	memcpy(buf, a384->prefix, a384->prefix_len);
	assert_int_equal(gpg_err_code(hashalgo_strip_prefix(a256, buf, a384->prefix_len + 48, &d)),
	                 GPG_ERR_INV_VALUE);
	/* sha1 and rmd160 share a length but not a prefix. */
	memcpy(buf, r160->prefix, r160->prefix_len);
	assert_int_equal(gpg_err_code(hashalgo_strip_prefix(a1, buf, r160->prefix_len + 20, &d)),
	                 GPG_ERR_INV_VALUE);
	/* Prefix followed by a digest one byte short. */
	memcpy(buf, a256->prefix, a256->prefix_len);
	assert_int_equal(gpg_err_code(hashalgo_strip_prefix(a256, buf, a256->prefix_len + 31, &d)),
	                 GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(hashalgo_strip_prefix(NULL, buf, 32, &d)), GPG_ERR_INV_VALUE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_default_mask),
		cmocka_unit_test(test_strip_prefixed),
		cmocka_unit_test(test_strip_bare),
		cmocka_unit_test(test_strip_wrong),
	};

	gcry_check_version(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
