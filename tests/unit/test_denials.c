/* test_denials.c — policyd's per-user memory of the last refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../policyd/denials.h"

static void
test_own_only(void **state)
{
	struct denials *d = NULL;
	struct denial out;

	(void)state;
	assert_int_equal(denials_new(&d), 0);
	assert_int_equal(gpg_err_code(denials_last(d, 1000, &out)), GPG_ERR_NOT_FOUND);
	denials_record(d, 1000, 7, "acme", "user bob is not a signer of project acme");
	denials_record(d, 1001, 8, NULL, "not a project name");
	assert_int_equal(denials_last(d, 1000, &out), 0);
	assert_int_equal(out.uid, 1000);
	assert_int_equal(out.seq, 7);
	assert_string_equal(out.project, "acme");
	assert_string_equal(out.reason, "user bob is not a signer of project acme");
	assert_int_equal(denials_last(d, 1001, &out), 0);
	assert_string_equal(out.project, "");
	assert_int_equal(gpg_err_code(denials_last(d, 1002, &out)), GPG_ERR_NOT_FOUND);
	/* A newer refusal replaces the older one of the same user. */
	denials_record(d, 1000, 9, "other", "sha1 is not allowed");
	assert_int_equal(denials_last(d, 1000, &out), 0);
	assert_int_equal(out.seq, 9);
	assert_string_equal(out.project, "other");
	denials_free(d);
	denials_free(NULL);
}

static void
test_bounded(void **state)
{
	struct denials *d = NULL;
	struct denial out;
	char longer[DENIAL_REASON_MAX * 2];
	unsigned int uid;

	(void)state;
	assert_int_equal(denials_new(&d), 0);
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	denials_record(d, 5, 1, longer, longer);
	assert_int_equal(denials_last(d, 5, &out), 0);
	assert_int_equal(strlen(out.reason), DENIAL_REASON_MAX - 1);
	assert_int_equal(strlen(out.project), DENIAL_PROJECT_MAX - 1);
	/* More users than slots: every lookup still answers its own or none. */
	for (uid = 100; uid < 100 + 2 * DENIALS_MAX; uid++)
		denials_record(d, uid, uid, "p", "r");
	assert_int_equal(denials_last(d, 100 + 2 * DENIALS_MAX - 1, &out), 0);
	assert_int_equal(out.uid, 100 + 2 * DENIALS_MAX - 1);
	for (uid = 100; uid < 100 + 2 * DENIALS_MAX; uid++)
		if (denials_last(d, uid, &out) == 0)
			assert_int_equal(out.uid, uid);
	denials_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_only),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
