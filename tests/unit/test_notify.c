/* test_notify.c — the notify program (policyd/notify.c) run for real: the
 * environment it sees (and nothing of policyd's), no inherited
 * descriptors, a reason written to be a shell injection staying data, its
 * output in the log, the timeout killing its process group, and each
 * failure audited into a real audit trail. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit.h"
#include "log.h"
#include "../../policyd/notify.h"
#include "tmpdir.h"

static struct tmpdir *dir;     /* one folder for the file: the log sink is set once */
static char logpath[96];
static char auditpath[96];

/* Whole file PATH into BUF (NUL-terminated); "" when absent. */
static void
slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

static int
exists(const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir->dir, name);
	return access(path, F_OK) == 0;
}

/* An executable script NAME in the folder with BODY (after "#!/bin/sh");
 * its path into PATH. */
static void
script(const char *name, const char *body, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", dir->dir, name);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

/* Run PROGRAM once for EV (timeout SEC) and wait for it. */
static void
run_once(const char *program, const struct notify_event *ev, unsigned sec, struct audit_log *audit)
{
	struct notify *n = NULL;

	assert_int_equal(notify_new(audit, &n), 0);
	notify_set_timeout(n, sec);
	notify_post(n, program, ev);
	notify_free(n);
}

static void
test_environment(void **state)
{
	static const char reason[] = "release '1.0'; touch PWN1 $(touch PWN2) `touch PWN3`";
	struct notify_event ev = { "approved", 42, "p1", "user:alice", reason, 2, 2 };
	char path[160], body[1024], buf[8192], want[512];
	int leak;

	(void)state;
	setenv("SIGNET_TEST_SECRET", "policyd's own environment", 1);
	/* A descriptor without close-on-exec, as a library might leave one. */
	snprintf(path, sizeof(path), "%s/leak", dir->dir);
	assert_true((leak = open(path, O_WRONLY | O_CREAT, 0600)) >= 0);
	snprintf(body, sizeof(body),
	         "cd '%s' || exit 9\n"
	         "env > env.out\n"
	         "[ -e /proc/$$/fd/%d ] && echo leaked > fd.out\n"
	         "echo \"hello from notify\"\n"
	         "echo \"to stderr\" >&2\n"
	         "read x && echo \"stdin gave $x\"\n"
	         "exit 0",
	         dir->dir, leak);
	script("env.sh", body, path, sizeof(path));
	run_once(path, &ev, 5, NULL);
	close(leak);

	snprintf(path, sizeof(path), "%s/env.out", dir->dir);
	slurp(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"));
	assert_non_null(strstr(buf, "SIGNET_EVENT=approved\n"));
	assert_non_null(strstr(buf, "SIGNET_REQUEST=42\n"));
	assert_non_null(strstr(buf, "SIGNET_PROJECT=p1\n"));
	assert_non_null(strstr(buf, "SIGNET_REQUESTER=user:alice\n"));
	assert_non_null(strstr(buf, "SIGNET_APPROVALS=2\n"));
	assert_non_null(strstr(buf, "SIGNET_NEEDED=2\n"));
	snprintf(want, sizeof(want), "SIGNET_REASON=%s\n", reason);
	assert_non_null(strstr(buf, want));
	assert_null(strstr(buf, "SIGNET_TEST_SECRET"));
	assert_null(strstr(buf, "HOME="));
	assert_false(exists("fd.out"));
	assert_false(exists("PWN1") || exists("PWN2") || exists("PWN3"));

	slurp(logpath, buf, sizeof(buf));
	assert_non_null(strstr(buf, "notify approved 42: hello from notify"));
	assert_non_null(strstr(buf, "notify approved 42: to stderr"));
	assert_null(strstr(buf, "stdin gave"));
	assert_non_null(strstr(buf, "notify approved for request 42: done"));
}

static int
process_gone(pid_t pid)
{
	char path[64], buf[256], *p;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	slurp(path, buf, sizeof(buf));
	if (buf[0] == '\0')
		return 1;
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static void
test_timeout_kills_group(void **state)
{
	struct notify_event ev = { "opened", 7, "p1", "user:bob", "slow", 0, 1 };
	struct audit_log *audit = NULL;
	char path[160], body[512], buf[8192];
	struct timespec t0, t1, tick = { 0, 50 * 1000 * 1000 };
	long pid = 0;
	int i;

	(void)state;
	snprintf(body, sizeof(body), "sleep 30 & echo $! > '%s/sleep.pid'\nwait", dir->dir);
	script("slow.sh", body, path, sizeof(path));
	assert_int_equal(audit_open(auditpath, &audit), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_once(path, &ev, 1, audit);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	audit_close(audit);
	assert_true(t1.tv_sec - t0.tv_sec < 5);

	/* The program's child (same process group) went too. */
	snprintf(path, sizeof(path), "%s/sleep.pid", dir->dir);
	slurp(path, buf, sizeof(buf));
	assert_true((pid = strtol(buf, NULL, 10)) > 1);
	for (i = 0; i < 60 && !process_gone((pid_t)pid); i++)
		nanosleep(&tick, NULL);
	assert_true(process_gone((pid_t)pid));

	slurp(auditpath, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"event\":\"notify\""));
	assert_non_null(strstr(buf, "did not finish within 1 s: killed"));
	assert_non_null(strstr(buf, "\"request\":7"));
}

static void
test_failures_audited(void **state)
{
	struct notify_event ev = { "denied", 9, "p2", "user:carol", "no", 0, 2 };
	struct audit_log *audit = NULL;
	char path[160], missing[160], buf[16384];
	struct notify *n = NULL;

	(void)state;
	script("fail.sh", "echo 'smtp down'; exit 3", path, sizeof(path));
	snprintf(missing, sizeof(missing), "%s/no-such-program", dir->dir);
	assert_int_equal(audit_open(auditpath, &audit), 0);
	assert_int_equal(notify_new(audit, &n), 0);
	notify_post(n, path, &ev);
	notify_post(n, missing, &ev);
	notify_post(n, NULL, &ev);      /* no program configured: nothing */
	notify_post(n, "", &ev);
	notify_free(n);
	audit_close(audit);

	slurp(auditpath, buf, sizeof(buf));
	assert_non_null(strstr(buf, "fail.sh exited with status 3"));
	assert_non_null(strstr(buf, "no-such-program: No such file or directory"));
	assert_non_null(strstr(buf, "\"project\":\"p2\""));
	slurp(logpath, buf, sizeof(buf));
	assert_non_null(strstr(buf, "notify denied 9: smtp down"));
}

/* While the program hangs, posts beyond the queue are dropped (and logged)
 * at once; the queued ones still run. */
static void
test_queue_full_drops(void **state)
{
	struct notify_event ev = { "approval", 0, "p3", "user:dave", "r", 1, 2 };
	char path[160], body[768], buf[65536], gate[160], count[160], started[160];
	struct timespec t0, t1, tick = { 0, 20 * 1000 * 1000 };
	struct notify *n = NULL;
	FILE *f;
	int i;

	(void)state;
	snprintf(gate, sizeof(gate), "%s/gate", dir->dir);
	snprintf(count, sizeof(count), "%s/count", dir->dir);
	snprintf(started, sizeof(started), "%s/started", dir->dir);
	snprintf(body, sizeof(body),
	         "[ \"$SIGNET_REQUEST\" = 1 ] && { : > '%s'; while [ ! -e '%s' ]; do sleep 0.05; done; }\n"
	         "echo \"$SIGNET_REQUEST\" >> '%s'",
	         started, gate, count);
	script("gate.sh", body, path, sizeof(path));
	assert_int_equal(notify_new(NULL, &n), 0);
	ev.request = 1;
	notify_post(n, path, &ev);
	/* Until the thread took event 1 and its program waits at the gate. */
	for (i = 0; i < 500 && access(started, F_OK) != 0; i++)
		nanosleep(&tick, NULL);
	assert_int_equal(access(started, F_OK), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 2; i < NOTIFY_QUEUE_MAX + 10; i++) {
		ev.request = i;
		notify_post(n, path, &ev);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);   /* never waited for the program */
	assert_non_null(f = fopen(gate, "w"));
	fclose(f);
	notify_free(n);

	slurp(count, buf, sizeof(buf));
	assert_non_null(strstr(buf, "1\n2\n3\n"));
	snprintf(body, sizeof(body), "\n%d\n", NOTIFY_QUEUE_MAX + 1);
	assert_non_null(strstr(buf, body));             /* the last one queued */
	snprintf(body, sizeof(body), "\n%d\n", NOTIFY_QUEUE_MAX + 2);
	assert_null(strstr(buf, body));                 /* the first one dropped */
	slurp(logpath, buf, sizeof(buf));
	assert_non_null(strstr(buf, "dropped"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_failures_audited),
		cmocka_unit_test(test_queue_full_drops),
	};
	void *state = NULL;
	int rc;

	if (tmpdir_setup(&state) != 0)
		return 1;
	dir = state;
	snprintf(logpath, sizeof(logpath), "%s/policyd.log", dir->dir);
	snprintf(auditpath, sizeof(auditpath), "%s/audit.jsonl", dir->dir);
	if (log_init("test_notify", getenv("NOTIFY_LOG_STDERR") ? NULL : logpath, LOG_LEVEL_INFO) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tmpdir_teardown(&state);
	return rc;
}
