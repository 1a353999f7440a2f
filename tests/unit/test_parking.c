/* test_parking.c — the registry of parked connections (policyd/parking.c):
 * a wake marks only the connection parked on its key, once; the loop takes
 * only the woken ones it holds; a wake that comes before the loop holds
 * the connection is kept for it; once the loop resumed a connection for
 * any reason, a later wake finds nothing.  So a wake, a deadline and a
 * hang-up that race resume it exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../policyd/park.h"
#include "../../policyd/parking.h"
#include "../../policyd/policyd.h"

#define NCONN 4

struct world {
	struct parking pk;
	struct park parks[NCONN];
	struct conn conns[NCONN];
};

static void
world_init(struct world *w)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	parking_init(&w->pk);
	for (i = 0; i < NCONN; i++) {
		w->parks[i].key = (int64_t)(100 + i);
		w->conns[i].park = &w->parks[i];
		parking_add(&w->pk, &w->conns[i]);
		w->conns[i].parked = 1;      /* the loop holds them */
	}
}

static size_t
count(struct conn *list)
{
	size_t n = 0;

	for (; list != NULL; list = list->wake_next)
		n++;
	return n;
}

static void
test_wake_marks_one(void **state)
{
	struct world w;
	struct conn *got;

	(void)state;
	world_init(&w);
	assert_null(parking_take_woken(&w.pk));        /* nothing woken */
	assert_int_equal(parking_wake(&w.pk, 102), 1);
	assert_int_equal(parking_wake(&w.pk, 102), 0); /* once */
	assert_int_equal(parking_wake(&w.pk, 999), 0); /* nobody parked on it */
	got = parking_take_woken(&w.pk);
	assert_ptr_equal(got, &w.conns[2]);
	assert_int_equal(count(got), 1);
	assert_null(parking_take_woken(&w.pk));
	/* Out of the registry: a late wake finds nothing. */
	assert_int_equal(parking_wake(&w.pk, 102), 0);
	assert_int_equal(parking_remove(&w.pk, &w.conns[2]), 0);
}

static void
test_wake_before_held(void **state)
{
	struct world w;
	struct conn *got;

	(void)state;
	world_init(&w);
	w.conns[1].parked = 0;                          /* the worker still has it */
	assert_int_equal(parking_wake(&w.pk, 101), 1);
	assert_null(parking_take_woken(&w.pk));        /* not the loop's yet */
	w.conns[1].parked = 1;                          /* handed back */
	got = parking_take_woken(&w.pk);
	assert_ptr_equal(got, &w.conns[1]);
	assert_int_equal(count(got), 1);
}

static void
test_timeout_beats_wake(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	/* The deadline: the loop removes it first ... */
	assert_int_equal(parking_remove(&w.pk, &w.conns[0]), 0);
	/* ... so the approval that comes next does nothing. */
	assert_int_equal(parking_wake(&w.pk, 100), 0);
	assert_null(parking_take_woken(&w.pk));
	/* A wake already marked, then a hang-up: the hang-up wins, the
	 * mark goes with it. */
	assert_int_equal(parking_wake(&w.pk, 103), 1);
	assert_int_equal(parking_remove(&w.pk, &w.conns[3]), 1);
	assert_null(parking_take_woken(&w.pk));
	assert_int_equal(parking_remove(&w.pk, &w.conns[3]), 0);   /* twice: a no-op */
}

static void
test_many_woken(void **state)
{
	struct world w;
	struct conn *got;
	size_t i;

	(void)state;
	world_init(&w);
	for (i = 0; i < NCONN; i++)
		assert_int_equal(parking_wake(&w.pk, (int64_t)(100 + i)), 1);
	got = parking_take_woken(&w.pk);
	assert_int_equal(count(got), NCONN);
	assert_null(parking_take_woken(&w.pk));
	assert_null(w.pk.head);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wake_marks_one),
		cmocka_unit_test(test_wake_before_held),
		cmocka_unit_test(test_timeout_beats_wake),
		cmocka_unit_test(test_many_woken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
