/* test_asswrite.c — common/asswrite.c: libassuan's pieces of a line, and
 * the data lines before the line that ends an answer, leave in one write;
 * status lines wait only when asked; nothing is lost, reordered or held
 * past a flush, and a failing write is reported. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "asswrite.h"

/* A raw writer that records each call: what a peer would receive, and in
 * how many writes. */
struct sink {
	char data[3 * ASSWRITE_HOLD_MAX];
	size_t len;
	int writes;
	int fail;          /* the next write fails with EPIPE */
	size_t short_by;   /* the next write takes this many bytes fewer */
	assuan_fd_t last_fd;
};

static struct sink sink;

static ssize_t
raw(assuan_context_t ctx, assuan_fd_t fd, const void *buf, size_t size)
{
	(void)ctx;
	if (sink.fail) {
		sink.fail = 0;
		errno = EPIPE;
		return -1;
	}
	if (sink.short_by > 0 && sink.short_by < size) {
		size -= sink.short_by;
		sink.short_by = 0;
	}
	assert_true(sink.len + size <= sizeof(sink.data));
	memcpy(sink.data + sink.len, buf, size);
	sink.len += size;
	sink.writes++;
	sink.last_fd = fd;
	return (ssize_t)size;
}

static int
setup(void **state)
{
	static struct asswrite w;

	memset(&sink, 0, sizeof(sink));
	asswrite_init(&w, raw);
	*state = &w;
	return 0;
}

/* Write the pieces of STR split at each '|', as libassuan would. */
static void
pieces(struct asswrite *w, const char *str)
{
	char buf[512];
	char *p, *save = NULL;

	assert_true(strlen(str) < sizeof(buf));
	strcpy(buf, str);
	for (p = strtok_r(buf, "|", &save); p != NULL; p = strtok_r(NULL, "|", &save))
		assert_int_equal(asswrite_write(w, NULL, 7, p, strlen(p)), (ssize_t)strlen(p));
}

static void
test_line_feed(void **state)
{
	struct asswrite_line l = { 0, 0 };

	(void)state;
	assert_int_equal(asswrite_line_feed(&l, "OK", 2, 0), 1);          /* mid-line */
	assert_int_equal(asswrite_line_feed(&l, "\n", 1, 0), 0);          /* ends an OK line */
	assert_int_equal(asswrite_line_feed(&l, "D abc\n", 6, 0), 1);     /* a data line */
	assert_int_equal(asswrite_line_feed(&l, "S X 1\n", 6, 0), 0);     /* status: sent */
	assert_int_equal(asswrite_line_feed(&l, "S X 1\n", 6, 1), 1);     /* unless asked */
	assert_int_equal(asswrite_line_feed(&l, "D a\nOK\n", 7, 0), 0);   /* ends on OK */
	assert_int_equal(asswrite_line_feed(&l, "OK\nD a\n", 7, 0), 1);   /* ends on data */
	/* "D" apart from its blank is not taken for a data line. */
	assert_int_equal(asswrite_line_feed(&l, "D", 1, 0), 1);
	assert_int_equal(asswrite_line_feed(&l, " x\n", 3, 0), 0);
	assert_int_equal(asswrite_line_feed(&l, "END\n", 4, 0), 0);
}

static void
test_answer_in_one_write(void **state)
{
	struct asswrite *w = *state;

	/* A PKSIGN's answer: the data line, then "OK" and its newline. */
	pieces(w, "D sig\n|OK|\n");
	assert_int_equal(sink.writes, 1);
	assert_int_equal(sink.len, 9);
	assert_memory_equal(sink.data, "D sig\nOK\n", 9);
	assert_int_equal(sink.last_fd, 7);
	/* A command line, then its newline. */
	pieces(w, "SIGN --hash=sha256 x|\n");
	assert_int_equal(sink.writes, 2);
	assert_memory_equal(sink.data + 9, "SIGN --hash=sha256 x\n", 21);
}

static void
test_status_lines(void **state)
{
	struct asswrite *w = *state;

	/* A status line goes out at once: it may be a sign of life sent
	 * while the command still waits. */
	pieces(w, "S PROGRESS 3|\n");
	assert_int_equal(sink.writes, 1);
	/* Held when the handler asks, until the answer's last line... */
	asswrite_hold_status(w);
	pieces(w, "S SERIALNO 0011|\n|OK|\n");
	assert_int_equal(sink.writes, 2);
	assert_memory_equal(sink.data + 13, "S SERIALNO 0011\nOK\n", 19);
	/* ...and only for that answer. */
	pieces(w, "S PROGRESS 4|\n");
	assert_int_equal(sink.writes, 3);
}

static void
test_flush(void **state)
{
	struct asswrite *w = *state;

	pieces(w, "D a\n|D b\n|ER");
	assert_int_equal(sink.writes, 0);
	assert_int_equal(asswrite_flush(w, NULL), 0);
	assert_int_equal(sink.writes, 1);
	assert_memory_equal(sink.data, "D a\nD b\nER", 10);
	/* Nothing left to flush: no write at all. */
	assert_int_equal(asswrite_flush(w, NULL), 0);
	assert_int_equal(sink.writes, 1);
}

static void
test_large_and_short(void **state)
{
	struct asswrite *w = *state;
	static char big[ASSWRITE_HOLD_MAX + 100];
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	big[0] = 'D';
	big[1] = ' ';
	big[sizeof(big) - 1] = '\n';
	pieces(w, "D first\n");
	assert_int_equal(sink.writes, 0);
	/* More than the writer holds: what it holds goes first, then this. */
	assert_int_equal(asswrite_write(w, NULL, 7, big, sizeof(big)), (ssize_t)sizeof(big));
	assert_int_equal(sink.len, 8 + sizeof(big));
	assert_memory_equal(sink.data, "D first\n", 8);
	assert_memory_equal(sink.data + 8, big, sizeof(big));
	/* A short write is retried until all is out. */
	sink.short_by = 5;
	pieces(w, "OK done|\n");
	assert_int_equal(sink.len, 8 + sizeof(big) + 8);
	assert_memory_equal(sink.data + 8 + sizeof(big), "OK done\n", 8);
}

static void
test_failure(void **state)
{
	struct asswrite *w = *state;

	pieces(w, "OK");
	sink.fail = 1;
	errno = 0;
	assert_int_equal(asswrite_write(w, NULL, 7, "\n", 1), -1);
	assert_int_equal(errno, EPIPE);
	/* What failed is gone with the stream, not sent again later. */
	assert_int_equal(asswrite_flush(w, NULL), 0);
	assert_int_equal(sink.writes, 0);
}

static void
test_other_fd(void **state)
{
	struct asswrite *w = *state;

	/* Held bytes never land on another descriptor. */
	assert_int_equal(asswrite_write(w, NULL, 7, "D x\n", 4), 4);
	assert_int_equal(asswrite_write(w, NULL, 8, "OK\n", 3), 3);
	assert_int_equal(sink.writes, 2);
	assert_int_equal(sink.last_fd, 8);
	assert_memory_equal(sink.data, "D x\nOK\n", 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_feed),
		cmocka_unit_test_setup(test_answer_in_one_write, setup),
		cmocka_unit_test_setup(test_status_lines, setup),
		cmocka_unit_test_setup(test_flush, setup),
		cmocka_unit_test_setup(test_large_and_short, setup),
		cmocka_unit_test_setup(test_failure, setup),
		cmocka_unit_test_setup(test_other_fd, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
