/* test_sockpath.c — choosing a socket path that fits sun_path. */
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

static void
test_short(void **state)
{
	char out[SOCKPATH_MAX + 1];

	(void)state;
	assert_int_equal(sockpath_choose("/home/a/signet/run", "policyd.sock", out, sizeof(out)), 0);
	assert_string_equal(out, "/home/a/signet/run/policyd.sock");
	assert_int_equal(sockpath_choose("/home/a/signet/run/", "policyd.sock", out, sizeof(out)), 0);
	assert_string_equal(out, "/home/a/signet/run/policyd.sock");
	assert_int_equal(sockpath_choose("/", "s", out, sizeof(out)), 0);
	assert_string_equal(out, "/s");
	assert_int_equal(gpg_err_code(sockpath_choose("/x", "s", out, 4)), GPG_ERR_BUFFER_TOO_SHORT);
}

static void
test_long(void **state)
{
	char dir[300], dir2[302], out[SOCKPATH_MAX + 1], out2[SOCKPATH_MAX + 1], prefix[64];

	(void)state;
	memset(dir, 'd', sizeof(dir));
	dir[0] = '/';
	dir[200] = '\0';
	assert_int_equal(sockpath_choose(dir, "policyd.sock", out, sizeof(out)), 0);
	snprintf(prefix, sizeof(prefix), "/tmp/signet-%lu/", (unsigned long)getuid());
	assert_memory_equal(out, prefix, strlen(prefix));
	assert_int_equal(strlen(out), strlen(prefix) + 16 + 1 + strlen("policyd.sock"));
	assert_string_equal(out + strlen(out) - strlen("-policyd.sock"), "-policyd.sock");
	assert_true(strlen(out) <= SOCKPATH_MAX);

	/* Stable, and the same for DIR/ as for DIR. */
	snprintf(dir2, sizeof(dir2), "%s/", dir);
	assert_int_equal(sockpath_choose(dir2, "policyd.sock", out2, sizeof(out2)), 0);
	assert_string_equal(out, out2);

	/* Another home gives another path. */
	dir[100] = 'e';
	assert_int_equal(sockpath_choose(dir, "policyd.sock", out2, sizeof(out2)), 0);
	assert_string_not_equal(out, out2);

	/* Exactly 107 bytes still fits in place. */
	memset(dir, 'f', sizeof(dir));
	dir[0] = '/';
	dir[SOCKPATH_MAX - 2] = '\0';
	assert_int_equal(sockpath_choose(dir, "s", out, sizeof(out)), 0);
	assert_int_equal(strlen(out), SOCKPATH_MAX);
	assert_memory_equal(out, dir, strlen(dir));
	dir[SOCKPATH_MAX - 2] = 'f';
	dir[SOCKPATH_MAX - 1] = '\0';
	assert_int_equal(sockpath_choose(dir, "s", out, sizeof(out)), 0);
	assert_memory_equal(out, "/tmp/signet-", 12);
}

static void
test_bad(void **state)
{
	char out[SOCKPATH_MAX + 1];

	(void)state;
	assert_int_not_equal(sockpath_choose("relative/dir", "s", out, sizeof(out)), 0);
	assert_int_not_equal(sockpath_choose("/x", "", out, sizeof(out)), 0);
	assert_int_not_equal(sockpath_choose("/x", "a/b", out, sizeof(out)), 0);
	assert_int_not_equal(sockpath_choose(NULL, "s", out, sizeof(out)), 0);
}

static void
test_prepare(void **state)
{
	char dir[] = "/tmp/sgspXXXXXX";
	char path[128], sub[96];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/run", dir);
	snprintf(path, sizeof(path), "%s/policyd.sock", sub);
	assert_int_equal(sockpath_prepare_dir(path), 0);
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(sockpath_prepare_dir(path), 0);  /* exists: fine */
	rmdir(sub);
	/* A file where the folder should be. */
	assert_int_equal(mkdir(sub, 0700), 0);
	rmdir(sub);
	{
		FILE *fp = fopen(sub, "w");
		assert_non_null(fp);
		fclose(fp);
	}
	assert_int_not_equal(sockpath_prepare_dir(path), 0);
	unlink(sub);
	rmdir(dir);
	assert_int_not_equal(sockpath_prepare_dir("relative"), 0);
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
