/* test_store_crash.c — policyd killed at any moment loses nothing and
 * over-uses nothing (store.h: "every call is one transaction and returns
 * only once it is committed").  Each round forks processes that take grant
 * uses and approve requests on one policyd.db, each reporting every
 * committed success on a pipe, and kills them all with SIGKILL at a random
 * moment.  Then, reopened: the grant's use count is at least what was
 * reported (a reported use was committed) and at most that plus one per
 * killed taker (a use committed but killed before its report), never past
 * the grant; every reported approval is there; integrity_check is "ok". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../policyd/store.h"
#include "tmpdir.h"

#define ROUNDS       25
#define TAKERS       3
#define GRANT_COUNT  300        /* used up in some runs: then no use past it */
#define T0           1800000000
#define REQUESTER    "user:alice"

/* One approval a child reports: request ID approved by approver WHO. */
struct report {
	int64_t id;
	int32_t who;
};

static const char *const approvers[] = { "user:bob", "user:carol" };

static struct store *
sopen(const char *dir)
{
	struct store *st = NULL;
	char err[512];

	if (store_open(dir, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "store_open: %s\n", err);
		return NULL;
	}
	return st;
}

/* A taker: uses the grant (and a rate slot) and writes one byte per use. */
static void __attribute__((noreturn))
taker(const char *dir, int fd)
{
	struct store *st = sopen(dir);
	struct store_taken out;

	if (st == NULL)
		_exit(2);
	for (int64_t i = 0;; i++) {
		struct store_take t = { .project = "p", .requester = REQUESTER, .use_grant = 1,
		                        .rate_count = STORE_MAX_RATE, .rate_period = 1,
		                        .now_ms = T0 * 1000LL + i };

		if (store_take(st, &t, &out) != 0)
			_exit(3);
		if (out.miss == STORE_TAKEN && write(fd, "T", 1) != 1)
			_exit(4);
	}
}

/* An approver: opens requests needing two approvals (its own requester
 * per round, so a request left pending by the kill never fills the
 * per-requester limit) and approves each twice, reporting each approval. */
static void __attribute__((noreturn))
approver(const char *dir, int fd, int round)
{
	struct store *st = sopen(dir);
	struct store_request req, o;
	enum store_verdict v;

	if (st == NULL)
		_exit(2);
	for (;;) {
		memset(&req, 0, sizeof(req));
		req.kind = STORE_KIND_GRANT;
		snprintf(req.project, sizeof(req.project), "p");
		snprintf(req.requester, sizeof(req.requester), "user:r%d", round);
		req.count = 1;
		req.needed = 2;
		req.expires = T0 + 3600;
		if (store_request_open(st, &req, T0) != 0)
			_exit(3);
		for (int32_t who = 0; who < 2; who++) {
			struct report rep = { .id = req.id, .who = who };

			if (store_request_approve(st, req.id, approvers[who], NULL, T0, &o, &v) != 0 ||
			    v != STORE_V_OK)
				_exit(5);
			if (write(fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
				_exit(4);
		}
	}
}

static pid_t
spawn(const char *dir, int *rfd, int round, int is_taker)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		if (is_taker)
			taker(dir, p[1]);
		approver(dir, p[1], round);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/* Everything FD's writer wrote, into BUF (at most MAX bytes): its length. */
static size_t
drain(int fd, void *buf, size_t max)
{
	size_t n = 0;
	ssize_t r;

	while (n < max && (r = read(fd, (char *)buf + n, max - n)) > 0)
		n += (size_t)r;
	close(fd);
	return n;
}

static void
check_integrity(const char *dir)
{
	char path[128], *result = NULL;
	sqlite3_stmt *s = NULL;
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/policyd.db", dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	result = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_string_equal(result, "ok");
	free(result);
}

/* Every approval in REPS (N of them) is in the store. */
static void
check_approvals(struct store *st, const struct report *reps, size_t n)
{
	struct store_request o;

	for (size_t i = 0; i < n; i++) {
		int found = 0;

		assert_int_equal(store_request_get(st, reps[i].id, &o), 0);
		for (size_t j = 0; j < o.napprovals; j++)
			found |= strcmp(o.approvals[j].by, approvers[reps[i].who]) == 0;
		assert_true(found);
		if (o.napprovals == 2)
			assert_int_equal(o.state, STORE_APPROVED);
	}
}

static void
test_kill_anywhere(void **state)
{
	struct tmpdir *t = *state;
	static struct report reps[1 << 16];
	static char taken[1 << 20];
	struct store_request req, o;
	unsigned reported = 0, killed = 0, approvals = 0;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	struct store *st = sopen(t->dir);
	enum store_verdict v;
	int64_t grant;

	fprintf(stderr, "crash test seed %u\n", seed);
	srand(seed);
	assert_non_null(st);
	memset(&req, 0, sizeof(req));
	req.kind = STORE_KIND_GRANT;
	snprintf(req.project, sizeof(req.project), "p");
	snprintf(req.requester, sizeof(req.requester), REQUESTER);
	req.count = GRANT_COUNT;
	req.needed = 1;
	req.expires = T0 + 86400;
	assert_int_equal(store_request_open(st, &req, T0), 0);
	assert_int_equal(store_request_approve(st, req.id, "user:bob", NULL, T0, &o, &v), 0);
	assert_int_equal(o.state, STORE_APPROVED);
	grant = req.id;
	store_close(st); /* no connection crosses a fork */

	for (int round = 0; round < ROUNDS; round++) {
		pid_t pids[TAKERS + 1];
		int fds[TAKERS + 1];
		size_t nrep;

		for (int i = 0; i < TAKERS + 1; i++)
			pids[i] = spawn(t->dir, &fds[i], round, i < TAKERS);
		/* A random moment: during open, mid-transaction, between commit
		 * and report, in the fsync... */
		usleep((useconds_t)(rand() % 60000));
		for (int i = 0; i < TAKERS + 1; i++) {
			int status;

			kill(pids[i], SIGKILL);
			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			/* Killed, not failed on its own. */
			assert_true(WIFSIGNALED(status));
		}
		killed += TAKERS;
		for (int i = 0; i < TAKERS; i++)
			reported += (unsigned)drain(fds[i], taken, sizeof(taken));
		nrep = drain(fds[TAKERS], reps, sizeof(reps)) / sizeof(reps[0]);
		approvals += (unsigned)nrep;

		assert_non_null(st = sopen(t->dir));
		assert_int_equal(store_request_get(st, grant, &o), 0);
		assert_true(o.used >= reported);
		assert_true(o.used <= reported + killed);
		assert_true(o.used <= o.count);
		assert_int_equal(o.state, o.used == o.count ? STORE_USED : STORE_APPROVED);
		check_approvals(st, reps, nrep);
		store_close(st);
		check_integrity(t->dir);
	}
	fprintf(stderr, "crash test: %u uses reported, grant used %u of %u; %u approvals\n",
	        reported, o.used, GRANT_COUNT, approvals);
	assert_true(reported > 0 && approvals > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kill_anywhere, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
