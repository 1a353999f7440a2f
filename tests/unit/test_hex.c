/* test_hex.c — hex encoding and decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "hex.h"

static void
test_encode(void **state)
{
	const uint8_t in[] = { 0x00, 0x1a, 0xff, 0xc3 };
	char out[9];

	(void)state;
	assert_int_equal(hex_encode(in, sizeof(in), out, sizeof(out)), 0);
	assert_string_equal(out, "001AFFC3");
	assert_int_equal(hex_encode_lower(in, sizeof(in), out, sizeof(out)), 0);
	assert_string_equal(out, "001affc3");
	assert_int_equal(hex_encode(in, 0, out, 1), 0);
	assert_string_equal(out, "");
}

static void
test_encode_short(void **state)
{
	const uint8_t in[] = { 1, 2, 3, 4 };
	char out[9];

	(void)state;
	memset(out, 'x', sizeof(out));
	assert_int_equal(gpg_err_code(hex_encode(in, sizeof(in), out, 8)), GPG_ERR_BUFFER_TOO_SHORT);
	assert_string_equal(out, "");
	assert_int_equal(gpg_err_code(hex_encode_lower(in, sizeof(in), out, 0)), GPG_ERR_BUFFER_TOO_SHORT);
	/* A length whose double would wrap must not pass the check. */
	assert_int_equal(gpg_err_code(hex_encode(in, SIZE_MAX / 2 + 1, out, sizeof(out))),
	                 GPG_ERR_BUFFER_TOO_SHORT);
}

static void
test_decode(void **state)
{
	uint8_t out[4];
	size_t n = 99;

	(void)state;
	assert_int_equal(hex_decode("001AfFc3", 8, out, sizeof(out), &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], 0x00);
	assert_int_equal(out[1], 0x1a);
	assert_int_equal(out[2], 0xff);
	assert_int_equal(out[3], 0xc3);
	/* Only INLEN characters count, whatever follows. */
	assert_int_equal(hex_decode("ABzz", 2, out, sizeof(out), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 0xab);
}

static void
test_decode_errors(void **state)
{
	uint8_t out[2];
	size_t n = 99;

	(void)state;
	assert_int_equal(gpg_err_code(hex_decode("", 0, out, sizeof(out), &n)), GPG_ERR_NO_DATA);
	assert_int_equal(n, 0);
	assert_int_equal(gpg_err_code(hex_decode("ABC", 3, out, sizeof(out), &n)), GPG_ERR_INV_DATA);
	assert_int_equal(gpg_err_code(hex_decode("AG", 2, out, sizeof(out), &n)), GPG_ERR_INV_DATA);
	assert_int_equal(gpg_err_code(hex_decode("A ", 2, out, sizeof(out), &n)), GPG_ERR_INV_DATA);
	assert_int_equal(gpg_err_code(hex_decode("0x", 2, out, sizeof(out), &n)), GPG_ERR_INV_DATA);
	assert_int_equal(gpg_err_code(hex_decode("AABBCC", 6, out, sizeof(out), &n)), GPG_ERR_TOO_LARGE);
	assert_int_equal(n, 0);
}

static void
test_digit_value(void **state)
{
	const char *digits = "0123456789abcdef", *upper = "ABCDEF";
	int c, i;

	(void)state;
	for (i = 0; i < 16; i++)
		assert_int_equal(hex_digit_value(digits[i]), i);
	for (i = 0; i < 6; i++)
		assert_int_equal(hex_digit_value(upper[i]), 10 + i);
	for (c = -128; c < 128; c++)
		if (strchr("0123456789abcdefABCDEF", c) == NULL || c == 0)
			assert_int_equal(hex_digit_value((char)c), -1);
}

static void
test_roundtrip(void **state)
{
	uint8_t in[256], back[256];
	char hex[513];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	assert_int_equal(hex_encode(in, sizeof(in), hex, sizeof(hex)), 0);
	assert_int_equal(hex_decode(hex, strlen(hex), back, sizeof(back), &n), 0);
	assert_int_equal(n, sizeof(in));
	assert_memory_equal(in, back, sizeof(in));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_short),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_digit_value),
		cmocka_unit_test(test_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
