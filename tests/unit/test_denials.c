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
	denials_record(d, 1000, 7, "acme", NULL, "user bob is not a signer of project acme", NULL);
	denials_record(d, 1001, 8, NULL, NULL, "not a project name", NULL);
	assert_int_equal(denials_last(d, 1000, &out), 0);
	assert_int_equal(out.uid, 1000);
	assert_int_equal(out.seq, 7);
	assert_string_equal(out.project, "acme");
	assert_string_equal(out.reason, "user bob is not a signer of project acme");
	assert_int_equal(denials_last(d, 1001, &out), 0);
	assert_string_equal(out.project, "");
	assert_int_equal(gpg_err_code(denials_last(d, 1002, &out)), GPG_ERR_NOT_FOUND);
	/* A newer refusal replaces the older one of the same user. */
	denials_record(d, 1000, 9, "other", NULL, "sha1 is not allowed", NULL);
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
	denials_record(d, 5, 1, longer, NULL, longer, NULL);
	assert_int_equal(denials_last(d, 5, &out), 0);
	assert_int_equal(strlen(out.reason), DENIAL_REASON_MAX - 1);
	assert_int_equal(strlen(out.project), DENIAL_PROJECT_MAX - 1);
	/* More users than slots: every lookup still answers its own or none. */
	for (uid = 100; uid < 100 + 2 * DENIALS_MAX; uid++)
		denials_record(d, uid, uid, "p", NULL, "r", NULL);
	assert_int_equal(denials_last(d, 100 + 2 * DENIALS_MAX - 1, &out), 0);
	assert_int_equal(out.uid, 100 + 2 * DENIALS_MAX - 1);
	for (uid = 100; uid < 100 + 2 * DENIALS_MAX; uid++)
		if (denials_last(d, uid, &out) == 0)
			assert_int_equal(out.uid, uid);
	denials_free(d);
}

/* WHY --json lists a user's recent refusals newest first, with their
 * reason codes and what to do next; older ones fall out of the ring. */
static void
test_recent(void **state)
{
	struct denials *d = NULL;
	struct denial out[DENIALS_PER_USER + 2];
	char reason[32];
	size_t n, i;

	(void)state;
	assert_int_equal(denials_new(&d), 0);
	assert_int_equal(denials_recent(d, 7, out, DENIALS_PER_USER), 0);
	for (i = 0; i < DENIALS_PER_USER + 3; i++) {
		snprintf(reason, sizeof(reason), "r%zu", i);
		denials_record(d, 7, i + 1, "rel", i % 2 ? "outside_hours" : "rate_limited", reason,
		               "wait");
		denials_record(d, 8, 100 + i, "other", "not_signer", "x", NULL);
	}
	n = denials_recent(d, 7, out, DENIALS_PER_USER + 2);
	assert_int_equal(n, DENIALS_PER_USER);
	for (i = 0; i < n; i++) {
		snprintf(reason, sizeof(reason), "r%zu", DENIALS_PER_USER + 2 - i);
		assert_string_equal(out[i].reason, reason);
		assert_int_equal(out[i].uid, 7);
		assert_string_equal(out[i].next, "wait");
	}
	assert_string_equal(out[0].code, (DENIALS_PER_USER + 2) % 2 ? "outside_hours" : "rate_limited");
	assert_int_equal(denials_recent(d, 7, out, 2), 2);
	assert_int_equal(denials_recent(d, 8, out, 1), 1);
	assert_string_equal(out[0].code, "not_signer");
	assert_string_equal(out[0].next, "");
	denials_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_only),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_recent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
