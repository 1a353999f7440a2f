/* test_notice.c — the text of the desktop notice (scdaemon-shim/notice.c):
 * what policyd's S REQUEST line becomes in a pinentry window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "../../scdaemon-shim/notice.h"

static void
test_text(void **state)
{
	char out[NOTICE_TEXT_MAX];

	(void)state;
	assert_int_equal(notice_text("rel", "17 2 user:bob group:leads", out, sizeof(out)), 0);
	assert_string_equal(out, "Signet: request 17 (project rel) waits for 2 approval(s) from "
	                    "user:bob group:leads");
}

/* Nothing that pinentry would decode (%) or that would end the Assuan line
 * reaches the text; a long approver list is cut with "...". */
static void
test_hostile(void **state)
{
	char out[NOTICE_TEXT_MAX], args[1024];

	(void)state;
	assert_int_equal(notice_text("rel", "5 1 user:a%0Aforged\t\x01", out, sizeof(out)), 0);
	assert_null(strchr(out, '%'));
	assert_null(strchr(out, '\t'));
	assert_non_null(strstr(out, "user:a?0Aforged??"));
	memset(args, 'x', sizeof(args));
	memcpy(args, "5 1 user:", 9);
	args[sizeof(args) - 1] = '\0';
	assert_int_equal(notice_text("rel", args, out, sizeof(out)), 0);
	assert_true(strlen(out) < NOTICE_TEXT_MAX);
	assert_non_null(strstr(out, "xxx..."));
	/* A small buffer is cut, never overrun. */
	assert_int_equal(notice_text("rel", "17 2 user:bob", out, 10), 0);
	assert_string_equal(out, "Signet: r");
}

static void
test_malformed(void **state)
{
	char out[NOTICE_TEXT_MAX];

	(void)state;
	assert_int_equal(notice_text("rel", "", out, sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(notice_text("rel", "17", out, sizeof(out)), -1);
	assert_int_equal(notice_text("rel", "17 2", out, sizeof(out)), -1);
	assert_int_equal(notice_text("rel", "x 2 user:bob", out, sizeof(out)), -1);
	assert_int_equal(notice_text("rel", "17x 2 user:bob", out, sizeof(out)), -1);
	assert_int_equal(notice_text("rel", "123456789012345678901 2 user:bob", out, sizeof(out)), -1);
	assert_int_equal(notice_text("rel", NULL, out, sizeof(out)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
