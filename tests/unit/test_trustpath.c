/* test_trustpath.c — the StrictModes checker: a file and the folders above
 * it must be owned by root or the expected owner and writable by no one
 * else; sticky folders are fine above it; symlinks are judged where they
 * sit and where they lead.  Ownership cases need root (chown). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fcntl.h>
#include <cmocka.h>

#include "tmpdir.h"
#include "trustpath.h"

#define OTHER_UID 4242421
#define OTHER_GID 4242421

static void
touch(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static gpg_err_code_t
check(const char *path, uid_t owner, char *why, size_t whylen)
{
	return gpg_err_code(trustpath_check(path, owner, why, whylen));
}

static void
test_private_file_passes(void **state)
{
	struct tmpdir *t = *state;
	char why[TRUSTPATH_MAX_WHY];

	touch(t->file, 0644);
	assert_int_equal(check(t->file, getuid(), why, sizeof(why)), 0);
	assert_string_equal(why, "");
	/* Root owns nothing the daemon must distrust: any expected owner. */
	if (getuid() == 0)
		assert_int_equal(check(t->file, OTHER_UID, why, sizeof(why)), 0);
	assert_int_equal(trustpath_check_dir_of(t->file, getuid(), why, sizeof(why)), 0);
}

static void
test_writable_file_refused(void **state)
{
	struct tmpdir *t = *state;
	char why[TRUSTPATH_MAX_WHY], want[TRUSTPATH_MAX_WHY];

	touch(t->file, 0664);
	assert_int_equal(check(t->file, getuid(), why, sizeof(why)), GPG_ERR_EPERM);
	snprintf(want, sizeof(want), "%s: writable by group ", t->file);
	assert_memory_equal(why, want, strlen(want));
	assert_non_null(strstr(why, "chmod g-w"));
	touch(t->file, 0646);
	assert_int_equal(check(t->file, getuid(), why, sizeof(why)), GPG_ERR_EPERM);
	snprintf(want, sizeof(want), "%s: writable by everyone (chmod o-w %s)", t->file, t->file);
	assert_string_equal(why, want);
}

static void
test_writable_folder_refused(void **state)
{
	struct tmpdir *t = *state;
	char why[TRUSTPATH_MAX_WHY], want[TRUSTPATH_MAX_WHY];

	touch(t->file, 0644);
	assert_int_equal(chmod(t->dir, 0777), 0);
	assert_int_equal(check(t->file, getuid(), why, sizeof(why)), GPG_ERR_EPERM);
	snprintf(want, sizeof(want), "%s: writable by group ", t->dir);
	assert_memory_equal(why, want, strlen(want));
	assert_int_equal(gpg_err_code(trustpath_check_dir_of(t->file, getuid(), why, sizeof(why))),
	                 GPG_ERR_EPERM);
	/* Sticky, like /tmp: fine above an entry that is owned right ... */
	assert_int_equal(chmod(t->dir, 01777), 0);
	assert_int_equal(check(t->file, getuid(), why, sizeof(why)), 0);
	/* ... but not as the path itself. */
	assert_int_equal(check(t->dir, getuid(), why, sizeof(why)), GPG_ERR_EPERM);
	assert_int_equal(chmod(t->dir, 0700), 0);
}

static void
test_foreign_owner_refused(void **state)
{
	struct tmpdir *t = *state;
	char why[TRUSTPATH_MAX_WHY], want[TRUSTPATH_MAX_WHY];

	if (getuid() != 0)
		skip();
	touch(t->file, 0644);
	assert_int_equal(chown(t->file, OTHER_UID, OTHER_GID), 0);
	assert_int_equal(check(t->file, 0, why, sizeof(why)), GPG_ERR_EPERM);
	snprintf(want, sizeof(want), "%s: owned by #%u (uid %u), not by root", t->file, OTHER_UID, OTHER_UID);
	assert_memory_equal(why, want, strlen(want));
	/* The expected owner may own it. */
	assert_int_equal(check(t->file, OTHER_UID, why, sizeof(why)), 0);
	/* In a sticky folder owned by root, someone else's entry is refused:
	 * they could replace it. */
	assert_int_equal(chmod(t->dir, 01777), 0);
	assert_int_equal(check(t->file, 0, why, sizeof(why)), GPG_ERR_EPERM);
	assert_int_equal(chmod(t->dir, 0700), 0);
	/* A folder above owned by someone else. */
	assert_int_equal(mkdir(t->sub, 0755), 0);
	assert_int_equal(chown(t->sub, OTHER_UID, OTHER_GID), 0);
	assert_int_equal(gpg_err_code(trustpath_check_dir_of(t->link, 0, why, sizeof(why))), 0);
	snprintf(want, sizeof(want), "%s/x", t->sub);
	assert_int_equal(gpg_err_code(trustpath_check_dir_of(want, 0, why, sizeof(why))), GPG_ERR_EPERM);
	snprintf(want, sizeof(want), "%s: owned by #%u", t->sub, OTHER_UID);
	assert_memory_equal(why, want, strlen(want));
}

