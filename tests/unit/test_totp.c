/* test_totp.c — RFC 6238 codes, RFC 4648 base32, the otpauth URI. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "totp.h"

static const uint8_t rfc_key[] = "12345678901234567890";   /* RFC 6238 appendix B, SHA-1 */

/* RFC 6238 appendix B (SHA-1), the 8-digit values cut to their last 6. */
static void
test_rfc6238_vectors(void **state)
{
	static const struct { int64_t t; const char *code; } v[] = {
		{ 59, "287082" },          /* 94287082 */
		{ 1111111109, "081804" },  /* 07081804 */
		{ 1111111111, "050471" },  /* 14050471 */
		{ 1234567890, "005924" },  /* 89005924 */
		{ 2000000000, "279037" },  /* 69279037 */
		{ 20000000000LL, "353130" }, /* 65353130 */
	};
	char code[TOTP_CODE_BUF];
	int64_t step;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(totp_code(rfc_key, 20, totp_step(v[i].t), code), 0);
		assert_string_equal(code, v[i].code);
		assert_int_equal(totp_check(rfc_key, 20, v[i].code, v[i].t, &step), 0);
		assert_int_equal(step, v[i].t / 30);
	}
}

static void
test_window(void **state)
{
	char code[TOTP_CODE_BUF];
	int64_t step, now = 1234567890, s = now / 30;

	(void)state;
	/* One step either side is accepted and named; two are not. */
	assert_int_equal(totp_code(rfc_key, 20, s - 1, code), 0);
	assert_int_equal(totp_check(rfc_key, 20, code, now, &step), 0);
	assert_int_equal(step, s - 1);
	assert_int_equal(totp_code(rfc_key, 20, s + 1, code), 0);
	assert_int_equal(totp_check(rfc_key, 20, code, now, &step), 0);
	assert_int_equal(step, s + 1);
	assert_int_equal(totp_code(rfc_key, 20, s + 2, code), 0);
	assert_int_equal(gpg_err_code(totp_check(rfc_key, 20, code, now, &step)), GPG_ERR_BAD_PIN);
	assert_int_equal(step, 0);
	assert_int_equal(totp_code(rfc_key, 20, s - 2, code), 0);
	assert_int_equal(gpg_err_code(totp_check(rfc_key, 20, code, now, &step)), GPG_ERR_BAD_PIN);
}

static void
test_bad_codes(void **state)
{
	static const char *const bad[] = { "", "00592", "0059244", "00592a", " 05924", "005924\n",
	                                   "-05924", "+05924" };
	int64_t step;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(totp_code_ok(bad[i]));
		assert_int_equal(gpg_err_code(totp_check(rfc_key, 20, bad[i], 1234567890, &step)),
		                 GPG_ERR_BAD_PIN);
	}
	assert_true(totp_code_ok("005924"));
}

/* RFC 4648 §10, without the padding. */
static void
test_base32_vectors(void **state)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
	};
	char out[32];
	uint8_t dec[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(totp_base32_encode((const uint8_t *)v[i].in, strlen(v[i].in), out,
		                                    sizeof(out)), 0);
		assert_string_equal(out, v[i].out);
		assert_int_equal(totp_base32_decode(v[i].out, dec, sizeof(dec), &n), 0);
		assert_int_equal(n, strlen(v[i].in));
		assert_memory_equal(dec, v[i].in, n);
	}
	assert_int_equal(totp_base32_decode("mzxw6ytboi", dec, sizeof(dec), &n), 0);
	assert_memory_equal(dec, "foobar", 6);
	assert_int_equal(gpg_err_code(totp_base32_decode("MZXW6YTBO1", dec, sizeof(dec), &n)),
	                 GPG_ERR_INV_DATA);
	assert_int_equal(gpg_err_code(totp_base32_decode("MZX", dec, sizeof(dec), &n)), GPG_ERR_INV_DATA);
	/* Not canonical: "MZ" spells "f" but leaves non-zero bits. */
	assert_int_equal(gpg_err_code(totp_base32_decode("WW", dec, sizeof(dec), &n)), GPG_ERR_INV_DATA);
	assert_int_equal(gpg_err_code(totp_base32_decode("MZ", dec, sizeof(dec), &n)), GPG_ERR_INV_DATA);
	assert_int_equal(gpg_err_code(totp_base32_decode("MZXW6YTBOI", dec, 5, &n)), GPG_ERR_TOO_LARGE);
	/* Too small a buffer: an error and an empty string. */
	assert_int_equal(gpg_err_code(totp_base32_encode((const uint8_t *)"foobar", 6, out, 10)),
	                 GPG_ERR_BUFFER_TOO_SHORT);
	assert_string_equal(out, "");
}

static void
test_uri(void **state)
{
	uint8_t secret[TOTP_SECRET_LEN];
	char uri[TOTP_URI_MAX];

	(void)state;
	memcpy(secret, rfc_key, sizeof(secret));
	assert_int_equal(totp_uri(secret, "alice", "1A2B3C4D", uri, sizeof(uri)), 0);
	assert_string_equal(uri, "otpauth://totp/Signet:alice@1A2B3C4D?secret="
	                         "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Signet&algorithm=SHA1"
	                         "&digits=6&period=30");
	assert_int_equal(totp_uri(secret, "a b&c", "1A2B3C4D", uri, sizeof(uri)), 0);
	assert_non_null(strstr(uri, "Signet:a%20b%26c@1A2B3C4D?"));
	assert_int_equal(gpg_err_code(totp_uri(secret, "alice", "1A2B3C4D", uri, 60)),
	                 GPG_ERR_BUFFER_TOO_SHORT);
	assert_string_equal(uri, "");
}

static void
test_secret_new(void **state)
{
	uint8_t a[TOTP_SECRET_LEN], b[TOTP_SECRET_LEN];

	(void)state;
	assert_int_equal(totp_secret_new(a), 0);
	assert_int_equal(totp_secret_new(b), 0);
	assert_memory_not_equal(a, b, sizeof(a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_vectors),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_bad_codes),
		cmocka_unit_test(test_base32_vectors),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_secret_new),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
