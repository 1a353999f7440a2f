/* test_store_crash.c — policyd killed at any moment loses nothing and
 * over-uses nothing.  Approvals are committed before they answer (store.h);
 * a signature's take (grant use, rate slot) is made in memory and written
 * to SQLite later, its audit record being its durable log, which policyd
 * hands back to the store at start (reconcile.c: store_reconcile).  Each
 * round forks a process that opens policyd.db (exclusively, as policyd
 * does) and runs takers of grant uses and an approver in threads on it,
 * each reporting every success on a pipe (a taker's report plays its
 * audit record), and kills it with SIGKILL at a random moment.  Then,
 * reopened and reconciled with the round's reports: no grant use and no
 * rate slot was ever given twice (over-use), none past a grant's count;
 * the grants' use counts add up to at least what was reported and at most
 * that plus one per taker (a take written but killed before its report);
 * every reported approval is there; integrity_check is "ok". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../policyd/store.h"
#include "storefix.h"
#include "tmpdir.h"

#define ROUNDS       25
#define TAKERS       3
#define SMALL_COUNT  100        /* the grant that ends first: used up mid-run */
#define LARGE_COUNT  100000     /* then this one */
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

/* Between two calls of a worker, so that the kill can fall anywhere:
 * in a call, between its commit and its report, between two calls. */
static void
pause_a_little(void)
{
	usleep(100 + (useconds_t)(rand() % 400));
}

/* One thread of the child: the store they all share (policyd is one
 * process: its threads share one connection), where it reports, and the
 * round (an approver's requester). */
struct worker {
	struct store *st;
	int fd;
	int round;
};

/* What a taker reports of one try: what its audit record would name
 * (GRANT 0: a miss, so that the parent sees it at work even once the
 * grants are used up).  One write of less than PIPE_BUF: never torn. */
struct took_report {
	int64_t grant;
	int64_t use;
	int64_t rate_seq;
	int64_t time_ms;
};

