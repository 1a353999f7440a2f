/* test_percent.c — common/percent.c: the escaping of PROJECT SET values. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "percent.h"

static void
test_round_trip(void **state)
{
	static const char *const in[] = {
		"Mon-Fri 06:00-20:00, Sat 09:00-12:00 Europe/Berlin", "100%", "a\tb\nc", "Jörg <j@x>", "",
		"user:alice group:release",
	};
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(percent_encode(in[i], out, sizeof(out)), 0);
		assert_null(strpbrk(out, " \t\n"));
		assert_int_equal(percent_decode(out), 0);
		assert_string_equal(out, in[i]);
	}
	assert_int_equal(percent_encode("a b%", out, sizeof(out)), 0);
	assert_string_equal(out, "a%20b%25");
}

static void
test_refused(void **state)
{
	char s1[] = "%2", s2[] = "%zz", s3[] = "a%00b", s4[] = "%", out[4];

	(void)state;
	assert_int_not_equal(percent_decode(s1), 0);
	assert_int_not_equal(percent_decode(s2), 0);
	assert_int_not_equal(percent_decode(s3), 0);
	assert_int_not_equal(percent_decode(s4), 0);
	assert_int_not_equal(percent_encode("a b", out, sizeof(out)), 0);   /* "a%20b" needs 6 */
	assert_int_equal(percent_encode("abc", out, sizeof(out)), 0);
	assert_int_not_equal(percent_encode("abcd", out, sizeof(out)), 0);
	assert_int_not_equal(percent_encode("", out, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
