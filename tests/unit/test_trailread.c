/* test_trailread.c — reading a trail back across its segments
 * (common/trailread.c): order, leaf indexes and places, a missing or
 * skipped segment named, and the lines that are not records (too long,
 * NUL, torn) reported at their place. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit.h"
#include "tmpdir.h"
#include "trailread.h"

/* T's folder / NAME into OUT. */
static void
path_of(const struct tmpdir *t, const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s", t->dir, name);

	assert_true(n > 0 && (size_t)n < outlen);
}

static void
write_file(const struct tmpdir *t, const char *name, const void *data, size_t len)
{
	char p[128];
	FILE *f;

	path_of(t, name, p, sizeof(p));
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
write_text(const struct tmpdir *t, const char *name, const char *text)
{
	write_file(t, name, text, strlen(text));
}

static void
expect_line(struct trail_reader *tr, const char *text, uint64_t index, unsigned seg,
            uint64_t lineno, off_t offset)
{
	struct trail_line l;
	char err[256];

	assert_int_equal(trail_next(tr, &l, err, sizeof(err)), 0);
	assert_int_equal(l.len, strlen(text));
	assert_memory_equal(l.data, text, l.len);
	assert_int_equal(l.index, index);
	assert_int_equal(l.segment, seg);
	assert_int_equal(l.lineno, lineno);
	assert_int_equal(l.offset, offset);
}

static void
expect_eof(struct trail_reader *tr)
{
	struct trail_line l;
	char err[256];

	assert_int_equal(gpg_err_code(trail_next(tr, &l, err, sizeof(err))), GPG_ERR_EOF);
}

/* The fault trail_next reports, which must contain WHAT. */
static void
expect_fault(struct trail_reader *tr, const char *what)
{
	struct trail_line l;
	char err[256];

	assert_int_equal(gpg_err_code(trail_next(tr, &l, err, sizeof(err))), GPG_ERR_INV_DATA);
	if (strstr(err, what) == NULL)
		fail_msg("fault '%s' does not say '%s'", err, what);
	/* It stays: the reader never skips past a bad line. */
	assert_int_equal(gpg_err_code(trail_next(tr, &l, err, sizeof(err))), GPG_ERR_INV_DATA);
}

static struct trail_reader *
open_trail(const struct tmpdir *t, unsigned from)
{
	struct trail_reader *tr = NULL;
	char p[128], err[256];

	path_of(t, "a.jsonl", p, sizeof(p));
	if (trail_open(p, from, &tr, err, sizeof(err)) != 0)
		fail_msg("trail_open: %s", err);
	return tr;
}

static void
test_one_file(void **state)
{
	struct tmpdir *t = *state;
	struct trail_reader *tr;

	write_text(t, "a.jsonl", "one\ntwo\n\nfour\n");
	tr = open_trail(t, 0);
	assert_int_equal(trail_nfiles(tr), 1);
	expect_line(tr, "one", 0, 1, 1, 0);
	expect_line(tr, "two", 1, 1, 2, 4);
	expect_line(tr, "", 2, 1, 3, 8);
	expect_line(tr, "four", 3, 1, 4, 9);
	expect_eof(tr);
	expect_eof(tr);
	trail_close(tr);
}

static void
test_empty(void **state)
{
	struct tmpdir *t = *state;
	struct trail_reader *tr;

	write_text(t, "a.jsonl", "");
	tr = open_trail(t, 0);
	expect_eof(tr);
	trail_close(tr);
}

static void
test_segments_in_order(void **state)
{
	struct tmpdir *t = *state;
	struct trail_reader *tr;
	char p[128];

	/* Created out of order, and a name that only looks like a segment. */
	write_text(t, "a.jsonl", "e\n");
	write_text(t, "a.jsonl.000002", "c\nd\n");
	write_text(t, "a.jsonl.000001", "a\nb\n");
	write_text(t, "a.jsonl.0000003", "not a segment\n");
	write_text(t, "a.jsonl.tree", "SGMKHS01");
	tr = open_trail(t, 0);
	assert_int_equal(trail_nfiles(tr), 3);
	path_of(t, "a.jsonl.000001", p, sizeof(p));
	assert_string_equal(trail_file(tr, 0), p);
	path_of(t, "a.jsonl", p, sizeof(p));
	assert_string_equal(trail_file(tr, 2), p);
	assert_null(trail_file(tr, 3));
	expect_line(tr, "a", 0, 1, 1, 0);
	expect_line(tr, "b", 1, 1, 2, 2);
	expect_line(tr, "c", 2, 2, 1, 0);
	expect_line(tr, "d", 3, 2, 2, 2);
	expect_line(tr, "e", 4, 3, 1, 0);
	expect_eof(tr);
	trail_close(tr);
}

static void
test_missing_first(void **state)
{
	struct tmpdir *t = *state;
	struct trail_reader *tr = NULL;
	char p[128], err[256];

	write_text(t, "a.jsonl", "e\n");
	write_text(t, "a.jsonl.000002", "c\n");
	write_text(t, "a.jsonl.000003", "d\n");
	path_of(t, "a.jsonl", p, sizeof(p));
	assert_int_equal(gpg_err_code(trail_open(p, 0, &tr, err, sizeof(err))), GPG_ERR_ENOENT);
	assert_null(tr);
	assert_non_null(strstr(err, "a.jsonl.000001 is missing"));
	assert_non_null(strstr(err, "--from-segment 2"));
	/* Archived on purpose: start at 2, or at 3. */
	tr = open_trail(t, 2);
	trail_set_index(tr, 100);
	expect_line(tr, "c", 100, 2, 1, 0);
	expect_line(tr, "d", 101, 3, 1, 0);
	expect_line(tr, "e", 102, 4, 1, 0);
	expect_eof(tr);
	trail_close(tr);
	tr = open_trail(t, 3);
	assert_int_equal(trail_nfiles(tr), 2);
	trail_close(tr);
	/* A --from-segment that is not there either. */
	write_text(t, "a.jsonl.000005", "x\n");
	assert_int_equal(gpg_err_code(trail_open(p, 4, &tr, err, sizeof(err))), GPG_ERR_ENOENT);
	assert_non_null(strstr(err, "a.jsonl.000004 is missing"));
}

static void
test_gap(void **state)
{
	struct tmpdir *t = *state;
	struct trail_reader *tr = NULL;
	char p[128], err[256];

	write_text(t, "a.jsonl", "e\n");
	write_text(t, "a.jsonl.000001", "a\n");
	write_text(t, "a.jsonl.000002", "b\n");
	write_text(t, "a.jsonl.000004", "d\n");
	path_of(t, "a.jsonl", p, sizeof(p));
	assert_int_equal(gpg_err_code(trail_open(p, 0, &tr, err, sizeof(err))), GPG_ERR_ENOENT);
	assert_non_null(strstr(err, "a.jsonl.000003 is missing"));
	/* --from-segment does not excuse a gap after K either. */
	assert_int_equal(gpg_err_code(trail_open(p, 2, &tr, err, sizeof(err))), GPG_ERR_ENOENT);
	assert_non_null(strstr(err, "a.jsonl.000003 is missing"));
	assert_null(tr);
}

static void
test_no_current(void **state)
{
	struct tmpdir *t = *state;
	struct trail_reader *tr = NULL;
	char p[128], err[256];

	write_text(t, "a.jsonl.000001", "a\n");
	path_of(t, "a.jsonl", p, sizeof(p));
	assert_int_equal(gpg_err_code(trail_open(p, 0, &tr, err, sizeof(err))), GPG_ERR_ENOENT);
	assert_non_null(strstr(err, "a.jsonl: No such file"));
}

static void
test_long_lines(void **state)
{
	struct tmpdir *t = *state;
	struct trail_reader *tr;
	size_t max = AUDIT_MAX_LINE - 1;
	char *data = malloc(2 * max + 8);
	struct trail_line l;
	char err[256];

	assert_non_null(data);
	/* The longest line there may be, then one byte more. */
	memset(data, 'x', max);
	data[max] = '\n';
	memset(data + max + 1, 'y', max + 1);
	data[2 * max + 2] = '\n';
	write_file(t, "a.jsonl", data, 2 * max + 3);
	tr = open_trail(t, 0);
	assert_int_equal(trail_next(tr, &l, err, sizeof(err)), 0);
	assert_int_equal(l.len, max);
	expect_fault(tr, "a.jsonl:2: line longer than the 65535-byte limit");
	trail_close(tr);
	/* Also when the file ends without a line feed. */
	write_file(t, "a.jsonl", data + max + 1, max + 1);
	tr = open_trail(t, 0);
	expect_fault(tr, "a.jsonl:1: line longer");
	trail_close(tr);
	free(data);
}

static void
test_nul(void **state)
{
	struct tmpdir *t = *state;
	struct trail_reader *tr;

	write_file(t, "a.jsonl", "ok\n{\"a\0\":1}\n", 12);
	tr = open_trail(t, 0);
	expect_line(tr, "ok", 0, 1, 1, 0);
	expect_fault(tr, "a.jsonl:2: NUL byte");
	trail_close(tr);
}

static void
test_torn(void **state)
{
	struct tmpdir *t = *state;
	struct trail_reader *tr;

	/* Torn in a sealed segment is as bad as in the current one. */
	write_text(t, "a.jsonl.000001", "a\nb\ntor");
	write_text(t, "a.jsonl", "c\n");
	tr = open_trail(t, 0);
	expect_line(tr, "a", 0, 1, 1, 0);
	expect_line(tr, "b", 1, 1, 2, 2);
	expect_fault(tr, "a.jsonl.000001:3: torn last line");
	/* Not at the end of the trail: no race with the writer explains it. */
	assert_false(trail_torn(tr));
	trail_close(tr);
	write_text(t, "a.jsonl.000001", "a\n");
	write_text(t, "a.jsonl", "c\nhalf");
	tr = open_trail(t, 0);
	expect_line(tr, "a", 0, 1, 1, 0);
	expect_line(tr, "c", 1, 2, 1, 0);
	assert_false(trail_torn(tr));
	expect_fault(tr, "a.jsonl:2: torn last line");
	assert_true(trail_torn(tr));
	trail_close(tr);
}

/* Many lines across many buffer fills: every one whole and in place. */
static void
test_large(void **state)
{
	struct tmpdir *t = *state;
	struct trail_reader *tr;
	enum { LINES = 40000 };
	size_t cap = (size_t)LINES * 120, len = 0, i;
	char *data = malloc(cap), want[128];
	off_t off = 0;
	struct trail_line l;
	char err[256];

	assert_non_null(data);
	for (i = 0; i < LINES; i++) {
		/* Lengths vary so lines straddle the buffer's end in many ways. */
		int n = snprintf(data + len, cap - len, "{\"seq\":%zu,\"pad\":\"%.*s\"}\n", i + 1,
		                 (int)(i % 89), "................................................."
		                 "................................................");

		len += (size_t)n;
	}
	write_file(t, "a.jsonl", data, len);
	tr = open_trail(t, 0);
	for (i = 0; i < LINES; i++) {
		assert_int_equal(trail_next(tr, &l, err, sizeof(err)), 0);
		snprintf(want, sizeof(want), "{\"seq\":%zu,", i + 1);
		assert_memory_equal(l.data, want, strlen(want));
		assert_int_equal(l.data[l.len - 1], '}');
		assert_int_equal(l.offset, off);
		assert_memory_equal(data + off, l.data, l.len);
		assert_int_equal(l.index, i);
		off += (off_t)l.len + 1;
	}
	expect_eof(tr);
	trail_close(tr);
	free(data);
}

static void
test_seek(void **state)
{
	struct tmpdir *t = *state;
	struct trail_reader *tr;
	struct trail_line l;
	char err[256];

	write_text(t, "a.jsonl.000001", "a\nb\n");
	write_text(t, "a.jsonl", "c\nd\ne\n");
	tr = open_trail(t, 0);
	assert_int_equal(trail_seek(tr, 1, 2, 3, 2), 0);
	expect_line(tr, "d", 3, 2, 2, 2);
	expect_line(tr, "e", 4, 2, 3, 4);
	expect_eof(tr);
	/* Back to the start of the first file, after the end. */
	assert_int_equal(trail_seek(tr, 0, 0, 0, 1), 0);
	expect_line(tr, "a", 0, 1, 1, 0);
	assert_int_equal(trail_next(tr, &l, err, sizeof(err)), 0);
	assert_int_equal(gpg_err_code(trail_seek(tr, 2, 0, 0, 1)), GPG_ERR_INV_ARG);
	trail_close(tr);
}

static void
test_explicit_files(void **state)
{
	struct tmpdir *t = *state;
	struct trail_reader *tr = NULL;
	char a[128], b[128], c[128], err[256];
	const char *files[3] = { a, b, c };

	write_text(t, "x.jsonl.000007", "a\n");
	write_text(t, "x.jsonl", "b\n");
	write_text(t, "copy", "c\n");
	path_of(t, "x.jsonl.000007", a, sizeof(a));
	path_of(t, "x.jsonl", b, sizeof(b));
	path_of(t, "copy", c, sizeof(c));
	assert_int_equal(trail_open_files(files, 3, &tr, err, sizeof(err)), 0);
	expect_line(tr, "a", 0, 7, 1, 0);
	expect_line(tr, "b", 1, 8, 1, 0);
	expect_line(tr, "c", 2, 9, 1, 0);
	expect_eof(tr);
	trail_close(tr);
	path_of(t, "nothere", c, sizeof(c));
	assert_int_not_equal(trail_open_files(files, 3, &tr, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "nothere"));
	/* A folder is not a trail. */
	assert_int_not_equal(trail_open_files((const char *const[]){ t->dir }, 1, &tr, err,
	                                      sizeof(err)), 0);
	assert_non_null(strstr(err, "not a regular file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_file, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_empty, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_segments_in_order, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_missing_first, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_gap, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_no_current, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_long_lines, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_nul, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_torn, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_large, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_seek, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_explicit_files, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
