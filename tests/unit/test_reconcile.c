/* test_reconcile.c — policyd's start-up catch-up with the audit trail
 * (policyd/reconcile.c) on real files: a trail of sign records naming
 * grant uses and rate slots, and a state store that lost the takes after
 * its sync mark.  Every record after the mark is put back (in batches
 * larger than one transaction holds), none before it is looked at, a
 * store without a mark reads the trail's tail, an unreadable mark reads
 * everything, and a second pass changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "../../policyd/reconcile.h"
#include "../../policyd/store.h"
#include "audit.h"
#include "storefix.h"
#include "tmpdir.h"

#define T0       1800000000
#define RECORDS  9000             /* more than RECONCILE_MAX: two batches */
#define ALICE    "user:alice"

/* A trail of RECORDS sign records, each using the next use of grant G
 * and the next rate slot, with a refusal between every two. */
static void
trail(const struct tmpdir *t, int64_t g, char *path, size_t len)
{
	struct audit_log *log = NULL;
	struct audit_event ev;
	uint64_t seq;

	snprintf(path, len, "%s/audit.jsonl", t->dir);
	assert_int_equal(audit_open(path, &log), 0);
	assert_int_equal(audit_set_sync_interval(log, 1000), 0);
	for (unsigned i = 1; i <= RECORDS; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.has_requester = 1;
		ev.user = "alice";
		ev.project = "p";
		ev.event = "sign";
		ev.result = "granted";
		ev.grant = g;
		ev.use = i;
		ev.rate_seq = i;
		assert_int_equal(audit_append(log, &ev, &seq), 0);
		if (i % 2 == 0) {
			ev.event = "deny";
			ev.result = "denied";
			ev.grant = 0;
			ev.use = 0;
			ev.rate_seq = 0;
			assert_int_equal(audit_append(log, &ev, &seq), 0);
		}
	}
	audit_close(log);
}

/* The seq of sign record number I (1-based) in trail(). */
static uint64_t
seq_of(unsigned i)
{
	return i + (i - 1) / 2;
}

static void
mark(const struct tmpdir *t, const char *text)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/policyd.db-synced", t->dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A fresh store with an approved grant of RECORDS uses; its id. */
static int64_t
fresh_grant(const struct tmpdir *t)
{
	struct store *st = sf_open(t->dir);
	int64_t g = sf_grant(st, ALICE, "p", RECORDS, T0, T0 + 100000);

	store_close(st);
	return g;
}

static int64_t
slots(const struct tmpdir *t)
{
	char path[128];
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t n;

	snprintf(path, sizeof(path), "%s/policyd.db", t->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM rate_events", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* With the mark MARK_TEXT (NULL: no mark file), reconcile: the grant's
 * uses and the rate slots come out as USED and SLOTS; again: no change. */
static void
check(void **state, const char *mark_text, unsigned used, int64_t nslots)
{
	struct tmpdir *t = *state;
	char path[128];
	int64_t g = fresh_grant(t);
	struct store_request o;
	struct store *st;
	size_t changed;

	trail(t, g, path, sizeof(path));
	if (mark_text != NULL)
		mark(t, mark_text);
	st = sf_open(t->dir);
	assert_int_equal(reconcile_from_audit(st, path, &changed), 0);
	assert_int_equal(changed, nslots);
	assert_int_equal(store_request_get(st, g, &o), 0);
	assert_int_equal(o.used, used);
	assert_int_equal(reconcile_from_audit(st, path, &changed), 0);
	assert_int_equal(changed, 0);
	store_close(st);
	assert_int_equal(slots(t), nslots);
}

static char *
mark_text(uint64_t seq, char *buf, size_t len)
{
	snprintf(buf, len, "%020llu\n", (unsigned long long)seq);
	return buf;
}

/* The records after the mark, and only those: the search lands on the
 * first of them whether the mark is a sign record's seq or a refusal's. */
static void
test_after_mark(void **state)
{
	char m[32];

	check(state, mark_text(seq_of(500), m, sizeof(m)), RECORDS, RECORDS - 500);
}

static void
test_after_refusal(void **state)
{
	char m[32];

	check(state, mark_text(seq_of(1000) + 1, m, sizeof(m)), RECORDS, RECORDS - 1000);
}

/* Mark 0: everything (more records than one transaction holds). */
static void
test_mark_zero(void **state)
{
	char m[32];

	check(state, mark_text(0, m, sizeof(m)), RECORDS, RECORDS);
}

/* A mark at or past the trail's end: nothing to do. */
static void
test_mark_at_end(void **state)
{
	char m[32];

	check(state, mark_text(seq_of(RECORDS), m, sizeof(m)), 0, 0);
}

static void
test_mark_past_end(void **state)
{
	char m[32];

	check(state, mark_text(seq_of(RECORDS) + 100, m, sizeof(m)), 0, 0);
}

/* No mark (a store from before marks): the trail's tail, here all of it. */
static void
test_no_mark(void **state)
{
	check(state, NULL, RECORDS, RECORDS);
}

/* A mark that is not one: read everything rather than guess. */
static void
test_bad_mark(void **state)
{
	check(state, "12x\n", RECORDS, RECORDS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_after_mark, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_after_refusal, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_mark_zero, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_mark_at_end, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_mark_past_end, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_no_mark, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_bad_mark, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
