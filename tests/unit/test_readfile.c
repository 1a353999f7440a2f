/* test_readfile.c — readfile_bounded(): the file kinds it refuses, the size
 * limit at and past its edge, and the exact "PATH: reason" texts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "readfile.h"

struct paths {
	char dir[32];
	char file[64];
	char link[64];
	char sub[64];
	char fifo[64];
};

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int
setup(void **state)
{
	struct paths *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -1;
	snprintf(p->dir, sizeof(p->dir), "/tmp/sgrfXXXXXX");
	if (mkdtemp(p->dir) == NULL)
		return -1;
	snprintf(p->file, sizeof(p->file), "%s/file", p->dir);
	snprintf(p->link, sizeof(p->link), "%s/link", p->dir);
	snprintf(p->sub, sizeof(p->sub), "%s/sub", p->dir);
	snprintf(p->fifo, sizeof(p->fifo), "%s/fifo", p->dir);
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct paths *p = *state;

	unlink(p->file);
	unlink(p->link);
	unlink(p->fifo);
	rmdir(p->sub);
	rmdir(p->dir);
	free(p);
	return 0;
}

static void
test_reads_file(void **state)
{
	struct paths *p = *state;
	char *buf = NULL, err[256];
	size_t len = 99;

	write_file(p->file, "abc\0def", 7);
	assert_int_equal(readfile_bounded(p->file, 7, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(buf, "abc\0def", 7);
	assert_int_equal(buf[7], '\0');        /* NUL after the data */
	assert_string_equal(err, "");
	free(buf);

	/* An empty file is a file. */
	write_file(p->file, "", 0);
	assert_int_equal(readfile_bounded(p->file, 7, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);

	/* ERR may be left out. */
	write_file(p->file, "x", 1);
	assert_int_equal(readfile_bounded(p->file, 1, &buf, &len, NULL, 0), 0);
	assert_string_equal(buf, "x");
	free(buf);
}

static void
test_too_large(void **state)
{
	struct paths *p = *state;
	char *buf = (char *)1, err[256], want[256];
	size_t len = 99;

	write_file(p->file, "12345678", 8);
	assert_int_equal(gpg_err_code(readfile_bounded(p->file, 7, &buf, &len, err, sizeof(err))),
	                 GPG_ERR_TOO_LARGE);
	assert_null(buf);
	assert_int_equal(len, 0);
	snprintf(want, sizeof(want), "%s: file too large (max 7 bytes)", p->file);
	assert_string_equal(err, want);

	assert_int_equal(gpg_err_code(readfile_bounded(p->file, 0, &buf, &len, err, sizeof(err))),
	                 GPG_ERR_TOO_LARGE);
	assert_int_equal(readfile_bounded(p->file, 8, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 8);
	free(buf);
}

static void
test_refused_kinds(void **state)
{
	struct paths *p = *state;
	char *buf = NULL, err[256], want[256];
	size_t len = 0;

	write_file(p->file, "data", 4);
	assert_int_equal(symlink(p->file, p->link), 0);
	assert_int_equal(gpg_err_code(readfile_bounded(p->link, 64, &buf, &len, err, sizeof(err))),
	                 GPG_ERR_ELOOP);
	assert_null(buf);
	snprintf(want, sizeof(want), "%s: ", p->link);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	assert_non_null(strstr(err, " (symbolic links are refused)"));

	assert_int_equal(mkdir(p->sub, 0700), 0);
	assert_int_equal(gpg_err_code(readfile_bounded(p->sub, 64, &buf, &len, err, sizeof(err))),
	                 GPG_ERR_INV_VALUE);
	snprintf(want, sizeof(want), "%s: not a regular file", p->sub);
	assert_string_equal(err, want);

	/* A FIFO; holding it open read-write here lets readfile's open()
	 * return, and fstat() then refuses it. */
	assert_int_equal(mkfifo(p->fifo, 0600), 0);
	{
		int fd = open(p->fifo, O_RDWR | O_CLOEXEC);

		assert_true(fd >= 0);
		assert_int_equal(gpg_err_code(readfile_bounded(p->fifo, 64, &buf, &len, err, sizeof(err))),
		                 GPG_ERR_INV_VALUE);
		close(fd);
	}

	assert_int_equal(gpg_err_code(readfile_bounded("/nonexistent/file", 64, &buf, &len, err,
	                                               sizeof(err))), GPG_ERR_ENOENT);
	assert_string_equal(err, "/nonexistent/file: No such file or directory");
}

/* /proc files say size 0 and then have content: the same as a file that
 * grew after fstat(). */
static void
test_changed(void **state)
{
	char *buf = NULL, err[256];
	size_t len = 0;

	(void)state;
	assert_int_equal(gpg_err_code(readfile_bounded("/proc/self/status", 64, &buf, &len, err,
	                                               sizeof(err))), GPG_ERR_INV_VALUE);
	assert_null(buf);
	assert_string_equal(err, "/proc/self/status: file changed while being read");
}

static void
test_bad_args(void **state)
{
	char *buf = NULL, err[16] = "junk";
	size_t len = 0;

	(void)state;
	assert_int_equal(gpg_err_code(readfile_bounded(NULL, 1, &buf, &len, err, sizeof(err))),
	                 GPG_ERR_INV_ARG);
	assert_string_equal(err, "");
	assert_int_equal(gpg_err_code(readfile_bounded("/etc/hostname", 1, NULL, &len, NULL, 0)),
	                 GPG_ERR_INV_ARG);
	assert_int_equal(gpg_err_code(readfile_bounded("/etc/hostname", 1, &buf, NULL, NULL, 0)),
	                 GPG_ERR_INV_ARG);
}

static void
test_short_err_buffer(void **state)
{
	struct paths *p = *state;
	char *buf = NULL, err[8];
	size_t len = 0;

	assert_int_equal(mkdir(p->sub, 0700), 0);
	assert_int_not_equal(readfile_bounded(p->sub, 64, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(strlen(err), sizeof(err) - 1);   /* cut, still a string */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_kinds, setup, teardown),
		cmocka_unit_test(test_changed),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test_setup_teardown(test_short_err_buffer, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
