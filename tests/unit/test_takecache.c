/* test_takecache.c — the in-memory takes (policyd/takecache.h), written as
 * the attacks: many threads racing for the last uses of a grant never get
 * more than its count, and no use number twice; a rate window slides and
 * a refused signature takes no slot; a key is not used while it loads,
 * and a load that an invalidation overtook is not installed; every take
 * is handed to the store, once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "../../policyd/takecache.h"

#define T0 1800000000LL        /* a "now" in seconds */
#define ALICE "user:alice"

static struct takecache *
fresh(void)
{
	struct takecache *tc = NULL;

	assert_int_equal(takecache_new(&tc), 0);
	return tc;
}

/* Load (PROJECT, REQUESTER) with grants G (N) and no rate slots, room
 * for CAP. */
static void
load(struct takecache *tc, const char *project, const char *requester, const struct tc_grant *g, size_t n,
     unsigned cap)
{
	struct tc_load l = { .grants = g, .ngrants = n, .want = cap, .rate = 1 };
	uint64_t gen;
	int need_rate;

	assert_int_equal(takecache_begin_load(tc, project, requester, cap, &gen, &need_rate), 0);
	assert_int_equal(takecache_install(tc, project, requester, gen, &l), 0);
}

static enum tc_result
take(struct takecache *tc, const char *project, unsigned rate, unsigned period, int use_grant,
     int64_t request, int64_t now_ms, struct store_taken *out)
{
	struct store_take t = { .project = project, .requester = ALICE, .rate_count = rate,
		                .rate_period = period, .use_grant = use_grant, .request = request,
		                .now_ms = now_ms };
	int first;

	return takecache_take(tc, &t, out, &first);
}

#define RACERS 8
#define RACE_COUNT 1000
#define RACE_TRIES 400           /* RACERS * RACE_TRIES > RACE_COUNT: most lose */

struct racer {
	struct takecache *tc;
	unsigned taken;
	unsigned uses[RACE_TRIES];
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	struct store_taken out;

	for (int i = 0; i < RACE_TRIES; i++) {
		enum tc_result res = take(r->tc, "p", 0, 0, 1, 0, T0 * 1000 + i, &out);

		if (res == TC_DONE && out.miss == STORE_TAKEN)
			r->uses[r->taken++] = out.use;
		else if (res != TC_GRANT_MISS)
			fail_msg("take: %d", res);
	}
	return NULL;
}

/* N threads taking from a grant of count C: C uses in all, each number
 * once, and the store is handed each of them. */
