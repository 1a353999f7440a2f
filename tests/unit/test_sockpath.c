/* test_sockpath.c — choosing a socket path that fits sun_path, and the
 * runtime-folder fallback that nobody else can make first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sockpath.h"
#include "trustpath.h"

static gpg_err_code_t
choose(const char *dir, const char *name, int create, char *out, size_t outlen)
{
	char why[TRUSTPATH_MAX_WHY];

	return gpg_err_code(sockpath_choose(dir, name, create, out, outlen, why, sizeof(why)));
}

static void
test_short(void **state)
{
	char out[SOCKPATH_MAX + 1];

	(void)state;
	assert_int_equal(choose("/home/a/signet/run", "policyd.sock", 1, out, sizeof(out)), 0);
	assert_string_equal(out, "/home/a/signet/run/policyd.sock");
	assert_int_equal(choose("/home/a/signet/run/", "policyd.sock", 1, out, sizeof(out)), 0);
	assert_string_equal(out, "/home/a/signet/run/policyd.sock");
	assert_int_equal(choose("/", "s", 1, out, sizeof(out)), 0);
	assert_string_equal(out, "/s");
	assert_int_equal(choose("/x", "s", 1, out, 4), GPG_ERR_BUFFER_TOO_SHORT);
}

/* The fallback: a fresh folder with a random name, ours, 0755; the dry run
 * gives a path of the same length and makes nothing. */
static void
test_long(void **state)
{
	char dir[300], out[SOCKPATH_MAX + 1], out2[SOCKPATH_MAX + 1], dry[SOCKPATH_MAX + 1], prefix[64];
	char folder[SOCKPATH_MAX + 1];
	struct stat st;

	(void)state;
	memset(dir, 'd', sizeof(dir));
	dir[0] = '/';
	dir[200] = '\0';
	snprintf(prefix, sizeof(prefix), "/tmp/signet-%lu-", (unsigned long)getuid());
	assert_int_equal(choose(dir, "policyd.sock", 0, dry, sizeof(dry)), 0);
	assert_memory_equal(dry, prefix, strlen(prefix));
	assert_string_equal(dry + strlen(prefix), "XXXXXX/policyd.sock");

	assert_int_equal(choose(dir, "policyd.sock", 1, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), strlen(dry));
	assert_memory_equal(out, prefix, strlen(prefix));
	assert_string_not_equal(out, dry);
	snprintf(folder, sizeof(folder), "%.*s", (int)(strlen(out) - strlen("/policyd.sock")), out);
	assert_int_equal(lstat(folder, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_uid, getuid());
	assert_int_equal(st.st_mode & 07777, 0755);
	/* Every call makes its own: nothing to guess, nothing to squat. */
	assert_int_equal(choose(dir, "policyd.sock", 1, out2, sizeof(out2)), 0);
	assert_string_not_equal(out, out2);
	assert_int_equal(rmdir(folder), 0);
	snprintf(folder, sizeof(folder), "%.*s", (int)(strlen(out2) - strlen("/policyd.sock")), out2);
	assert_int_equal(rmdir(folder), 0);

	/* Exactly 107 bytes still fits in place. */
	memset(dir, 'f', sizeof(dir));
	dir[0] = '/';
	dir[SOCKPATH_MAX - 2] = '\0';
	assert_int_equal(choose(dir, "s", 0, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), SOCKPATH_MAX);
	assert_memory_equal(out, dir, strlen(dir));
	dir[SOCKPATH_MAX - 2] = 'f';
	dir[SOCKPATH_MAX - 1] = '\0';
	assert_int_equal(choose(dir, "s", 0, out, sizeof(out)), 0);
	assert_memory_equal(out, prefix, strlen(prefix));
}

static void
test_bad(void **state)
{
	char out[SOCKPATH_MAX + 1];

	(void)state;
	assert_int_not_equal(choose("relative/dir", "s", 0, out, sizeof(out)), 0);
	assert_int_not_equal(choose("/x", "", 0, out, sizeof(out)), 0);
	assert_int_not_equal(choose("/x", "a/b", 0, out, sizeof(out)), 0);
	assert_int_not_equal(choose(NULL, "s", 0, out, sizeof(out)), 0);
}

static void
test_prepare(void **state)
{
	char dir[] = "/tmp/sgspXXXXXX";
	char path[128], sub[96], why[TRUSTPATH_MAX_WHY], want[TRUSTPATH_MAX_WHY];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/run", dir);
	snprintf(path, sizeof(path), "%s/policyd.sock", sub);
	assert_int_equal(sockpath_prepare_dir(path, why, sizeof(why)), 0);
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(sockpath_prepare_dir(path, why, sizeof(why)), 0);  /* exists: fine */
	/* Writable by others: refused, named. */
	assert_int_equal(chmod(sub, 0777), 0);
	assert_int_equal(gpg_err_code(sockpath_prepare_dir(path, why, sizeof(why))), GPG_ERR_EPERM);
	snprintf(want, sizeof(want), "%s: writable by", sub);
	assert_memory_equal(why, want, strlen(want));
	/* Made first by someone else (a squatted runtime folder): the owner
	 * is named. */
	if (getuid() == 0) {
		assert_int_equal(chmod(sub, 0755), 0);
		assert_int_equal(chown(sub, 4242421, 4242421), 0);
		assert_int_equal(gpg_err_code(sockpath_prepare_dir(path, why, sizeof(why))), GPG_ERR_EPERM);
		snprintf(want, sizeof(want), "%s: owned by #4242421 (uid 4242421)", sub);
		assert_memory_equal(why, want, strlen(want));
	}
	rmdir(sub);
	/* A file where the folder should be. */
	{
		FILE *fp = fopen(sub, "w");
		assert_non_null(fp);
		fclose(fp);
	}
	assert_int_not_equal(sockpath_prepare_dir(path, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "is not a folder"));
	unlink(sub);
	rmdir(dir);
	assert_int_not_equal(sockpath_prepare_dir("relative", why, sizeof(why)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_prepare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
