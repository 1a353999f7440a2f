/* test_atomicfile.c — atomicfile_write() replaces a file whole, with the
 * exact mode whatever the umask and no temporary file left behind, and
 * leaves the target alone when it cannot; atomicfile_create() refuses an
 * existing file or link; atomicfile_read() reads back what was written. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "atomicfile.h"
#include "tmpdir.h"

static void
expect_content(const char *path, const char *want, mode_t mode)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(atomicfile_read(path, 1024, &data, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_string_equal(data, want);
	free(data);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
}

static void
test_write_replaces(void **state)
{
	struct tmpdir *p = *state;
	mode_t old = umask(077);

	assert_int_equal(atomicfile_write(p->file, "one\n", 4, 0644), 0);
	expect_content(p->file, "one\n", 0644);                 /* mode exact despite umask 077 */
	assert_int_equal(atomicfile_write(p->file, "second\n", 7, 0600), 0);
	expect_content(p->file, "second\n", 0600);
	assert_int_equal(atomicfile_write(p->file, "", 0, 0640), 0);
	expect_content(p->file, "", 0640);
	assert_int_equal(tmpdir_entries(p), 1);                   /* no temporary file left */
	umask(old);
}

/* A link at PATH is replaced by the file, never written through. */
static void
test_write_over_link(void **state)
{
	struct tmpdir *p = *state;

	assert_int_equal(atomicfile_write(p->file, "target\n", 7, 0644), 0);
	assert_int_equal(symlink(p->file, p->link), 0);
	assert_int_equal(atomicfile_write(p->link, "new\n", 4, 0644), 0);
	expect_content(p->link, "new\n", 0644);
	expect_content(p->file, "target\n", 0644);
}

static void
test_write_fails_cleanly(void **state)
{
	struct tmpdir *p = *state;
	char longpath[5000], nodir[80];

	snprintf(nodir, sizeof(nodir), "%s/state", p->sub);     /* SUB does not exist */
	assert_int_equal(gpg_err_code(atomicfile_write(nodir, "x", 1, 0644)), GPG_ERR_ENOENT);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(gpg_err_code(atomicfile_write(longpath, "x", 1, 0644)), GPG_ERR_ENAMETOOLONG);
	/* The target a failed write names is untouched. */
	assert_int_equal(atomicfile_write(p->file, "kept\n", 5, 0600), 0);
	assert_int_equal(mkdir(p->link, 0700), 0);
	assert_int_not_equal(atomicfile_write(p->link, "x", 1, 0644), 0);   /* rename onto a folder */
	assert_int_equal(rmdir(p->link), 0);
	expect_content(p->file, "kept\n", 0600);
	assert_int_equal(tmpdir_entries(p), 1);
}

static void
test_create(void **state)
{
	struct tmpdir *p = *state;
	mode_t old = umask(077);

	assert_int_equal(atomicfile_create(p->file, "pin\n", 4, 0640), 0);
	expect_content(p->file, "pin\n", 0640);
	assert_int_equal(gpg_err_code(atomicfile_create(p->file, "other\n", 6, 0600)), GPG_ERR_EEXIST);
	expect_content(p->file, "pin\n", 0640);
	assert_int_equal(symlink(p->sub, p->link), 0);       /* dangling: still refused */
	assert_int_equal(gpg_err_code(atomicfile_create(p->link, "x", 1, 0600)), GPG_ERR_EEXIST);
	umask(old);
}

static void
test_read_limit(void **state)
{
	struct tmpdir *p = *state;
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(atomicfile_write(p->file, "12345", 5, 0600), 0);
	assert_int_equal(gpg_err_code(atomicfile_read(p->file, 4, &data, &len)), GPG_ERR_TOO_LARGE);
	assert_null(data);
	assert_int_equal(gpg_err_code(atomicfile_read(p->sub, 4, &data, &len)), GPG_ERR_ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_replaces, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_write_over_link, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_write_fails_cleanly, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_create, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_read_limit, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