static void
test_race_for_uses(void **state)
{
	struct takecache *tc = fresh();
	struct tc_grant g = { .id = 7, .expires = T0 + 60, .count = RACE_COUNT, .kind = STORE_KIND_GRANT };
	static struct racer r[RACERS];
	static uint8_t seen[RACE_COUNT + 1];
	struct tc_batch b = { 0 };
	pthread_t th[RACERS];
	unsigned total = 0;

	(void)state;
	load(tc, "p", ALICE, &g, 1, 0);
	for (int i = 0; i < RACERS; i++) {
		r[i] = (struct racer){ .tc = tc };
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (int i = 0; i < RACERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		for (unsigned j = 0; j < r[i].taken; j++) {
			assert_true(r[i].uses[j] >= 1 && r[i].uses[j] <= RACE_COUNT);
			assert_false(seen[r[i].uses[j]]);
			seen[r[i].uses[j]] = 1;
		}
		total += r[i].taken;
	}
	assert_int_equal(total, RACE_COUNT);
	takecache_drain(tc, &b);
	assert_int_equal(b.n, RACE_COUNT);
	for (size_t i = 0; i < b.n; i++) {
		assert_int_equal(b.v[i].grant, 7);
		assert_int_equal(b.v[i].use, i + 1);   /* in use order: the store writes the last */
	}
	takecache_drain(tc, &b);
	assert_int_equal(b.n, 0);
	takecache_batch_free(&b);
	takecache_free(tc);
}

/* 3 per 10 s, sliding; a refusal takes no slot; the clock stepped back. */
static void
test_rate_slides(void **state)
{
	struct takecache *tc = fresh();
	int64_t base = T0 * 1000;
	struct store_taken out;

	(void)state;
	/* Not loaded, then a window too short for the rate: load first. */
	assert_int_equal(take(tc, "p", 3, 10, 0, 0, base, &out), TC_LOAD);
	load(tc, "p", ALICE, NULL, 0, 2);
	assert_int_equal(take(tc, "p", 3, 10, 0, 0, base, &out), TC_LOAD);
	load(tc, "p", ALICE, NULL, 0, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(take(tc, "p", 3, 10, 0, 0, base + i * 1000, &out), TC_DONE);
		assert_int_equal(out.miss, STORE_TAKEN);
		assert_int_equal(out.in_window, i + 1);
		assert_int_equal(out.rate_seq, i + 1);
	}
	assert_int_equal(take(tc, "p", 3, 10, 0, 0, base + 3000, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_RATE_LIMITED);
	assert_int_equal(out.retry_at_ms, base + 10000);
	assert_int_equal(take(tc, "p", 3, 10, 0, 0, base + 9999, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_RATE_LIMITED);
	assert_int_equal(take(tc, "p", 3, 10, 0, 0, base + 10000, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_TAKEN);
	assert_int_equal(out.rate_seq, 4);
	assert_int_equal(take(tc, "p", 3, 10, 0, 0, base + 10500, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_RATE_LIMITED);
	assert_int_equal(out.retry_at_ms, base + 11000);
	/* A smaller rate on the same slots (the policy changed). */
	assert_int_equal(take(tc, "p", 1, 10, 0, 0, base + 12500, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_RATE_LIMITED);
	assert_int_equal(out.retry_at_ms, base + 20000);
	/* Long after: all slid out. */
	assert_int_equal(take(tc, "p", 3, 10, 0, 0, base + 86400000, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_TAKEN);
	assert_int_equal(out.in_window, 1);
	/* The clock stepped back: the slots keep the later time, so they
	 * leave the window no earlier than they would have. */
	base += 86400000;
	assert_int_equal(take(tc, "p", 3, 10, 0, 0, base - 5000, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_TAKEN);
	assert_int_equal(out.in_window, 2);
	assert_int_equal(take(tc, "p", 3, 10, 0, 0, base - 4000, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_TAKEN);
	assert_int_equal(take(tc, "p", 3, 10, 0, 0, base + 9999, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_RATE_LIMITED);
	assert_int_equal(out.retry_at_ms, base + 10000);
	takecache_free(tc);
}

/* A rate slot is not taken when the grant misses, nor a use when the
 * window is full; a resumed SIGN uses its own request only. */
static void
test_all_or_nothing(void **state)
{
	struct takecache *tc = fresh();
	struct tc_grant g[] = {
		{ .id = 1, .expires = T0 + 100, .count = 5, .kind = STORE_KIND_GRANT },
		{ .id = 2, .expires = T0 + 50, .count = 5, .kind = STORE_KIND_GRANT },
		{ .id = 3, .expires = T0 + 100, .count = 1, .kind = STORE_KIND_SIGN },
	};
	int64_t base = T0 * 1000;
	struct store_taken out;
	struct tc_batch b = { 0 };

	(void)state;
	load(tc, "p", ALICE, g, 3, 2);
	/* The grant that ends first. */
	assert_int_equal(take(tc, "p", 2, 60, 1, 0, base, &out), TC_DONE);
	assert_int_equal(out.grant, 2);
	assert_int_equal(out.left, 4);
	/* After it ended, the other. */
	assert_int_equal(take(tc, "p", 2, 60, 1, 0, base + 50000, &out), TC_DONE);
	assert_int_equal(out.grant, 1);
	/* Window full: no use charged. */
	assert_int_equal(take(tc, "p", 2, 60, 1, 0, base + 50001, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_RATE_LIMITED);
	assert_int_equal(out.grant, 0);
	/* The SIGN request only through its id, once; a grant's id is not one. */
	assert_int_equal(take(tc, "p", 0, 0, 0, 3, base + 1, &out), TC_DONE);
	assert_int_equal(out.grant, 3);
	assert_int_equal(take(tc, "p", 0, 0, 0, 3, base + 2, &out), TC_GRANT_MISS);
	assert_int_equal(take(tc, "p", 0, 0, 0, 1, base + 2, &out), TC_GRANT_MISS);
	/* Both grants ended: a miss, and the window untouched by it. */
	assert_int_equal(take(tc, "p", 2, 60, 1, 0, base + 100000, &out), TC_GRANT_MISS);
	takecache_drain(tc, &b);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.v[0].rate_seq, 1);
	assert_int_equal(b.v[1].rate_seq, 2);
	assert_int_equal(b.v[2].rate_seq, 0);
	assert_string_equal(b.v[0].project, "p");
	assert_string_equal(b.v[0].requester, ALICE);
	takecache_batch_free(&b);
	takecache_free(tc);
}

/* While a key loads nothing is taken from it; a load overtaken by an
 * invalidation is not installed; a failure stops every take. */
static void
test_load_and_invalidate(void **state)
{
	struct takecache *tc = fresh();
	struct tc_grant g = { .id = 1, .expires = T0 + 100, .count = 5, .kind = STORE_KIND_GRANT };
	struct tc_load l = { .grants = &g, .ngrants = 1 };
	struct store_taken out;
	uint64_t gen;
	int need_rate;

	(void)state;
	load(tc, "p", ALICE, &g, 1, 0);
	assert_int_equal(take(tc, "p", 0, 0, 1, 0, T0 * 1000, &out), TC_DONE);
	assert_int_equal(takecache_begin_load(tc, "p", ALICE, 0, &gen, &need_rate), 0);
	assert_false(need_rate);
	assert_int_equal(take(tc, "p", 0, 0, 1, 0, T0 * 1000, &out), TC_LOAD);
	takecache_invalidate(tc, "p", ALICE);
	assert_int_equal(takecache_install(tc, "p", ALICE, gen, &l), 0);
	assert_int_equal(take(tc, "p", 0, 0, 1, 0, T0 * 1000, &out), TC_LOAD);
	/* Loaded again (the store's count: 1 used). */
	g.used = 1;
	load(tc, "p", ALICE, &g, 1, 0);
	assert_int_equal(take(tc, "p", 0, 0, 1, 0, T0 * 1000, &out), TC_DONE);
	assert_int_equal(out.use, 2);
	/* Other keys are their own. */
	assert_int_equal(take(tc, "q", 0, 0, 1, 0, T0 * 1000, &out), TC_LOAD);
	takecache_invalidate_all(tc, 0);
	assert_int_equal(take(tc, "p", 0, 0, 1, 0, T0 * 1000, &out), TC_LOAD);
	load(tc, "p", ALICE, &g, 1, 0);
	assert_true(takecache_pending(tc));
	takecache_fail(tc);
	assert_int_equal(take(tc, "p", 0, 0, 1, 0, T0 * 1000, &out), TC_FAILED);
	takecache_free(tc);
}

/* A grants-only reload keeps the rate slots the cache made (SQLite may
 * not have them yet); a larger rate, or a reconcile, reads them again. */
static void
test_reload_keeps_slots(void **state)
{
	struct takecache *tc = fresh();
	struct tc_grant g = { .id = 1, .expires = T0 + 100, .count = 5, .kind = STORE_KIND_GRANT };
	int64_t times[] = { T0 * 1000 + 7 };
	struct tc_load l = { .grants = &g, .ngrants = 1, .want = 4, .last_seq = 9, .times = times,
		             .ntimes = 1, .rate = 1 };
	struct store_taken out;
	uint64_t gen;
	int need_rate;

	(void)state;
	load(tc, "p", ALICE, &g, 1, 2);
	assert_int_equal(take(tc, "p", 2, 60, 1, 0, T0 * 1000, &out), TC_DONE);
	assert_int_equal(out.rate_seq, 1);
	takecache_invalidate(tc, "p", ALICE);   /* an approval */
	assert_int_equal(takecache_begin_load(tc, "p", ALICE, 2, &gen, &need_rate), 0);
	assert_false(need_rate);
	l.rate = 0;
	assert_int_equal(takecache_install(tc, "p", ALICE, gen, &l), 0);
	assert_int_equal(take(tc, "p", 2, 60, 1, 0, T0 * 1000 + 1, &out), TC_DONE);
	assert_int_equal(out.rate_seq, 2);
	assert_int_equal(out.in_window, 2);
	assert_int_equal(take(tc, "p", 2, 60, 1, 0, T0 * 1000 + 2, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_RATE_LIMITED);
	/* A larger rate than the slots held: the tail is read again. */
	assert_int_equal(take(tc, "p", 4, 60, 1, 0, T0 * 1000 + 3, &out), TC_LOAD);
	takecache_invalidate_all(tc, 1);
	assert_int_equal(takecache_begin_load(tc, "p", ALICE, 2, &gen, &need_rate), 0);
	assert_true(need_rate);
	l.rate = 1;
	assert_int_equal(takecache_install(tc, "p", ALICE, gen, &l), 0);
	assert_int_equal(take(tc, "p", 4, 60, 1, 0, T0 * 1000 + 8, &out), TC_DONE);
	assert_int_equal(out.rate_seq, 10);
	assert_int_equal(out.in_window, 2);
	takecache_free(tc);
}

/* A key's slots start small and grow with its window, never losing one
 * that still counts. */
static void
test_ring_grows(void **state)
{
	struct takecache *tc = fresh();
	int64_t base = T0 * 1000;
	struct store_taken out;

	(void)state;
	load(tc, "p", ALICE, NULL, 0, 200);
	for (unsigned i = 0; i < 200; i++) {
		assert_int_equal(take(tc, "p", 200, 3600, 0, 0, base + i, &out), TC_DONE);
		assert_int_equal(out.miss, STORE_TAKEN);
		assert_int_equal(out.in_window, i + 1);
	}
	assert_int_equal(take(tc, "p", 200, 3600, 0, 0, base + 500, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_RATE_LIMITED);
	assert_int_equal(out.in_window, 200);
	assert_int_equal(out.retry_at_ms, base + 3600000);   /* seq 1's time, kept through the growth */
	/* Once the first left the window, one more (and the ring wraps). */
	assert_int_equal(take(tc, "p", 200, 3600, 0, 0, base + 3600000, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_TAKEN);
	assert_int_equal(out.rate_seq, 201);
	assert_int_equal(take(tc, "p", 200, 3600, 0, 0, base + 3600000, &out), TC_DONE);
	assert_int_equal(out.miss, STORE_RATE_LIMITED);
	assert_int_equal(out.retry_at_ms, base + 1 + 3600000);   /* seq 2 leaves next */
	takecache_free(tc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_race_for_uses),
		cmocka_unit_test(test_rate_slides),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_load_and_invalidate),
		cmocka_unit_test(test_reload_keeps_slots),
		cmocka_unit_test(test_ring_grows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
