/* test_tsa_auditkey.c — signet-tsa's audit key (tsa/auditkey.c) on a real
 * SoftHSM2 token: the first start generates the Ed25519 key labelled
 * "#signet-audit", the next start (logged out, module unloaded, logged in
 * again) finds that same key and no second one exists; checkpoints signed
 * through the audit_signer verify with note_checkpoint_verify against its
 * verifier key and no other, also from another thread (the log's
 * checkpoint thread has its own session) and after the token dropped the
 * login.  Refused: a bad origin, and a P-256 key under the label. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../tsa/auditkey.h"
#include "notecheck.h"
#include "tsaworld.h"

#define TOKEN "tsaaudit"
static const char origin[] = "signet.0123abcd/tsa";

static int
world_setup(void **state)
{
	return tsa_world_setup(state, "pkcs11:token=" TOKEN ";object=tsa-ec");
}

static void *
thread_signs(void *arg)
{
	notecheck_signer(arg, 77);
	return NULL;
}

static void
test_generated_once(void **state)
{
	struct world *w = *state;
	struct audit_signer s1, s2;
	uint8_t pub1[32];
	pthread_t th;
	char err[512] = "";

	if (tsa_auditkey(w->hk, origin, &s1, err, sizeof(err)) != 0)
		fail_msg("first start: %s", err);
	assert_string_equal(s1.name, origin);
	assert_null(s1.timestamp);
	notecheck_signer(&s1, 0);
	assert_int_equal(pthread_create(&th, NULL, thread_signs, &s1), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	memcpy(pub1, s1.pub, sizeof(pub1));

	/* The next start. */
	hsmkey_close(w->hk);
	w->hk = NULL;
	if (hsmkey_login(&w->p, &w->hk, err, sizeof(err)) != 0)
		fail_msg("login again: %s", err);
	if (tsa_auditkey(w->hk, origin, &s2, err, sizeof(err)) != 0)
		fail_msg("next start: %s", err);
	assert_memory_equal(s2.pub, pub1, sizeof(pub1));
	notecheck_signer(&s2, 1000);
	assert_int_equal(softhsm_drop_login(TOKEN), 0);
	notecheck_signer(&s2, 1001);
	/* One key only: generating another under the label is refused. */
	assert_int_equal(gpg_err_code(hsmkey_generate(w->hk, TSA_AUDITKEY_LABEL, NULL, 0, HSMKEY_ALGO_ED25519, err,
	                                              sizeof(err))),
	                 GPG_ERR_EEXIST);
}

static void
test_refusals(void **state)
{
	struct world *w = *state;
	struct audit_signer s;
	char err[512] = "";
	static const char *const bad[] = { "", "with space", "a+b", "caf\xc3\xa9" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&s, 0x55, sizeof(s));
		assert_int_equal(gpg_err_code(tsa_auditkey(w->hk, bad[i], &s, err, sizeof(err))), GPG_ERR_INV_NAME);
		assert_null(s.ctx);
	}
	/* A P-256 key holding the label is not taken for the audit key. */
	assert_int_equal(hsmkey_generate(w->hk, TSA_AUDITKEY_LABEL, NULL, 0, HSMKEY_ALGO_ECP256, err, sizeof(err)), 0);
	memset(&s, 0x55, sizeof(s));
	assert_int_equal(gpg_err_code(tsa_auditkey(w->hk, origin, &s, err, sizeof(err))), GPG_ERR_WRONG_PUBKEY_ALGO);
	printf("  refused: %s\n", err);
	assert_null(s.sign);
	assert_null(s.ctx);
	/* Refusals give their slot back: the token still opens 4 keys. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(gpg_err_code(tsa_auditkey(w->hk, origin, &s, err, sizeof(err))),
		                 GPG_ERR_WRONG_PUBKEY_ALGO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_generated_once, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_refusals, world_setup, world_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
