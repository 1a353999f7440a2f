/* test_duration.c — common/duration.c: what approval_wait and --overlap
 * accept, and what they refuse. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "duration.h"

#define MAX_366D (366u * 86400u)

static void
test_parse_ok(void **state)
{
	uint32_t s = 1;

	(void)state;
	assert_int_equal(duration_parse("0", MAX_366D, &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(duration_parse("30s", MAX_366D, &s), 0);
	assert_int_equal(s, 30);
	assert_int_equal(duration_parse("30m", MAX_366D, &s), 0);
	assert_int_equal(s, 1800);
	assert_int_equal(duration_parse("12h", MAX_366D, &s), 0);
	assert_int_equal(s, 43200);
	assert_int_equal(duration_parse("7d", MAX_366D, &s), 0);
	assert_int_equal(s, 604800);
	assert_int_equal(duration_parse("366d", MAX_366D, &s), 0);
	assert_int_equal(duration_parse("1d", 86400, &s), 0);
	assert_int_equal(s, 86400);
}

static void
test_parse_refused(void **state)
{
	static const char *const bad[] = {
		"", "7", "d", "0d", "00", "7w", "-7d", "+7d", " 7d", "7d ", "7 d", "7dd",
		"99999999999d", "4294967296s", "1.5h", "0x10s", "7D",
	};
	uint32_t s = 1;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(duration_parse(bad[i], MAX_366D, &s), 0);
		assert_int_equal(s, 0);
	}
	assert_int_not_equal(duration_parse("367d", MAX_366D, &s), 0);
	assert_int_not_equal(duration_parse("86401s", 86400, &s), 0);
	assert_int_not_equal(duration_parse("25h", 86400, &s), 0);
	assert_int_not_equal(duration_parse(NULL, 86400, &s), 0);
}

static void
test_format(void **state)
{
	char out[DURATION_MAX_TEXT];

	(void)state;
	duration_format(0, out, sizeof(out));
	assert_string_equal(out, "0");
	duration_format(900, out, sizeof(out));
	assert_string_equal(out, "15m");
	duration_format(7200, out, sizeof(out));
	assert_string_equal(out, "2h");
	duration_format(86400, out, sizeof(out));
	assert_string_equal(out, "1d");
	duration_format(90, out, sizeof(out));
	assert_string_equal(out, "90s");
	duration_format(UINT32_MAX, out, sizeof(out));
	assert_string_equal(out, "4294967295s");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
