/* test_platform.c — peer credentials, user/group look-ups, hardening and
 * the clock check. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "platform.h"

static void
test_peercred(void **state)
{
	int sv[2];
	uid_t uid;
	gid_t gid;
	pid_t pid;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(platform_peercred(sv[0], &uid, &gid, &pid), 0);
	assert_int_equal(uid, getuid());
	assert_int_equal(gid, getgid());
	assert_int_equal(pid, getpid());
	close(sv[0]);
	close(sv[1]);
	assert_int_not_equal(platform_peercred(-1, &uid, &gid, &pid), 0);
}

static void
test_users(void **state)
{
	struct passwd *pw = getpwuid(getuid());
	struct group *gr = getgrgid(getgid());
	char name[64];
	uid_t uid = 12345;
	gid_t gid = 12345;

	(void)state;
	assert_non_null(pw);
	platform_user_name(getuid(), name, sizeof(name));
	assert_string_equal(name, pw->pw_name);
	assert_int_equal(platform_user_uid(pw->pw_name, &uid), 0);
	assert_int_equal(uid, getuid());
	platform_user_name(3999999999u, name, sizeof(name));
	assert_string_equal(name, "#3999999999");
	assert_int_equal(platform_user_uid("no-such-user-signet", &uid), -1);
	assert_int_equal(platform_user_uid("", &uid), -1);

	if (gr != NULL) {
		assert_int_equal(platform_group_gid(gr->gr_name, &gid), 0);
		assert_int_equal(gid, getgid());
	}
	assert_int_equal(platform_group_gid("no-such-group-signet", &gid), -1);
	assert_int_equal(platform_group_gid("", &gid), -1);
}

static int
has_gid(const gid_t *v, size_t n, gid_t gid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == gid)
			return 1;
	return 0;
}

/* Groups come from the user database (passwd primary group plus
 * /etc/group), not from the calling process. */
static void
test_user_groups(void **state)
{
	struct passwd *pw = getpwuid(0);
	gid_t *groups = NULL;
	size_t n = 99;

	(void)state;
	if (pw == NULL)
		skip();
	assert_int_equal(platform_user_groups(0, &groups, &n), 0);
	assert_true(n >= 1);
	assert_true(has_gid(groups, n, pw->pw_gid));
	free(groups);
	groups = (gid_t *)&n;
	assert_int_equal(gpg_err_code(platform_user_groups(3999999999u, &groups, &n)), GPG_ERR_NOT_FOUND);
	assert_null(groups);
	assert_int_equal(n, 0);
}

static void
test_harden(void **state)
{
	struct rlimit rl;
	pid_t pid;
	int status;

	(void)state;
	/* In a child: the test runner itself should stay dumpable. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		platform_harden();
		if (getrlimit(RLIMIT_CORE, &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0 ||
		    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* platform_clock_synced() agrees with what adjtimex says here, whatever
 * this machine's clock state is, and names the reason when it says no. */
static void
test_clock_synced(void **state)
{
	struct timex tx;
	char why[256] = "";
	int state_now, synced;

	(void)state;
	memset(&tx, 0, sizeof(tx));
	state_now = adjtimex(&tx);
	assert_true(state_now >= 0);
	synced = state_now != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
	if (!synced) {
		assert_int_equal(platform_clock_synced(1000000, why, sizeof(why)), 0);
		assert_string_equal(why, "the kernel reports the system clock as not synchronised (adjtimex)");
		return;
	}
	/* A synchronised clock: the bound decides.  maxerror only grows
	 * between ticks of NTP, so a bound of 0 ms is exceeded unless the
	 * kernel reports no error at all. */
	assert_int_equal(platform_clock_synced(4000000, why, sizeof(why)), 1);
	if (tx.maxerror > 0) {
		assert_int_equal(platform_clock_synced(0, why, sizeof(why)), 0);
		assert_non_null(strstr(why, "the kernel reports a clock error of "));
		assert_non_null(strstr(why, " us, more than 0 ms"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peercred),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_user_groups),
		cmocka_unit_test(test_harden),
		cmocka_unit_test(test_clock_synced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
