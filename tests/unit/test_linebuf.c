/* test_linebuf.c — the bounded Assuan line reader (common/linebuf.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "linebuf.h"

/* Feed LEN bytes of S as reads of at most CHUNK bytes. */
static void
feed(struct linebuf *lb, const char *s, size_t len)
{
	size_t room;
	char *p = linebuf_space(lb, &room);

	assert_true(len <= room);
	memcpy(p, s, len);
	linebuf_added(lb, len);
}

static void
test_lines(void **state)
{
	struct linebuf lb;
	size_t n, room;

	(void)state;
	linebuf_init(&lb);
	assert_int_equal(linebuf_next(&lb, &n), LINEBUF_MORE);
	assert_false(linebuf_partial(&lb));
	feed(&lb, "GETI", 4);
	assert_int_equal(linebuf_next(&lb, &n), LINEBUF_MORE);
	assert_true(linebuf_partial(&lb));
	feed(&lb, "NFO pid\nNOP\nRE", 14);
	assert_int_equal(linebuf_next(&lb, &n), LINEBUF_LINE);
	assert_int_equal(n, 12);
	assert_memory_equal(lb.buf, "GETINFO pid\n", 12);
	/* Held until consumed; nothing more is read meanwhile. */
	assert_int_equal(linebuf_next(&lb, &n), LINEBUF_LINE);
	linebuf_space(&lb, &room);
	assert_int_equal(room, 0);
	linebuf_consume(&lb, n);
	assert_int_equal(linebuf_next(&lb, &n), LINEBUF_LINE);
	assert_int_equal(n, 4);
	linebuf_consume(&lb, n);
	assert_int_equal(linebuf_next(&lb, &n), LINEBUF_MORE);
	assert_true(linebuf_partial(&lb));
	assert_int_equal(lb.len, 2);
}

static void
test_longest_line(void **state)
{
	char line[LINEBUF_MAX];
	struct linebuf lb;
	size_t n;

	(void)state;
	memset(line, 'a', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	linebuf_init(&lb);
	feed(&lb, line, sizeof(line));
	assert_int_equal(linebuf_next(&lb, &n), LINEBUF_LINE);
	assert_int_equal(n, LINEBUF_MAX);
}

static void
test_too_long(void **state)
{
	char chunk[LINEBUF_MAX];
	struct linebuf lb;
	size_t n, room;

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	linebuf_init(&lb);
	feed(&lb, chunk, sizeof(chunk));
	assert_int_equal(linebuf_next(&lb, &n), LINEBUF_TOO_LONG);
	assert_true(linebuf_partial(&lb));
	/* The rest is dropped up to the newline; what follows is a line. */
	feed(&lb, chunk, 500);
	assert_int_equal(linebuf_next(&lb, &n), LINEBUF_MORE);
	feed(&lb, "xx\nNOP\n", 7);
	assert_int_equal(linebuf_next(&lb, &n), LINEBUF_LINE);
	assert_int_equal(n, 4);
	assert_memory_equal(lb.buf, "NOP\n", 4);
	linebuf_consume(&lb, n);
	assert_false(linebuf_partial(&lb));
	linebuf_space(&lb, &room);
	assert_int_equal(room, LINEBUF_MAX);
}

static void
test_overflow(void **state)
{
	char chunk[LINEBUF_MAX];
	struct linebuf lb;
	size_t n, total = 0;
	enum linebuf_event ev;

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	linebuf_init(&lb);
	feed(&lb, chunk, sizeof(chunk));
	assert_int_equal(linebuf_next(&lb, &n), LINEBUF_TOO_LONG);
	do {
		feed(&lb, chunk, sizeof(chunk));
		total += sizeof(chunk);
		ev = linebuf_next(&lb, &n);
	} while (ev == LINEBUF_MORE && total < 2 * LINEBUF_MAX_SKIP);
	assert_int_equal(ev, LINEBUF_OVERFLOW);
	assert_true(total <= LINEBUF_MAX_SKIP + LINEBUF_MAX);
}

static void
test_skip_fd(void **state)
{
	static char big[LINEBUF_MAX_SKIP + 10];
	int fd[2];

	(void)state;
	/* Rest of a long line, then the next command stays unread. */
	assert_int_equal(pipe(fd), 0);
	assert_int_equal(write(fd[1], "yyyy\nNOP\n", 9), 9);
	assert_int_equal(linebuf_skip_fd(fd[0]), 0);
	{
		char rest[5] = "";
		assert_int_equal(read(fd[0], rest, 4), 4);
		assert_memory_equal(rest, "NOP\n", 4);
	}
	close(fd[1]);
	assert_int_equal(linebuf_skip_fd(fd[0]), -1);   /* EOF */
	close(fd[0]);
	/* Past the limit: -1 without reading to the end. */
	assert_int_equal(pipe(fd), 0);
	memset(big, 'z', sizeof(big));
	if (fork() == 0) {
		size_t off = 0;
		ssize_t k;

		close(fd[0]);
		while (off < sizeof(big) && (k = write(fd[1], big + off, sizeof(big) - off)) > 0)
			off += (size_t)k;
		_exit(0);
	}
	close(fd[1]);
	assert_int_equal(linebuf_skip_fd(fd[0]), -1);
	close(fd[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_longest_line),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_skip_fd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
