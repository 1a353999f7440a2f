/* test_hsmkey.c — signet-tsa's token key (tsa/hsmkey.c) on a real
 * SoftHSM2 token, for what it now gets from the common PKCS#11 layer: a
 * key made and loaded signs through OpenSSL and the signature verifies;
 * after the token drops the login (another session's C_Logout logs the
 * application out) it still signs; a second key with a label in use is
 * refused; a module named by a relative path is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "tsaworld.h"

#define TOKEN "tsatest"

static int
world_setup(void **state)
{
	return tsa_world_setup(state, "pkcs11:token=" TOKEN ";object=tsa-ec");
}

/* 1 if KEY signs MSG on the token and the signature verifies. */
static int
signs(EVP_PKEY *key, const char *msg)
{
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	ok = md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestSign(md, sig, &siglen, (const unsigned char *)msg, strlen(msg)) == 1 &&
	     EVP_MD_CTX_reset(md) == 1 && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(md, sig, siglen, (const unsigned char *)msg, strlen(msg)) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

static void
check_algo(struct world *w, enum hsmkey_algo algo, const char *label)
{
	uint8_t id[4] = { 1, 2, 3, (uint8_t)algo }, id2[4] = { 9 };
	char err[512] = "";
	EVP_PKEY *key = NULL;

	if (hsmkey_generate(w->hk, label, id, sizeof(id), algo, err, sizeof(err)) != 0)
		fail_msg("generate: %s", err);
	if (hsmkey_load(w->hk, label, id, sizeof(id), &key, err, sizeof(err)) != 0)
		fail_msg("load: %s", err);
	assert_true(signs(key, "before"));
	assert_int_equal(softhsm_drop_login(TOKEN), 0);
	assert_true(signs(key, "after the token dropped the login"));
	assert_true(signs(key, "and once more"));
	/* One label, one key. */
	assert_int_equal(gpg_err_code(hsmkey_generate(w->hk, label, id2, sizeof(id2), HSMKEY_ALGO_ECP256, err,
	                                              sizeof(err))), GPG_ERR_EEXIST);
	EVP_PKEY_free(key);
}

static void
test_ec(void **state)
{
	check_algo(*state, HSMKEY_ALGO_ECP256, "tsa-ec");
}

static void
test_rsa(void **state)
{
	check_algo(*state, HSMKEY_ALGO_RSA3072, "tsa-rsa");
}

static void
test_relative_module(void **state)
{
	struct world *w = *state;
	struct hsmkey_params p = w->p;
	struct hsmkey *hk = NULL;
	char err[512] = "";

	p.module = "libsofthsm2.so";
	assert_int_equal(gpg_err_code(hsmkey_login(&p, &hk, err, sizeof(err))), GPG_ERR_INV_VALUE);
	assert_null(hk);
	assert_non_null(strstr(err, "must be an absolute path"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ec, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_rsa, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_relative_module, world_setup, world_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
