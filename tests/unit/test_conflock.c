/* test_conflock.c — common/conflock.c: one editor of a configuration file
 * at a time across processes (policyd and the command line), also while
 * the file is replaced under the lock; a holder that never lets go costs a
 * clear refusal, not a hang. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "atomicfile.h"
#include "conflock.h"
#include "monotime.h"

struct fixture {
	char dir[64];
	char conf[96];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/sgclXXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->conf, sizeof(f->conf), "%s/signet.conf", f->dir);
	assert_int_equal(atomicfile_write(f->conf, "[policyd]\n", 10, 0600), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->conf);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* In a child process: conflock_take(PATH, WAIT_MS); its exit status is
 * 0 (taken), 1 (GPG_ERR_LOCKED, and the message names the folder) or 2. */
static pid_t
try_in_child(const char *path, const char *dir, unsigned wait_ms)
{
	char err[256] = "";
	gpg_error_t r;
	pid_t pid;
	int fd;

	if ((pid = fork()) != 0)
		return pid;
	r = conflock_take(path, wait_ms, &fd, err, sizeof(err));
	if (r == 0)
		_exit(0);
	_exit(gpg_err_code(r) == GPG_ERR_LOCKED && strstr(err, dir) != NULL ? 1 : 2);
}

static int
status_of(pid_t pid)
{
	int st = -1;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
test_excludes_other_process(void **state)
{
	struct fixture *f = *state;
	char err[256];
	int fd = -1;

	assert_int_equal(conflock_take(f->conf, 0, &fd, err, sizeof(err)), 0);
	assert_true(fd >= 0);
	assert_int_equal(status_of(try_in_child(f->conf, f->dir, 50)), 1);
	/* An edit replaces the file: the lock is on the folder, so it holds
	 * for the new file too. */
	assert_int_equal(atomicfile_write(f->conf, "[policyd]\nx = 1\n", 16, 0600), 0);
	assert_int_equal(status_of(try_in_child(f->conf, f->dir, 50)), 1);
	conflock_release(fd);
	assert_int_equal(status_of(try_in_child(f->conf, f->dir, 0)), 0);
}

/* A waiting editor gets the lock once the holder lets go. */
static void
test_waits_for_holder(void **state)
{
	struct fixture *f = *state;
	const struct timespec hold = { 0, 150 * 1000000L };
	char err[256], c;
	int ready[2], fd = -1;
	int64_t t0;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	if ((pid = fork()) == 0) {
		if (conflock_take(f->conf, 0, &fd, err, sizeof(err)) != 0 || write(ready[1], "x", 1) != 1)
			_exit(2);
		nanosleep(&hold, NULL);
		conflock_release(fd);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	t0 = monotime_ms();
	assert_int_equal(conflock_take(f->conf, 10000, &fd, err, sizeof(err)), 0);
	assert_true(monotime_ms() - t0 < 10000);
	conflock_release(fd);
	assert_int_equal(status_of(pid), 0);
	close(ready[0]);
	close(ready[1]);
}

static void
test_errors(void **state)
{
	struct fixture *f = *state;
	char path[160], err[256];
	int fd = 7;

	snprintf(path, sizeof(path), "%s/missing/signet.conf", f->dir);
	assert_int_equal(gpg_err_code(conflock_take(path, 0, &fd, err, sizeof(err))), GPG_ERR_ENOENT);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err, "missing"));
	/* A bare name locks the current folder. */
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(conflock_take("signet.conf", 0, &fd, err, sizeof(err)), 0);
	assert_int_equal(status_of(try_in_child(f->conf, f->dir, 0)), 1);
	conflock_release(fd);
	conflock_release(-1);
	assert_int_equal(chdir("/"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_excludes_other_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_for_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
