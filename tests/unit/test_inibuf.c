/* test_inibuf.c — line splitting (LF, CRLF, no final newline), line
 * numbers, rewind, and "first error wins" with the exact texts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "inibuf.h"

static void
test_lines(void **state)
{
	static const char text[] = "a = 1\r\n\nlast";
	struct inibuf ib;
	const char *line;
	size_t len;

	(void)state;
	inibuf_init(&ib, "f", text, sizeof(text) - 1, NULL, 0);
	assert_int_equal(inibuf_next_line(&ib, &line, &len), 1);
	assert_int_equal(len, 5);                  /* "\r\n" dropped */
	assert_memory_equal(line, "a = 1", 5);
	assert_int_equal(ib.lineno, 1);
	assert_int_equal(inibuf_next_line(&ib, &line, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(inibuf_next_line(&ib, &line, &len), 1);
	assert_int_equal(len, 4);                  /* no final newline */
	assert_memory_equal(line, "last", 4);
	assert_int_equal(ib.lineno, 3);
	assert_int_equal(inibuf_next_line(&ib, &line, &len), 0);

	inibuf_rewind(&ib);
	assert_int_equal(inibuf_next_line(&ib, &line, &len), 1);
	assert_int_equal(ib.lineno, 1);
	assert_memory_equal(line, "a = 1", 5);
}

static void
test_empty(void **state)
{
	struct inibuf ib;
	const char *line;
	size_t len;

	(void)state;
	inibuf_init(&ib, "f", NULL, 0, NULL, 0);
	assert_int_equal(inibuf_next_line(&ib, &line, &len), 0);
	assert_int_equal(ib.lineno, 0);
}

static void
test_fail(void **state)
{
	static const char text[] = "a\nb\n";
	char err[64] = "junk";
	struct inibuf ib;
	const char *line;
	size_t len;

	(void)state;
	inibuf_init(&ib, "x.conf", text, sizeof(text) - 1, err, sizeof(err));
	assert_string_equal(err, "");
	assert_int_equal(inibuf_next_line(&ib, &line, &len), 1);
	inibuf_fail(&ib, 7, "bad %s", "thing");
	assert_string_equal(err, "x.conf:7: bad thing");
	assert_int_equal(ib.err_line, 7);
	inibuf_fail(&ib, 2, "later");                 /* the first error wins */
	assert_string_equal(err, "x.conf:7: bad thing");
	assert_int_equal(inibuf_next_line(&ib, &line, &len), 0);   /* stops after an error */

	inibuf_init(&ib, "x.conf", text, sizeof(text) - 1, err, sizeof(err));
	inibuf_fail(&ib, 0, "no line");
	assert_string_equal(err, "x.conf: no line");
	assert_int_equal(ib.err_line, -1);

	/* Without an error buffer only err_line is kept. */
	inibuf_init(&ib, "x.conf", text, sizeof(text) - 1, NULL, 5);
	inibuf_fail(&ib, 3, "kept nowhere");
	assert_int_equal(ib.err_line, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_fail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