/* A taker: uses a grant and a rate slot, and reports each try. */
static void *
taker(void *arg)
{
	const struct worker *w = arg;
	struct store_taken out;

	for (int64_t i = 0;; i++) {
		struct store_take t = { .project = "p", .requester = REQUESTER, .use_grant = 1,
		                        .rate_count = STORE_MAX_RATE, .rate_period = 1,
		                        .now_ms = T0 * 1000LL + i };
		struct took_report rep = { 0 };

		if (store_take(w->st, &t, &out) != 0)
			_exit(3);
		if (out.miss == STORE_TAKEN)
			rep = (struct took_report){ out.grant, out.use, out.rate_seq, t.now_ms };
		if (write(w->fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
			_exit(4);
		pause_a_little();
	}
	return NULL;
}

/* An approver: opens requests needing two approvals (its own requester
 * per round, so a request left pending by the kill never fills the
 * per-requester limit) and approves each twice, reporting each approval. */
static void *
approver(void *arg)
{
	const struct worker *w = arg;
	struct store_request req, o;
	enum store_verdict v;

	for (;;) {
		memset(&req, 0, sizeof(req));
		req.kind = STORE_KIND_GRANT;
		snprintf(req.project, sizeof(req.project), "p");
		snprintf(req.requester, sizeof(req.requester), "user:r%d", w->round);
		req.count = 1;
		req.needed = 2;
		req.expires = T0 + 3600;
		if (store_request_open(w->st, &req, T0) != 0)
			_exit(3);
		for (int32_t who = 0; who < 2; who++) {
			struct report rep = { .id = req.id, .who = who };

			if (store_request_approve(w->st, req.id, approvers[who], NULL, T0, &o, &v) != 0 ||
			    v != STORE_V_OK)
				_exit(5);
			if (write(w->fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
				_exit(4);
			pause_a_little();
		}
	}
	return NULL;
}

/* A child process with the store open (it holds it exclusively) and
 * TAKERS takers and one approver in threads; FDS get the read ends of
 * their reports. */
static pid_t
spawn(const char *dir, int fds[TAKERS + 1], int round)
{
	static struct worker w[TAKERS + 1];
	int p[TAKERS + 1][2];
	pthread_t th;
	pid_t pid;

	for (int i = 0; i < TAKERS + 1; i++)
		assert_int_equal(pipe(p[i]), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st = sopen(dir);

		srand((unsigned)getpid());
		if (st == NULL)
			_exit(2);
		for (int i = 0; i < TAKERS + 1; i++) {
			close(p[i][0]);
			w[i] = (struct worker){ st, p[i][1], round };
			if (pthread_create(&th, NULL, i < TAKERS ? taker : approver, &w[i]) != 0)
				_exit(6);
		}
		for (;;)
			pause();
	}
	for (int i = 0; i < TAKERS + 1; i++) {
		close(p[i][1]);
		fds[i] = p[i][0];
	}
	return pid;
}

/* What FD's writer wrote, into BUF (at most MAX bytes) from *N on: at
 * least MIN more bytes, or (MIN 0) all of it until it closed. */
static void
drain(int fd, void *buf, size_t max, size_t *n, size_t min)
{
	size_t want = *n + min;
	ssize_t r;

	while (*n < max && (min == 0 || *n < want) &&
	       (r = read(fd, (char *)buf + *n, min == 0 ? max - *n : want - *n)) > 0)
		*n += (size_t)r;
	if (min == 0)
		close(fd);
}

/* Every use and rate slot ever reported, across the rounds: a second
 * report of one is an over-use. */
struct given {
	uint8_t small[SMALL_COUNT + 1], large[LARGE_COUNT + 1];
	uint8_t seq[1 << 22];
};

/* The N reports in BUF: each use and slot new (marked in G), none past its
 * grant's count; into V (as the audit records reconcile.c hands the
 * store).  How many were uses. */
static unsigned
check_reports(const struct took_report *buf, size_t n, int64_t small, int64_t large, struct given *g,
              struct store_took *v, size_t *nv)
{
	unsigned uses = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t *mark;

		if (buf[i].grant == 0)
			continue;
		uses++;
		assert_true(buf[i].grant == small || buf[i].grant == large);
		assert_true(buf[i].use >= 1);
		assert_true(buf[i].use <= (buf[i].grant == small ? SMALL_COUNT : LARGE_COUNT));
		mark = buf[i].grant == small ? &g->small[buf[i].use] : &g->large[buf[i].use];
		if (*mark)
			fail_msg("use %lld of grant %lld given twice", (long long)buf[i].use,
			         (long long)buf[i].grant);
		*mark = 1;
		assert_true(buf[i].rate_seq >= 1 && buf[i].rate_seq < (int64_t)sizeof(g->seq));
		if (g->seq[buf[i].rate_seq])
			fail_msg("rate slot %lld given twice", (long long)buf[i].rate_seq);
		g->seq[buf[i].rate_seq] = 1;
		v[(*nv)++] = (struct store_took){ buf[i].grant, (unsigned)buf[i].use, "p", REQUESTER,
		                                  buf[i].rate_seq, buf[i].time_ms };
	}
	return uses;
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
	static struct took_report taken[TAKERS][1 << 15];
	static struct store_took v[TAKERS << 15];
	static struct given given;
	struct store_request o, o2;
	unsigned reported = 0, killed = 0, approvals = 0;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	struct store *st = sopen(t->dir);
	int64_t small, large;

	fprintf(stderr, "crash test seed %u\n", seed);
	srand(seed);
	assert_non_null(st);
	small = sf_grant(st, REQUESTER, "p", SMALL_COUNT, T0, T0 + 3600);
	large = sf_grant(st, REQUESTER, "p", LARGE_COUNT, T0, T0 + 86400);
	store_close(st); /* no connection crosses a fork; the child holds it alone */

	for (int round = 0; round < ROUNDS; round++) {
		int fds[TAKERS + 1], status;
		size_t got[TAKERS + 1] = { 0 }, nrep, nv = 0, changed;
		pid_t pid = spawn(t->dir, fds, round);

		/* Once each is at work (its first report), a random moment:
		 * mid-transaction, between commit and report, in the fsync... */
		for (int i = 0; i < TAKERS; i++)
			drain(fds[i], taken[i], sizeof(taken[i]), &got[i], 1);
		drain(fds[TAKERS], reps, sizeof(reps), &got[TAKERS], sizeof(reps[0]));
		usleep((useconds_t)(rand() % 40000));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		/* Killed, not failed on its own. */
		if (!WIFSIGNALED(status))
			fail_msg("the child exited with %d", WEXITSTATUS(status));
		killed += TAKERS;
		for (int i = 0; i < TAKERS; i++) {
			drain(fds[i], taken[i], sizeof(taken[i]), &got[i], 0);
			reported += check_reports(taken[i], got[i] / sizeof(taken[i][0]), small, large,
			                          &given, v, &nv);
		}
		drain(fds[TAKERS], reps, sizeof(reps), &got[TAKERS], 0);
		nrep = got[TAKERS] / sizeof(reps[0]);
		approvals += (unsigned)nrep;

		/* policyd's start: the records put back what SQLite lacks. */
		assert_non_null(st = sopen(t->dir));
		assert_int_equal(store_reconcile(st, v, nv, &changed), 0);
		assert_int_equal(store_request_get(st, small, &o), 0);
		assert_int_equal(store_request_get(st, large, &o2), 0);
		assert_true(o.used + o2.used >= reported);
		assert_true(o.used + o2.used <= reported + killed);
		assert_true(o.used <= o.count);
		assert_int_equal(o.state, o.used == o.count ? STORE_USED : STORE_APPROVED);
		/* The one that ends first goes first. */
		assert_true(o2.used == 0 || o.used == o.count);
		check_approvals(st, reps, nrep);
		store_close(st);
		check_integrity(t->dir);
	}
	fprintf(stderr, "crash test: %u uses reported; grants used %u of %u, %u; %u approvals\n",
	        reported, o.used, SMALL_COUNT, o2.used, approvals);
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