static void
test_symlinks(void **state)
{
	struct tmpdir *t = *state;
	char why[TRUSTPATH_MAX_WHY], inner[PATH_MAX], want[TRUSTPATH_MAX_WHY];

	touch(t->file, 0644);
	assert_int_equal(symlink(t->file, t->link), 0);
	assert_int_equal(check(t->link, getuid(), why, sizeof(why)), 0);
	/* A good link to a file others can write: judged where it leads. */
	assert_int_equal(chmod(t->file, 0666), 0);
	assert_int_equal(check(t->link, getuid(), why, sizeof(why)), GPG_ERR_EPERM);
	snprintf(want, sizeof(want), "%s: writable by ", t->file);
	assert_memory_equal(why, want, strlen(want));
	assert_int_equal(chmod(t->file, 0644), 0);
	if (getuid() != 0)
		return;
	/* A link to a good file, inside a folder someone else owns: they can
	 * point it elsewhere at any time. */
	assert_int_equal(mkdir(t->sub, 0755), 0);
	snprintf(inner, sizeof(inner), "%s/l", t->sub);
	assert_int_equal(symlink(t->file, inner), 0);
	assert_int_equal(chown(t->sub, OTHER_UID, OTHER_GID), 0);
	assert_int_equal(check(inner, 0, why, sizeof(why)), GPG_ERR_EPERM);
	snprintf(want, sizeof(want), "%s: owned by", t->sub);
	assert_memory_equal(why, want, strlen(want));
	unlink(inner);
}

static void
test_missing_and_relative(void **state)
{
	struct tmpdir *t = *state;
	char why[TRUSTPATH_MAX_WHY], cwd[PATH_MAX];

	assert_int_equal(check(t->file, getuid(), why, sizeof(why)), GPG_ERR_ENOENT);
	assert_non_null(strstr(why, t->file));
	assert_int_equal(trustpath_check_dir_of(t->file, getuid(), why, sizeof(why)), 0);
	assert_int_equal(check("", getuid(), why, sizeof(why)), GPG_ERR_INV_VALUE);
	touch(t->file, 0644);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(t->dir), 0);
	assert_int_equal(check("file", getuid(), why, sizeof(why)), 0);
	assert_int_equal(chmod(t->file, 0664), 0);
	assert_int_equal(check("file", getuid(), why, sizeof(why)), GPG_ERR_EPERM);
	assert_int_equal(strncmp(why, t->file, strlen(t->file)), 0);   /* named in full */
	assert_int_equal(chdir(cwd), 0);
	/* /tmp itself is no place for a trusted file. */
	assert_int_equal(check("/tmp", getuid(), why, sizeof(why)), GPG_ERR_EPERM);
	assert_int_equal(check("/", getuid(), why, sizeof(why)), 0);
}

/* A home about to be made: the nearest existing folder decides. */
static void
test_new(void **state)
{
	struct tmpdir *t = *state;
	char why[TRUSTPATH_MAX_WHY], deep[PATH_MAX];

	snprintf(deep, sizeof(deep), "%s/a/b/c", t->sub);
	assert_int_equal(trustpath_check_new(deep, getuid(), why, sizeof(why)), 0);
	assert_int_equal(trustpath_check_new(t->sub, getuid(), why, sizeof(why)), 0);
	/* Right in /tmp (sticky): fine, what is made there is ours. */
	assert_int_equal(trustpath_check_new("/tmp/signet-test-no-such-home", getuid(), why, sizeof(why)), 0);
	assert_int_equal(chmod(t->dir, 0777), 0);
	assert_int_equal(gpg_err_code(trustpath_check_new(deep, getuid(), why, sizeof(why))), GPG_ERR_EPERM);
	assert_int_equal(strncmp(why, t->dir, strlen(t->dir)), 0);
	assert_int_equal(chmod(t->dir, 01777), 0);
	assert_int_equal(trustpath_check_new(deep, getuid(), why, sizeof(why)), 0);
	/* An existing one is checked as itself. */
	assert_int_equal(mkdir(t->sub, 0777), 0);
	assert_int_equal(chmod(t->sub, 0777), 0);
	assert_int_equal(gpg_err_code(trustpath_check_new(t->sub, getuid(), why, sizeof(why))), GPG_ERR_EPERM);
	assert_int_equal(chmod(t->dir, 0700), 0);
}

