/* test_serial.c — the virtual card's serial number. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "serial.h"

static void
test_format(void **state)
{
	const uint8_t inst[SERIAL_INSTANCE_LEN] = { 0x1a, 0x2b, 0x3c, 0x4d };
	char out[SERIAL_HEX_LEN + 1];

	(void)state;
	assert_int_equal(serial_format(inst, out, sizeof(out)), 0);
	assert_string_equal(out, "D276000124010304FFFE1A2B3C4D0000");
	assert_true(serial_is_valid(out));
	assert_int_equal(gpg_err_code(serial_format(inst, out, SERIAL_HEX_LEN)), GPG_ERR_BUFFER_TOO_SHORT);
}

static void
test_parse_instance(void **state)
{
	uint8_t inst[SERIAL_INSTANCE_LEN];
	char out[SERIAL_HEX_LEN + 1];

	(void)state;
	assert_int_equal(serial_parse_instance("1a2B3c4D", inst), 0);
	assert_int_equal(serial_format(inst, out, sizeof(out)), 0);
	assert_string_equal(out, "D276000124010304FFFE1A2B3C4D0000");
	assert_int_not_equal(serial_parse_instance("1A2B3C4", inst), 0);
	assert_int_not_equal(serial_parse_instance("1A2B3C4D5", inst), 0);
	assert_int_not_equal(serial_parse_instance("1A2B3C4G", inst), 0);
	assert_int_not_equal(serial_parse_instance("", inst), 0);
	assert_int_not_equal(serial_parse_instance(NULL, inst), 0);
}

static void
test_valid(void **state)
{
	(void)state;
	assert_true(serial_is_valid("D276000124010304FFFE123456780000"));
	assert_true(serial_is_valid("D276000124010200000500001234ABCD"));
	assert_false(serial_is_valid("d276000124010304fffe123456780000"));  /* lower case */
	assert_false(serial_is_valid("D276000124010304FFFE12345678000"));   /* 31 */
	assert_false(serial_is_valid("D276000124010304FFFE1234567800000")); /* 33 */
	assert_false(serial_is_valid("D276000124020304FFFE123456780000"));  /* not OpenPGP */
	assert_false(serial_is_valid("D276000124010304FFFE12345678000 "));
	assert_false(serial_is_valid(""));
	assert_false(serial_is_valid(NULL));
}

static void
test_display(void **state)
{
	char out[14];

	(void)state;
	assert_int_equal(serial_display("D276000124010304FFFE1A2B3C4D0000", out, sizeof(out)), 0);
	assert_string_equal(out, "FFFE 1A2B3C4D");
	assert_int_equal(gpg_err_code(serial_display("D276000124010304FFFE1A2B3C4D0000", out, 13)),
	                 GPG_ERR_BUFFER_TOO_SHORT);
	assert_int_equal(gpg_err_code(serial_display("nonsense", out, sizeof(out))), GPG_ERR_INV_VALUE);
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse_instance),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_display),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
