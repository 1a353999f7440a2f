/* test_store.c — policyd's state on a real SQLite file (policyd/store.h):
 * every approve/deny verdict, grants used to the last and one more, rate
 * windows sliding, expiry, cancelling waiting SIGNs, TOTP steps used once
 * and failures counted, limits, and all of it still there after a reopen.
 * Written as the attacks: approving one's own request, approving twice,
 * approving what was denied, signing past a grant or a rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "../../policyd/store.h"
#include "storefix.h"
#include "tmpdir.h"

#define T0 1800000000          /* a "now" in seconds */
#define ALICE "user:alice"
#define BOB "user:bob"
#define CAROL "user:carol"

/* Open a request of KIND by REQUESTER on PROJECT. */
static int64_t
open_req(struct store *st, enum store_kind kind, const char *requester, const char *project,
         unsigned count, unsigned needed, int64_t now, int64_t expires)
{
	struct store_request r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	snprintf(r.project, sizeof(r.project), "%s", project);
	snprintf(r.requester, sizeof(r.requester), "%s", requester);
	snprintf(r.reason, sizeof(r.reason), "release 1.0");
	r.count = count;
	r.needed = needed;
	r.expires = expires;
	if (kind == STORE_KIND_SIGN) {
		snprintf(r.hash, sizeof(r.hash), "sha256");
		memset(r.digest, 0xab, 32);
		r.digest_len = 32;
		snprintf(r.program, sizeof(r.program), "git");
		r.pid = 4242;
	}
	assert_int_equal(store_request_open(st, &r, now), 0);
	assert_true(r.id > 0);
	assert_int_equal(r.state, STORE_PENDING);
	return r.id;
}

/* An approved grant of COUNT uses on PROJECT for REQUESTER, until EXPIRES. */
static int64_t
grant(struct store *st, const char *requester, const char *project, unsigned count,
      int64_t expires)
{
	return sf_grant(st, requester, project, count, T0, expires);
}

static enum store_miss
take(struct store *st, const char *requester, const char *project, unsigned rate,
     unsigned period, int use_grant, int64_t request, int64_t now_ms, struct store_taken *out)
{
	struct store_take t = {
		.project = project, .requester = requester, .rate_count = rate, .rate_period = period,
		.use_grant = use_grant, .request = request, .now_ms = now_ms,
	};

	assert_int_equal(store_take(st, &t, out), 0);
	return out->miss;
}

