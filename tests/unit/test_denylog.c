/* test_denylog.c — policyd's coalesced refusals: a flood of identical
 * refusals becomes about one record a second, the counts add up to the
 * requests, the sequence stays gap-free, and nothing is lost at close. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "../../policyd/denylog.h"
#include "tmpdir.h"

struct trail {
	size_t records;
	unsigned long requests;     /* sum of count (absent: 1) */
	unsigned long last_count;
	char last_reason[600];
};

/* Read T's trail back: every line a record, seq 1, 2, … without gaps. */
static void
read_trail(const struct tmpdir *t, struct trail *tr)
{
	FILE *f = fopen(t->file, "r");
	char line[4096];
	json_t *o, *c;

	memset(tr, 0, sizeof(*tr));
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_non_null(o = json_loads(line, 0, NULL));
		assert_int_equal(json_integer_value(json_object_get(o, "seq")), (json_int_t)tr->records + 1);
		c = json_object_get(o, "count");
		tr->last_count = c != NULL ? (unsigned long)json_integer_value(c) : 1;
		assert_true(tr->last_count >= 1);
		snprintf(tr->last_reason, sizeof(tr->last_reason), "%s",
		         json_string_value(json_object_get(o, "reason")));
		tr->requests += tr->last_count;
		tr->records++;
		json_decref(o);
	}
	fclose(f);
}

struct world {
	struct audit_log *audit;
	struct denylog *dl;
};

static void
open_world(const struct tmpdir *t, struct world *w)
{
	assert_int_equal(audit_open(t->file, &w->audit), 0);
	assert_int_equal(denylog_new(w->audit, 0, &w->dl), 0);
}

static void
close_world(struct world *w)
{
	denylog_free(w->dl);
	audit_close(w->audit);
}

/* One refused SIGN of UID for PROJECT with REASON at NOW; *WRITTEN. */
static uint64_t
refuse(struct world *w, time_t now, uid_t uid, const char *project, const char *reason, int *written)
{
	struct audit_event ev;
	uint8_t digest[32] = { 1 };
	uint64_t seq = 0;

	memset(&ev, 0, sizeof(ev));
	ev.event = "deny";
	ev.project = project;
	ev.hash = "sha256";
	ev.digest = digest;
	ev.digest_len = sizeof(digest);
	ev.result = "denied";
	ev.reason = reason;
	assert_int_equal(denylog_refuse(w->dl, now, uid, "mallory", 4242, &ev, &seq, written), 0);
	return seq;
}

static void
test_flood_one_second(void **state)
{
	struct tmpdir *t = *state;
	struct world w;
	struct trail tr;
	int written, i;
	uint64_t first, seq;

	open_world(t, &w);
	first = refuse(&w, 100, 1001, "acme", "not a signer", &written);
	assert_int_equal(written, 1);
	assert_int_equal(first, 1);
	for (i = 1; i < 3000; i++) {
		seq = refuse(&w, 100, 1001, "acme", "not a signer", &written);
		assert_int_equal(written, 0);
		assert_int_equal(seq, first);   /* WHY names the record it is counted in */
	}
	read_trail(t, &tr);
	assert_int_equal(tr.records, 1);
	/* The second is not over for a whole second yet: held. */
	assert_int_equal(denylog_flush_due(w.dl, 101), 0);
	assert_int_equal(denylog_flush_due(w.dl, 102), 1);
	assert_int_equal(denylog_flush_due(w.dl, 103), 0);
	read_trail(t, &tr);
	assert_int_equal(tr.records, 2);
	assert_int_equal(tr.last_count, 2999);
	assert_int_equal(tr.requests, 3000);
	close_world(&w);
}

/* A flood over several seconds: one record a second, each carrying the
 * count of the second before; the rest goes out at close. */
static void
test_flood_seconds(void **state)
{
	struct tmpdir *t = *state;
	struct world w;
	struct trail tr;
	int written, i;
	time_t s;

	open_world(t, &w);
	for (s = 200; s < 210; s++)
		for (i = 0; i < 500; i++)
			refuse(&w, s, 1001, "acme", "not a signer", &written);
	read_trail(t, &tr);
	assert_int_equal(tr.records, 10);
	assert_int_equal(tr.last_count, 500);     /* 499 of second 208 + itself */
	assert_int_equal(tr.requests, 1 + 9 * 500);
	close_world(&w);
	read_trail(t, &tr);
	assert_int_equal(tr.records, 11);
	assert_int_equal(tr.last_count, 499);
	assert_int_equal(tr.requests, 5000);
}

/* Varying the reason does not get past the bound: DENYLOG_KINDS kinds a
 * second on their own, the rest counted under "other". */
static void
test_many_kinds(void **state)
{
	struct tmpdir *t = *state;
	struct world w;
	struct trail tr;
	char reason[64];
	int written, i;

	open_world(t, &w);
	for (i = 0; i < 1000; i++) {
		snprintf(reason, sizeof(reason), "no project p%d", i);
		refuse(&w, 300, 1001, NULL, reason, &written);
	}
	read_trail(t, &tr);
	assert_int_equal(tr.records, DENYLOG_KINDS + 1);
	assert_string_equal(tr.last_reason, DENYLOG_OTHER_REASON);
	close_world(&w);
	read_trail(t, &tr);
	assert_int_equal(tr.records, DENYLOG_KINDS + 2);
	assert_int_equal(tr.requests, 1000);
}

/* Users are apart, and more users than slots lose nothing. */
static void
test_many_users(void **state)
{
	struct tmpdir *t = *state;
	struct world w;
	struct trail tr;
	int written, i;

	open_world(t, &w);
	for (i = 0; i < DENYLOG_USERS + 50; i++) {
		refuse(&w, 400, (uid_t)(2000 + i), "acme", "not a signer", &written);
		assert_int_equal(written, 1);
		refuse(&w, 400, (uid_t)(2000 + i), "acme", "not a signer", &written);
		assert_int_equal(written, 0);
	}
	close_world(&w);
	read_trail(t, &tr);
	assert_int_equal(tr.requests, 2 * (DENYLOG_USERS + 50));
}

/* After close every refusal is written at once. */
static void
test_after_close(void **state)
{
	struct tmpdir *t = *state;
	struct world w;
	struct trail tr;
	int written, i;

	open_world(t, &w);
	denylog_close(w.dl);
	for (i = 0; i < 3; i++) {
		refuse(&w, 500, 1001, "acme", "not a signer", &written);
		assert_int_equal(written, 1);
	}
	close_world(&w);
	read_trail(t, &tr);
	assert_int_equal(tr.records, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flood_one_second, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_flood_seconds, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_many_kinds, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_many_users, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_after_close, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