/* A daemon's list: the first refusal names the item; a missing optional
 * file is fine, a missing required one is not. */
static void
test_items(void **state)
{
	struct tmpdir *t = *state;
	char why[TRUSTPATH_MAX_WHY], want[TRUSTPATH_MAX_WHY];
	struct trustpath_item items[] = {
		{ "configuration", t->file, 0 },
		{ "not set", NULL, 0 },
		{ "so_pin_file", t->link, 1 },
	};

	touch(t->file, 0644);
	assert_int_equal(trustpath_check_items(items, 3, getuid(), why, sizeof(why)), 0);
	items[2].may_be_missing = 0;
	assert_int_equal(gpg_err_code(trustpath_check_items(items, 3, getuid(), why, sizeof(why))), GPG_ERR_ENOENT);
	assert_memory_equal(why, "so_pin_file: ", 13);
	items[2].may_be_missing = 1;
	assert_int_equal(chmod(t->file, 0664), 0);
	assert_int_equal(gpg_err_code(trustpath_check_items(items, 3, getuid(), why, sizeof(why))), GPG_ERR_EPERM);
	snprintf(want, sizeof(want), "configuration: %s: writable by group", t->file);
	assert_memory_equal(why, want, strlen(want));
	/* An optional file that exists must pass. */
	assert_int_equal(chmod(t->file, 0644), 0);
	touch(t->link, 0666);
	assert_int_equal(gpg_err_code(trustpath_check_items(items, 3, getuid(), why, sizeof(why))), GPG_ERR_EPERM);
}

/* A client's socket folder: the daemon's service user may own it when
 * only root could have made it; never when anyone could (/tmp). */
static void
test_socket_dir(void **state)
{
	struct tmpdir *t = *state;
	char why[TRUSTPATH_MAX_WHY], sock[PATH_MAX], want[TRUSTPATH_MAX_WHY];
	char squat[] = "/tmp/sgusXXXXXX";

	if (getuid() != 0)
		skip();
	snprintf(sock, sizeof(sock), "%s/policyd.sock", t->sub);
	assert_int_equal(mkdir(t->sub, 0755), 0);
	assert_int_equal(trustpath_check_socket_dir(sock, 0, why, sizeof(why)), 0);
	/* Given by root to a service user, in a folder only root writes. */
	assert_int_equal(chown(t->sub, OTHER_UID, OTHER_GID), 0);
	assert_int_equal(gpg_err_code(trustpath_check_dir_of(sock, 0, why, sizeof(why))), GPG_ERR_EPERM);
	assert_int_equal(trustpath_check_socket_dir(sock, 0, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	/* ... but not one others can write. */
	assert_int_equal(chmod(t->sub, 0775), 0);
	assert_int_equal(gpg_err_code(trustpath_check_socket_dir(sock, 0, why, sizeof(why))), GPG_ERR_EPERM);
	assert_int_equal(chmod(t->sub, 0755), 0);
	/* ... nor one in a folder others can write to. */
	assert_int_equal(chmod(t->dir, 01777), 0);
	assert_int_equal(gpg_err_code(trustpath_check_socket_dir(sock, 0, why, sizeof(why))), GPG_ERR_EPERM);
	assert_int_equal(chmod(t->dir, 0700), 0);
	/* A squatted folder right in /tmp: the owner is named. */
	assert_non_null(mkdtemp(squat));
	assert_int_equal(chmod(squat, 0755), 0);
	assert_int_equal(chown(squat, OTHER_UID, OTHER_GID), 0);
	snprintf(sock, sizeof(sock), "%s/policyd.sock", squat);
	assert_int_equal(gpg_err_code(trustpath_check_socket_dir(sock, 0, why, sizeof(why))), GPG_ERR_EPERM);
	snprintf(want, sizeof(want), "%s: owned by #%u", squat, OTHER_UID);
	assert_memory_equal(why, want, strlen(want));
	rmdir(squat);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_private_file_passes, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_writable_file_refused, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_writable_folder_refused, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_owner_refused, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_symlinks, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_relative, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_new, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_socket_dir, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_items, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