static void
test_open_file(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = NULL;
	char path[128], err[512];
	struct stat sb;

	st = sf_open(t->dir);
	/* The write-ahead log beside it is as private (SQLite copies the mode). */
	snprintf(path, sizeof(path), "%s/policyd.db-wal", t->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	store_close(st);
	snprintf(path, sizeof(path), "%s/policyd.db", t->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* Readable by others: refused, with what to do. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_not_equal(store_open(t->dir, &st, err, sizeof(err)), 0);
	assert_null(st);
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(chmod(path, 0600), 0);
	/* A symlink planted in its place: refused, the target untouched. */
	assert_int_equal(rename(path, t->file), 0);
	assert_int_equal(symlink(t->file, path), 0);
	assert_int_not_equal(store_open(t->dir, &st, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "symbolic link"));
	/* A folder others may write (they could plant the -wal file). */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(chmod(t->dir, 0777), 0);
	assert_int_not_equal(store_open(t->dir, &st, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "writable"));
	assert_int_equal(chmod(t->dir, 0700), 0);
	/* A missing folder: an error naming it. */
	assert_int_not_equal(store_open(t->sub, &st, err, sizeof(err)), 0);
	assert_non_null(strstr(err, t->sub));
}

/* A policyd.db that is not a database (truncated, overwritten): an error
 * that names it, not a fresh empty store over it. */
static void
test_not_a_database(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = NULL;
	char path[128], err[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/policyd.db", t->dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("this is not an SQLite database, but it is long enough to have a header..........\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_not_equal(store_open(t->dir, &st, err, sizeof(err)), 0);
	assert_null(st);
	assert_non_null(strstr(err, "policyd.db"));
}

static void
test_newer_schema(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	char path[128], err[512];
	sqlite3 *db = NULL;

	store_close(st);
	st = NULL;
	snprintf(path, sizeof(path), "%s/policyd.db", t->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_not_equal(store_open(t->dir, &st, err, sizeof(err)), 0);
	assert_null(st);
	assert_non_null(strstr(err, "schema version 2"));
}

static void
test_approve_verdicts(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	struct store_request o;
	enum store_verdict v;
	int64_t id = open_req(st, STORE_KIND_GRANT, ALICE, "p", 5, 2, T0, T0 + 3600);

	/* The requester never approves their own request. */
	assert_int_equal(store_request_approve(st, id, ALICE, NULL, T0 + 1, &o, &v), 0);
	assert_int_equal(v, STORE_V_SELF);
	assert_int_equal(o.state, STORE_PENDING);
	assert_int_equal(o.napprovals, 0);
	/* One approval is not enough; the same approver twice counts once. */
	assert_int_equal(store_request_approve(st, id, BOB, "lgtm", T0 + 2, &o, &v), 0);
	assert_int_equal(v, STORE_V_OK);
	assert_int_equal(o.state, STORE_PENDING);
	assert_int_equal(o.napprovals, 1);
	assert_string_equal(o.approvals[0].by, BOB);
	assert_string_equal(o.approvals[0].comment, "lgtm");
	assert_int_equal(o.approvals[0].time, T0 + 2);
	assert_int_equal(store_request_approve(st, id, BOB, NULL, T0 + 3, &o, &v), 0);
	assert_int_equal(v, STORE_V_ALREADY);
	assert_int_equal(o.napprovals, 1);
	assert_int_equal(o.state, STORE_PENDING);
	/* The second distinct approver: approved, closed then, in order. */
	assert_int_equal(store_request_approve(st, id, CAROL, NULL, T0 + 4, &o, &v), 0);
	assert_int_equal(v, STORE_V_OK);
	assert_int_equal(o.state, STORE_APPROVED);
	assert_int_equal(o.closed, T0 + 4);
	assert_int_equal(o.napprovals, 2);
	assert_string_equal(o.approvals[1].by, CAROL);
	assert_string_equal(o.approvals[1].comment, "");
	/* Approved already: a third approver or a denial changes nothing. */
	assert_int_equal(store_request_approve(st, id, "user:dave", NULL, T0 + 5, &o, &v), 0);
	assert_int_equal(v, STORE_V_NOT_PENDING);
	assert_int_equal(o.napprovals, 2);
	assert_int_equal(store_request_deny(st, id, "user:dave", "no", T0 + 5, &o, &v), 0);
	assert_int_equal(v, STORE_V_NOT_PENDING);
	assert_int_equal(o.state, STORE_APPROVED);
	/* No such request. */
	assert_int_equal(gpg_err_code(store_request_approve(st, id + 100, BOB, NULL, T0, &o, &v)),
	                 GPG_ERR_NOT_FOUND);
	assert_int_equal(gpg_err_code(store_request_get(st, id + 100, &o)), GPG_ERR_NOT_FOUND);
	store_close(st);
}

static void
test_deny_and_expiry(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	struct store_request o;
	enum store_verdict v;
	int64_t id = open_req(st, STORE_KIND_GRANT, ALICE, "p", 1, 2, T0, T0 + 3600);

	assert_int_equal(store_request_approve(st, id, BOB, NULL, T0 + 1, &o, &v), 0);
	/* The requester cannot deny (they cancel); an approver can. */
	assert_int_equal(store_request_deny(st, id, ALICE, "oops", T0 + 2, &o, &v), 0);
	assert_int_equal(v, STORE_V_SELF);
	assert_int_equal(o.state, STORE_PENDING);
	assert_int_equal(store_request_deny(st, id, CAROL, "not today", T0 + 3, &o, &v), 0);
	assert_int_equal(v, STORE_V_OK);
	assert_int_equal(o.state, STORE_DENIED);
	assert_string_equal(o.closed_by, CAROL);
	assert_string_equal(o.close_reason, "not today");
	assert_int_equal(o.closed, T0 + 3);
	/* Denied is final: a later approval does not revive it. */
	assert_int_equal(store_request_approve(st, id, "user:dave", NULL, T0 + 4, &o, &v), 0);
	assert_int_equal(v, STORE_V_NOT_PENDING);
	assert_int_equal(o.state, STORE_DENIED);
	assert_int_equal(o.napprovals, 1);
	/* Pending past its end: the approval finds it expired, and marks it. */
	id = open_req(st, STORE_KIND_GRANT, ALICE, "p", 1, 1, T0, T0 + 60);
	assert_int_equal(store_request_approve(st, id, BOB, NULL, T0 + 60, &o, &v), 0);
	assert_int_equal(v, STORE_V_EXPIRED);
	assert_int_equal(o.state, STORE_EXPIRED);
	assert_int_equal(store_request_get(st, id, &o), 0);
	assert_int_equal(o.state, STORE_EXPIRED);
	assert_int_equal(o.napprovals, 0);
	assert_int_equal(store_request_approve(st, id, BOB, NULL, T0 + 61, &o, &v), 0);
	assert_int_equal(v, STORE_V_NOT_PENDING);
	id = open_req(st, STORE_KIND_GRANT, ALICE, "p", 1, 1, T0, T0 + 60);
	assert_int_equal(store_request_deny(st, id, BOB, "late", T0 + 99, &o, &v), 0);
	assert_int_equal(v, STORE_V_EXPIRED);
	assert_int_equal(o.state, STORE_EXPIRED);
	store_close(st);
}

static void
test_limits(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	struct store_request r, o;
	char long_text[STORE_TEXT_MAX + 8];
	enum store_verdict v;
	int64_t id = 0;

	memset(&r, 0, sizeof(r));
	r.kind = STORE_KIND_GRANT;
	snprintf(r.project, sizeof(r.project), "p");
	snprintf(r.requester, sizeof(r.requester), ALICE);
	r.count = 1;
	r.needed = 1;
	r.expires = T0 + 60;
	/* A reason that fills its field without room for the NUL. */
	memset(r.reason, 'x', sizeof(r.reason));
	assert_int_equal(gpg_err_code(store_request_open(st, &r, T0)), GPG_ERR_TOO_LARGE);
	r.reason[0] = '\0';
	r.count = STORE_MAX_COUNT + 1;
	assert_int_equal(gpg_err_code(store_request_open(st, &r, T0)), GPG_ERR_TOO_LARGE);
	r.count = 0;
	assert_int_equal(gpg_err_code(store_request_open(st, &r, T0)), GPG_ERR_INV_VALUE);
	r.count = 1;
	r.expires = T0 + STORE_MAX_TTL + 1;
	assert_int_equal(gpg_err_code(store_request_open(st, &r, T0)), GPG_ERR_TOO_LARGE);
	r.expires = T0;
	assert_int_equal(gpg_err_code(store_request_open(st, &r, T0)), GPG_ERR_INV_VALUE);
	r.expires = T0 + 60;
	r.requester[0] = '\0';
	assert_int_equal(gpg_err_code(store_request_open(st, &r, T0)), GPG_ERR_INV_VALUE);
	/* A flood of open requests from one principal stops at the limit. */
	for (int i = 0; i < STORE_MAX_OPEN_PER_REQUESTER; i++)
		id = open_req(st, STORE_KIND_GRANT, ALICE, "p", 1, 1, T0, T0 + 60);
	snprintf(r.requester, sizeof(r.requester), ALICE);
	assert_int_equal(gpg_err_code(store_request_open(st, &r, T0)), GPG_ERR_LIMIT_REACHED);
	/* Others are not held back; one closed makes room again. */
	open_req(st, STORE_KIND_GRANT, BOB, "p", 1, 1, T0, T0 + 60);
	assert_int_equal(store_request_deny(st, id, BOB, "no", T0, &o, &v), 0);
	assert_int_equal(store_request_open(st, &r, T0), 0);
	/* Comments and reasons of approvers are bounded too. */
	memset(long_text, 'y', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	assert_int_equal(gpg_err_code(store_request_approve(st, r.id, BOB, long_text, T0, &o, &v)),
	                 GPG_ERR_TOO_LARGE);
	assert_int_equal(gpg_err_code(store_request_deny(st, r.id, BOB, long_text, T0, &o, &v)),
	                 GPG_ERR_TOO_LARGE);
	assert_int_equal(store_request_get(st, r.id, &o), 0);
	assert_int_equal(o.state, STORE_PENDING);
	store_close(st);
}

static void
test_grant_uses(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	struct store_taken out;
	struct store_request o;
	int64_t g = grant(st, ALICE, "p", 3, T0 + 3600);

	/* No grant on another project, nor for another requester. */
	assert_int_equal(take(st, ALICE, "q", 0, 0, 1, 0, T0 * 1000LL, &out), STORE_NO_GRANT);
	assert_int_equal(take(st, BOB, "p", 0, 0, 1, 0, T0 * 1000LL, &out), STORE_NO_GRANT);
	/* N signatures, then the N+1th refused: used up. */
	for (unsigned i = 1; i <= 3; i++) {
		assert_int_equal(take(st, ALICE, "p", 0, 0, 1, 0, T0 * 1000LL + i, &out), STORE_TAKEN);
		assert_int_equal(out.grant, g);
		assert_int_equal(out.left, 3 - i);
	}
	assert_int_equal(store_request_get(st, g, &o), 0);
	assert_int_equal(o.state, STORE_USED);
	assert_int_equal(o.used, 3);
	assert_int_equal(take(st, ALICE, "p", 0, 0, 1, 0, T0 * 1000LL + 9, &out),
	                 STORE_GRANT_USED_UP);
	assert_int_equal(out.grant, 0);
	assert_int_equal(store_request_get(st, g, &o), 0);
	assert_int_equal(o.used, 3);
	/* A project without approvals needs no grant. */
	assert_int_equal(take(st, ALICE, "p", 0, 0, 0, 0, T0 * 1000LL, &out), STORE_TAKEN);
	assert_int_equal(out.grant, 0);
	store_close(st);
}

static void
test_grant_expiry_and_order(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	struct store_taken out;
	struct store_request o;
	int64_t late = grant(st, ALICE, "p", 5, T0 + 1000);
	int64_t early = grant(st, ALICE, "p", 5, T0 + 500);
	int64_t pending = open_req(st, STORE_KIND_GRANT, ALICE, "p", 5, 1, T0, T0 + 100);

	(void)pending;
	/* The usable grant that ends first is used first. */
	assert_int_equal(take(st, ALICE, "p", 0, 0, 1, 0, T0 * 1000LL, &out), STORE_TAKEN);
	assert_int_equal(out.grant, early);
	/* Once it ended, the other one. */
	assert_int_equal(take(st, ALICE, "p", 0, 0, 1, 0, (T0 + 500) * 1000LL, &out), STORE_TAKEN);
	assert_int_equal(out.grant, late);
	/* Both ended: expired (not "no grant"), whether store_expire ran or not. */
	assert_int_equal(take(st, ALICE, "p", 0, 0, 1, 0, (T0 + 1000) * 1000LL, &out),
	                 STORE_GRANT_EXPIRED);
	assert_int_equal(store_expire(st, T0 + 1000, NULL, NULL), 0);
	assert_int_equal(store_request_get(st, late, &o), 0);
	assert_int_equal(o.state, STORE_EXPIRED);
	assert_int_equal(o.used, 1);
	assert_int_equal(take(st, ALICE, "p", 0, 0, 1, 0, (T0 + 1001) * 1000LL, &out),
	                 STORE_GRANT_EXPIRED);
	store_close(st);
}

static void
test_sign_request_use(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	struct store_taken out;
	struct store_request o;
	enum store_verdict v;
	int64_t id = open_req(st, STORE_KIND_SIGN, ALICE, "p", 1, 1, T0, T0 + 600);

	assert_int_equal(store_request_get(st, id, &o), 0);
	assert_int_equal(o.kind, STORE_KIND_SIGN);
	assert_string_equal(o.hash, "sha256");
	assert_int_equal(o.digest_len, 32);
	assert_int_equal(o.digest[31], 0xab);
	assert_string_equal(o.program, "git");
	assert_int_equal(o.pid, 4242);
	/* Not approved yet: nothing to use. */
	assert_int_equal(take(st, ALICE, "p", 0, 0, 1, id, T0 * 1000LL, &out), STORE_NO_GRANT);
	assert_int_equal(store_request_approve(st, id, BOB, NULL, T0 + 1, &o, &v), 0);
	assert_int_equal(o.state, STORE_APPROVED);
	/* An approved SIGN request is never a general grant... */
	assert_int_equal(take(st, ALICE, "p", 0, 0, 1, 0, T0 * 1000LL + 1, &out), STORE_NO_GRANT);
	/* ...nor another requester's or project's. */
	assert_int_equal(take(st, BOB, "p", 0, 0, 1, id, T0 * 1000LL + 1, &out), STORE_NO_GRANT);
	assert_int_equal(take(st, ALICE, "q", 0, 0, 1, id, T0 * 1000LL + 1, &out), STORE_NO_GRANT);
	/* Used through its id, once. */
	assert_int_equal(take(st, ALICE, "p", 0, 0, 1, id, T0 * 1000LL + 2, &out), STORE_TAKEN);
	assert_int_equal(out.grant, id);
	assert_int_equal(out.left, 0);
	assert_int_equal(take(st, ALICE, "p", 0, 0, 1, id, T0 * 1000LL + 3, &out),
	                 STORE_GRANT_USED_UP);
	assert_int_equal(store_request_get(st, id, &o), 0);
	assert_int_equal(o.state, STORE_USED);
	/* A grant request's id is not a SIGN request. */
	id = grant(st, ALICE, "p", 2, T0 + 600);
	assert_int_equal(take(st, ALICE, "p", 0, 0, 1, id, T0 * 1000LL + 4, &out), STORE_NO_GRANT);
	store_close(st);
}

static void
test_rate_window(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	int64_t base = T0 * 1000LL;
	struct store_taken out;

	/* 3 per 10 s, sliding. */
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(take(st, ALICE, "p", 3, 10, 0, 0, base + i * 1000, &out), STORE_TAKEN);
		assert_int_equal(out.in_window, i + 1);
	}
	assert_int_equal(take(st, ALICE, "p", 3, 10, 0, 0, base + 3000, &out), STORE_RATE_LIMITED);
	assert_int_equal(out.retry_at_ms, base + 10000);
	assert_int_equal(out.in_window, 3);
	/* A refusal takes no slot: still full just before the first leaves. */
	assert_int_equal(take(st, ALICE, "p", 3, 10, 0, 0, base + 9999, &out), STORE_RATE_LIMITED);
	assert_int_equal(take(st, ALICE, "p", 3, 10, 0, 0, base + 10000, &out), STORE_TAKEN);
	assert_int_equal(out.in_window, 3);
	assert_int_equal(take(st, ALICE, "p", 3, 10, 0, 0, base + 10500, &out), STORE_RATE_LIMITED);
	assert_int_equal(out.retry_at_ms, base + 11000);
	/* Per requester and project. */
	assert_int_equal(take(st, BOB, "p", 3, 10, 0, 0, base + 10500, &out), STORE_TAKEN);
	assert_int_equal(take(st, ALICE, "q", 3, 10, 0, 0, base + 10500, &out), STORE_TAKEN);
	/* A smaller rate applied to the same history (the policy changed). */
	assert_int_equal(take(st, ALICE, "p", 1, 10, 0, 0, base + 12500, &out), STORE_RATE_LIMITED);
	assert_int_equal(out.retry_at_ms, base + 20000);
	/* A day later everything has slid out (and was pruned). */
	assert_int_equal(take(st, ALICE, "p", 1, 10, 0, 0, base + 86400000LL * 2, &out),
	                 STORE_TAKEN);
	assert_int_equal(out.in_window, 1);
	/* The clock stepped back: what was taken still counts, and leaves the
	 * window no earlier than it would have. */
	base += 86400000LL * 3;
	assert_int_equal(take(st, CAROL, "p", 2, 10, 0, 0, base + 5000, &out), STORE_TAKEN);
	assert_int_equal(take(st, CAROL, "p", 2, 10, 0, 0, base + 1000, &out), STORE_TAKEN);
	assert_int_equal(out.in_window, 2);
	assert_int_equal(take(st, CAROL, "p", 2, 10, 0, 0, base + 2000, &out), STORE_RATE_LIMITED);
	assert_int_equal(out.retry_at_ms, base + 15000);
	assert_int_equal(take(st, CAROL, "p", 2, 10, 0, 0, base + 15000, &out), STORE_TAKEN);
	/* Bad rates are refused, not treated as "no limit". */
	{
		struct store_take bad = { .project = "p", .requester = ALICE, .rate_count = 1,
		                          .rate_period = 0, .now_ms = base };

		assert_int_equal(gpg_err_code(store_take(st, &bad, &out)), GPG_ERR_INV_VALUE);
		bad.rate_period = 2 * 86400;
		assert_int_equal(gpg_err_code(store_take(st, &bad, &out)), GPG_ERR_INV_VALUE);
	}
	store_close(st);
}

/* A miss of either kind takes nothing of the other. */
static void
test_take_all_or_nothing(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	int64_t base = T0 * 1000LL, g;
	struct store_taken out;
	struct store_request o;

	/* No grant: the rate window is not charged for the refusals. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(take(st, ALICE, "p", 2, 60, 1, 0, base + i, &out), STORE_NO_GRANT);
	g = grant(st, ALICE, "p", 5, T0 + 3600);
	assert_int_equal(take(st, ALICE, "p", 2, 60, 1, 0, base + 10, &out), STORE_TAKEN);
	assert_int_equal(out.in_window, 1);
	assert_int_equal(take(st, ALICE, "p", 2, 60, 1, 0, base + 11, &out), STORE_TAKEN);
	/* Rate full: the grant is not charged. */
	assert_int_equal(take(st, ALICE, "p", 2, 60, 1, 0, base + 12, &out), STORE_RATE_LIMITED);
	assert_int_equal(out.grant, 0);
	assert_int_equal(store_request_get(st, g, &o), 0);
	assert_int_equal(o.used, 2);
	store_close(st);
}

struct seen {
	int n;
	int64_t ids[8];
	enum store_state states[8];
};

static void
see(void *opaque, const struct store_request *req)
{
	struct seen *s = opaque;

	if (s->n < 8) {
		s->ids[s->n] = req->id;
		s->states[s->n] = req->state;
	}
	s->n++;
}

/* Old final requests leave the store; pending and usable ones stay, and an
 * id is never given again. */
static void
test_purge(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	struct store_request o;
	enum store_verdict v;
	size_t n = 0;
	int64_t old = open_req(st, STORE_KIND_GRANT, ALICE, "p", 1, 1, T0, T0 + 100);
	int64_t pend = open_req(st, STORE_KIND_GRANT, ALICE, "p", 1, 1, T0, T0 + 1000);
	int64_t g = grant(st, BOB, "p", 2, T0 + 1000);
	int64_t later, fresh;

	assert_int_equal(store_request_deny(st, old, CAROL, "no", T0 + 10, &o, &v), 0);
	later = open_req(st, STORE_KIND_GRANT, ALICE, "p", 1, 1, T0, T0 + 1000);
	assert_int_equal(store_request_cancel(st, later, T0 + 500, &v), 0);
	assert_int_equal(store_purge(st, T0 + 11, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(gpg_err_code(store_request_get(st, old, &o)), GPG_ERR_NOT_FOUND);
	assert_int_equal(store_request_get(st, pend, &o), 0);
	assert_int_equal(store_request_get(st, g, &o), 0);
	assert_int_equal(o.state, STORE_APPROVED);
	assert_int_equal(store_request_get(st, later, &o), 0);   /* closed after BEFORE */
	assert_int_equal(store_purge(st, T0 + 11, &n), 0);
	assert_int_equal(n, 0);
	fresh = open_req(st, STORE_KIND_GRANT, ALICE, "p", 1, 1, T0, T0 + 1000);
	assert_true(fresh > later);
	store_close(st);
}

/* store_reconcile puts back uses and rate slots the trail names, never
 * lowers a count, never passes a grant's count, and is idempotent. */
static void
test_reconcile(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	struct store_request o;
	struct store_taken out;
	int64_t g = grant(st, ALICE, "p", 3, T0 + 1000);
	struct store_took v[] = {
		{ g, 2, "p", ALICE, 1, T0 * (int64_t)1000 },
		{ g, 3, "p", ALICE, 2, T0 * (int64_t)1000 + 5 },
		{ g, 9, NULL, NULL, 0, T0 * (int64_t)1000 },       /* past its count: ignored */
		{ g, 1, "p", ALICE, 2, T0 * (int64_t)1000 + 5 },   /* lower: ignored */
	};
	size_t changed = 0;

	assert_int_equal(take(st, ALICE, "p", 10, 3600, 1, 0, T0 * (int64_t)1000, &out), STORE_TAKEN);
	assert_int_equal(out.use, 1);
	assert_int_equal(out.rate_seq, 1);
	assert_int_equal(store_reconcile(st, v, 4, &changed), 0);
	assert_int_equal(changed, 2);
	assert_int_equal(store_request_get(st, g, &o), 0);
	assert_int_equal(o.used, 3);
	assert_int_equal(o.state, STORE_USED);
	assert_int_equal(store_reconcile(st, v, 4, &changed), 0);
	assert_int_equal(changed, 0);
	/* The rate window holds the two put back: the next slot is 3. */
	assert_int_equal(take(st, ALICE, "p", 10, 3600, 0, 0, T0 * (int64_t)1000 + 10, &out), STORE_TAKEN);
	assert_int_equal(out.rate_seq, 3);
	assert_int_equal(out.in_window, 3);
	store_close(st);
}

static void
test_expire_and_cancel(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	struct seen seen = { 0 };
	struct store_request o;
	enum store_verdict v;
	int64_t p1 = open_req(st, STORE_KIND_GRANT, ALICE, "p", 1, 1, T0, T0 + 100);
	int64_t g1 = grant(st, ALICE, "p", 1, T0 + 100);
	int64_t p2 = open_req(st, STORE_KIND_GRANT, ALICE, "p", 1, 1, T0, T0 + 200);
	int64_t s1 = open_req(st, STORE_KIND_SIGN, ALICE, "p", 1, 1, T0, T0 + 600);
	int64_t s2 = open_req(st, STORE_KIND_SIGN, BOB, "p", 1, 1, T0, T0 + 600);

	assert_int_equal(store_expire(st, T0 + 99, see, &seen), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(store_expire(st, T0 + 100, see, &seen), 0);
	assert_int_equal(seen.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_true(seen.ids[i] == p1 || seen.ids[i] == g1);
		assert_int_equal(seen.states[i], STORE_EXPIRED);
	}
	assert_int_equal(store_request_get(st, p2, &o), 0);
	assert_int_equal(o.state, STORE_PENDING);
	/* Restart: waiting SIGNs, pending or approved, are cancelled; grants stay. */
	assert_int_equal(store_request_approve(st, s2, CAROL, NULL, T0 + 1, &o, &v), 0);
	assert_int_equal(o.state, STORE_APPROVED);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_cancel_waiting(st, T0 + 5, see, &seen), 0);
	assert_int_equal(seen.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_true(seen.ids[i] == s1 || seen.ids[i] == s2);
		assert_int_equal(seen.states[i], STORE_CANCELLED);
	}
	assert_int_equal(store_request_get(st, p2, &o), 0);
	assert_int_equal(o.state, STORE_PENDING);
	/* Cancel once; a final request stays as it is. */
	assert_int_equal(store_request_cancel(st, p2, T0 + 6, &v), 0);
	assert_int_equal(v, STORE_V_OK);
	assert_int_equal(store_request_get(st, p2, &o), 0);
	assert_int_equal(o.state, STORE_CANCELLED);
	assert_int_equal(o.closed, T0 + 6);
	assert_int_equal(store_request_cancel(st, p2, T0 + 7, &v), 0);
	assert_int_equal(v, STORE_V_NOT_PENDING);
	assert_int_equal(store_request_cancel(st, p1, T0 + 7, &v), 0);
	assert_int_equal(v, STORE_V_NOT_PENDING);
	assert_int_equal(gpg_err_code(store_request_cancel(st, 9999, T0, &v)), GPG_ERR_NOT_FOUND);
	store_close(st);
}

static void
test_list(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	struct seen seen = { 0 };
	struct store_filter f = { 0 };
	int64_t a1 = open_req(st, STORE_KIND_GRANT, ALICE, "p", 1, 1, T0, T0 + 100);
	int64_t a2 = open_req(st, STORE_KIND_SIGN, ALICE, "q", 1, 1, T0, T0 + 300);
	int64_t b1 = grant(st, BOB, "p", 1, T0 + 200);

	assert_int_equal(store_request_list(st, &f, see, &seen), 0);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.ids[0], b1);   /* newest first */
	assert_int_equal(seen.ids[2], a1);
	memset(&seen, 0, sizeof(seen));
	f.requester = ALICE;
	assert_int_equal(store_request_list(st, &f, see, &seen), 0);
	assert_int_equal(seen.n, 2);
	memset(&seen, 0, sizeof(seen));
	f.kind = STORE_KIND_SIGN;
	assert_int_equal(store_request_list(st, &f, see, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.ids[0], a2);
	memset(&seen, 0, sizeof(seen));
	f = (struct store_filter){ .state = STORE_PENDING, .project = "p" };
	assert_int_equal(store_request_list(st, &f, see, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.ids[0], a1);
	memset(&seen, 0, sizeof(seen));
	f = (struct store_filter){ .min_expires = T0 + 150, .limit = 1 };
	assert_int_equal(store_request_list(st, &f, see, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.ids[0], b1);
	store_close(st);
}

static void
test_totp(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	const uint8_t sealed[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t buf[STORE_SEALED_MAX], big[STORE_SEALED_MAX + 1] = { 0 };
	unsigned failures;
	size_t len;
	int reused;

	assert_int_equal(gpg_err_code(store_totp_get(st, ALICE, buf, sizeof(buf), &len)),
	                 GPG_ERR_NOT_FOUND);
	assert_int_equal(gpg_err_code(store_totp_check(st, ALICE, "p", 1, 100, &reused, &failures)),
	                 GPG_ERR_NOT_FOUND);
	assert_int_equal(gpg_err_code(store_totp_put(st, ALICE, big, sizeof(big), T0)),
	                 GPG_ERR_TOO_LARGE);
	assert_int_equal(store_totp_put(st, ALICE, sealed, sizeof(sealed), T0), 0);
	assert_int_equal(store_totp_get(st, ALICE, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(sealed));
	assert_memory_equal(buf, sealed, sizeof(sealed));
	assert_int_not_equal(store_totp_get(st, ALICE, buf, 4, &len), 0);
	/* A right code once; the same step again is a reuse and a failure. */
	assert_int_equal(store_totp_check(st, ALICE, "p", 1, 100, &reused, &failures), 0);
	assert_false(reused);
	assert_int_equal(failures, 0);
	assert_int_equal(store_totp_check(st, ALICE, "p", 1, 100, &reused, &failures), 0);
	assert_true(reused);
	assert_int_equal(failures, 1);
	/* An earlier step (a code seen before, one window back) too. */
	assert_int_equal(store_totp_check(st, ALICE, "p", 1, 99, &reused, &failures), 0);
	assert_true(reused);
	assert_int_equal(failures, 2);
	assert_int_equal(store_totp_check(st, ALICE, "p", 0, 101, &reused, &failures), 0);
	assert_false(reused);
	assert_int_equal(failures, 3);
	/* Per project. */
	assert_int_equal(store_totp_check(st, ALICE, "q", 0, 101, &reused, &failures), 0);
	assert_int_equal(failures, 1);
	assert_int_equal(store_totp_failures(st, ALICE, "p", &failures), 0);
	assert_int_equal(failures, 3);
	/* Success resets the project's count (only that project's). */
	assert_int_equal(store_totp_check(st, ALICE, "p", 1, 101, &reused, &failures), 0);
	assert_false(reused);
	assert_int_equal(failures, 0);
	assert_int_equal(store_totp_failures(st, ALICE, "q", &failures), 0);
	assert_int_equal(failures, 1);
	/* Locked out after the maximum, until reset. */
	for (unsigned i = 1; i <= STORE_TOTP_MAX_FAILURES; i++)
		assert_int_equal(store_totp_check(st, ALICE, "p", 0, 102, &reused, &failures), 0);
	assert_int_equal(failures, STORE_TOTP_MAX_FAILURES);
	assert_int_equal(store_totp_reset(st, ALICE, 0), 0);
	assert_int_equal(store_totp_failures(st, ALICE, "p", &failures), 0);
	assert_int_equal(failures, 0);
	assert_int_equal(store_totp_failures(st, ALICE, "q", &failures), 0);
	assert_int_equal(failures, 0);
	assert_int_equal(store_totp_get(st, ALICE, buf, sizeof(buf), &len), 0);
	/* Re-enrolling clears the last step. */
	assert_int_equal(store_totp_put(st, ALICE, sealed, 4, T0 + 1), 0);
	assert_int_equal(store_totp_check(st, ALICE, "p", 1, 50, &reused, &failures), 0);
	assert_false(reused);
	/* Forget: not enrolled any more. */
	assert_int_equal(store_totp_reset(st, ALICE, 1), 0);
	assert_int_equal(gpg_err_code(store_totp_get(st, ALICE, buf, sizeof(buf), &len)),
	                 GPG_ERR_NOT_FOUND);
	store_close(st);
}

static void
test_reopen_keeps_all(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	const uint8_t sealed[] = { 9, 8, 7 };
	int64_t base = T0 * 1000LL, g, p;
	struct store_taken out;
	struct store_request o;
	enum store_verdict v;
	unsigned failures;
	int reused;

	g = grant(st, ALICE, "p", 2, T0 + 3600);
	p = open_req(st, STORE_KIND_GRANT, ALICE, "p", 1, 2, T0, T0 + 3600);
	assert_int_equal(store_request_approve(st, p, BOB, "one", T0 + 1, &o, &v), 0);
	assert_int_equal(take(st, ALICE, "p", 1, 3600, 1, 0, base, &out), STORE_TAKEN);
	assert_int_equal(store_totp_put(st, ALICE, sealed, sizeof(sealed), T0), 0);
	assert_int_equal(store_totp_check(st, ALICE, "p", 1, 500, &reused, &failures), 0);
	assert_int_equal(store_totp_check(st, ALICE, "p", 0, 501, &reused, &failures), 0);
	store_close(st);

	st = sf_open(t->dir);
	assert_int_equal(store_request_get(st, g, &o), 0);
	assert_int_equal(o.used, 1);
	assert_int_equal(o.state, STORE_APPROVED);
	assert_int_equal(store_request_get(st, p, &o), 0);
	assert_int_equal(o.napprovals, 1);
	assert_string_equal(o.approvals[0].by, BOB);
	assert_string_equal(o.approvals[0].comment, "one");
	assert_int_equal(store_request_approve(st, p, BOB, NULL, T0 + 2, &o, &v), 0);
	assert_int_equal(v, STORE_V_ALREADY);
	/* The rate window survives: still full. */
	assert_int_equal(take(st, ALICE, "p", 1, 3600, 1, 0, base + 1000, &out), STORE_RATE_LIMITED);
	assert_int_equal(store_totp_check(st, ALICE, "p", 1, 500, &reused, &failures), 0);
	assert_true(reused);
	assert_int_equal(failures, 2);
	store_close(st);
}

#define HAMMER_THREADS 8
#define HAMMER_TRIES 40
#define HAMMER_COUNT 100

struct hammer {
	struct store *st;
	int taken;
};

static void *
hammer(void *arg)
{
	struct hammer *h = arg;
	struct store_taken out;

	for (int i = 0; i < HAMMER_TRIES; i++) {
		struct store_take tk = { .project = "p", .requester = ALICE, .use_grant = 1,
		                         .now_ms = T0 * 1000LL + i };

		if (store_take(h->st, &tk, &out) == 0 && out.miss == STORE_TAKEN)
			h->taken++;
	}
	return NULL;
}

/* policyd's 8 workers on one store: every use counted once, none past the grant. */
static void
test_threads(void **state)
{
	struct tmpdir *t = *state;
	struct store *st = sf_open(t->dir);
	struct hammer h[HAMMER_THREADS];
	pthread_t th[HAMMER_THREADS];
	struct store_request o;
	int64_t g = grant(st, ALICE, "p", HAMMER_COUNT, T0 + 3600);
	int total = 0;

	for (int i = 0; i < HAMMER_THREADS; i++) {
		h[i] = (struct hammer){ .st = st };
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &h[i]), 0);
	}
	for (int i = 0; i < HAMMER_THREADS; i++) {
		pthread_join(th[i], NULL);
		total += h[i].taken;
	}
	assert_int_equal(total, HAMMER_COUNT);
	assert_int_equal(store_request_get(st, g, &o), 0);
	assert_int_equal(o.used, HAMMER_COUNT);
	assert_int_equal(o.state, STORE_USED);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_file, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_approve_verdicts, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_deny_and_expiry, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_limits, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_grant_uses, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_grant_expiry_and_order, tmpdir_setup,
		                                tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_sign_request_use, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_rate_window, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_take_all_or_nothing, tmpdir_setup,
		                                tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_expire_and_cancel, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_purge, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_reconcile, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_list, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_totp, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_all, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_threads, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
