/* test_connlimit.c — per-uid connection counting and refusal reports
 * (policyd/connlimit.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../policyd/connlimit.h"

static void
test_per_user(void **state)
{
	struct connlimit *cl = NULL;
	struct connlimit_refusal due[4];
	int i;

	(void)state;
	assert_int_equal(connlimit_new(3, 100, &cl), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(connlimit_take(cl, 1000, 1, 10), CONNLIMIT_OK);
	assert_int_equal(connlimit_take(cl, 1000, 2, 10), CONNLIMIT_USER);
	assert_int_equal(connlimit_take(cl, 1000, 3, 10), CONNLIMIT_USER);
	/* Another user is not affected. */
	assert_int_equal(connlimit_take(cl, 1001, 4, 10), CONNLIMIT_OK);
	assert_int_equal(connlimit_held(cl, 1000), 3);
	assert_int_equal(connlimit_total(cl), 4);
	/* Refusals of second 10 are due from second 11, once, with the count. */
	assert_int_equal(connlimit_due(cl, 10, due, 4), 0);
	assert_int_equal(connlimit_due(cl, 11, due, 4), 1);
	assert_int_equal(due[0].uid, 1000);
	assert_int_equal(due[0].count, 2);
	assert_int_equal(due[0].pid, 3);
	assert_int_equal(due[0].held, 3);
	assert_int_equal(due[0].why, CONNLIMIT_USER);
	assert_int_equal(connlimit_due(cl, 12, due, 4), 0);
	/* A closed connection makes room again. */
	connlimit_release(cl, 1000);
	assert_int_equal(connlimit_take(cl, 1000, 5, 12), CONNLIMIT_OK);
	connlimit_free(cl);
}

static void
test_total_and_reload(void **state)
{
	struct connlimit *cl = NULL;
	struct connlimit_refusal due[1];
	uid_t u;

	(void)state;
	assert_int_equal(connlimit_new(10, 3, &cl), 0);
	for (u = 1; u <= 3; u++)
		assert_int_equal(connlimit_take(cl, u, 1, 5), CONNLIMIT_OK);
	assert_int_equal(connlimit_take(cl, 4, 1, 5), CONNLIMIT_TOTAL);
	connlimit_set(cl, 1, 10);
	assert_int_equal(connlimit_take(cl, 4, 1, 5), CONNLIMIT_OK);
	assert_int_equal(connlimit_take(cl, 4, 1, 5), CONNLIMIT_USER);
	/* Reports come out MAX at a time. */
	assert_int_equal(connlimit_due(cl, 6, due, 1), 1);
	assert_int_equal(connlimit_due(cl, 6, due, 1), 0);
	connlimit_free(cl);
}

static void
test_forget(void **state)
{
	struct connlimit *cl = NULL;
	struct connlimit_refusal due[2];
	uid_t u;

	(void)state;
	assert_int_equal(connlimit_new(1, 1000, &cl), 0);
	/* Many users come and go: entries do not pile up. */
	for (u = 0; u < 500; u++) {
		assert_int_equal(connlimit_take(cl, u, 1, 1), CONNLIMIT_OK);
		connlimit_release(cl, u);
	}
	assert_int_equal(connlimit_total(cl), 0);
	/* A user refused and then gone is reported, then forgotten. */
	assert_int_equal(connlimit_take(cl, 7, 1, 1), CONNLIMIT_OK);
	assert_int_equal(connlimit_take(cl, 7, 1, 1), CONNLIMIT_USER);
	connlimit_release(cl, 7);
	connlimit_release(cl, 7);   /* more releases than takes: ignored */
	assert_int_equal(connlimit_total(cl), 0);
	assert_int_equal(connlimit_due(cl, 2, due, 2), 1);
	assert_int_equal(connlimit_held(cl, 7), 0);
	connlimit_free(cl);
	connlimit_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_user),
		cmocka_unit_test(test_total_and_reload),
		cmocka_unit_test(test_forget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
