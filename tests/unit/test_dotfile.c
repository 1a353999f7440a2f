/* test_dotfile.c — agent/dotfile.c, the editor of the user's own settings
 * files (~/.rpmmacros, ~/.devscripts, gpg-agent.conf): our keys' lines are
 * replaced, every other line is kept byte for byte (comments, CRLF, a last
 * line without newline), a second run writes nothing, the mode of an
 * existing file is kept, and a file over the limit or behind a link is
 * refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../agent/cli.h"
#include "../../agent/dotfile.h"
#include "tmpdir.h"

static const char *const keys[] = { "%_gpg_name", "%_gpg_path" };

static void
put(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static void
get(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

static void
test_keeps_other_lines(void **state)
{
	struct tmpdir *f = *state;
	char buf[1024];
	struct stat st;

	put(f->file, "# mine\r\n%_topdir /src\n  %_gpg_name OLD\n%_gpg_names keep\n%_smp -j1", 0640);
	assert_int_equal(dotfile_set_lines(f->file, keys, 2, "%_gpg_name NEW!\n%_gpg_path /g\n", 0644),
	                 CLI_EXIT_OK);
	get(f->file, buf, sizeof(buf));
	/* %_gpg_names is another key; the last line gets its newline. */
	assert_string_equal(buf, "# mine\r\n%_topdir /src\n%_gpg_names keep\n%_smp -j1\n"
	                         "%_gpg_name NEW!\n%_gpg_path /g\n");
	assert_int_equal(stat(f->file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
}

static void
test_second_run_changes_nothing(void **state)
{
	struct tmpdir *f = *state;
	struct stat a, b;

	assert_int_equal(dotfile_set_lines(f->file, keys, 2, "%_gpg_name K!\n", 0644), CLI_EXIT_OK);
	assert_int_equal(stat(f->file, &a), 0);
	assert_int_equal(dotfile_set_lines(f->file, keys, 2, "%_gpg_name K!\n", 0644), CLI_EXIT_OK);
	assert_int_equal(stat(f->file, &b), 0);
	/* Not rewritten: an atomic write would be a new inode. */
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_mode & 0777, 0644);
}

static void
test_key_forms(void **state)
{
	struct tmpdir *f = *state;
	static const char *const deb[] = { "DEBSIGN_KEYID" };
	char buf[256];

	put(f->file, "DEBSIGN_KEYID=AB\n\tDEBSIGN_KEYID = CD\nDEBSIGN_KEYIDX=EF\n", 0644);
	assert_int_equal(dotfile_set_lines(f->file, deb, 1, "DEBSIGN_KEYID='K'\n", 0644), CLI_EXIT_OK);
	get(f->file, buf, sizeof(buf));
	assert_string_equal(buf, "DEBSIGN_KEYIDX=EF\nDEBSIGN_KEYID='K'\n");
}

static void
test_refused(void **state)
{
	struct tmpdir *f = *state;
	char *big;

	big = malloc(DOTFILE_MAX + 2);
	assert_non_null(big);
	memset(big, 'x', DOTFILE_MAX + 1);
	big[DOTFILE_MAX + 1] = '\0';
	put(f->file, big, 0644);
	free(big);
	assert_int_equal(dotfile_set_lines(f->file, keys, 2, "%_gpg_name K\n", 0644), CLI_EXIT_FAIL);

	/* A link is not followed (the file is written whole in its folder). */
	put(f->file, "%_gpg_name A\n", 0644);
	assert_int_equal(symlink(f->file, f->link), 0);
	assert_int_equal(dotfile_set_lines(f->link, keys, 2, "%_gpg_name K\n", 0644), CLI_EXIT_FAIL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keeps_other_lines, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_second_run_changes_nothing, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_key_forms, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_refused, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
