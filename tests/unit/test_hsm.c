/* test_hsm.c — policyd/hsm.c on a real SoftHSM2 token, for every key
 * type: a key generated on the token is found again by label and by id,
 * knows its type, hands out its public key, and signs what OpenSSL then
 * verifies with that public key alone.  A second key with a label in use
 * is refused whatever its type; a key signs only with its own mechanism;
 * an RSA key has no EC point.  When the token drops the login (any
 * session's C_Logout logs the whole application out in SoftHSM2, as a
 * reset of a real HSM does), keys found before still sign and the AES key
 * still seals and opens. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "../../policyd/hsm.h"
#include "hashalgo.h"
#include "sigcheck.h"
#include "hsmworld.h"

static int
world_setup(void **state)
{
	return hsm_world_setup(state, "hsmtest");
}

/* Generate a TYPE key LABEL with ID, find it by label and by id. */
static struct hsm_key *
make_key(struct world *w, enum hsm_keytype type, unsigned int bits, const char *label, const uint8_t id[HSM_KEY_ID_LEN])
{
	struct hsm_key *k = NULL, *byid = NULL;
	char err[512] = "";

	if (hsm_keygen(w->hsm, type, bits, label, id, HSM_KEY_ID_LEN, err, sizeof(err)) != 0)
		fail_msg("keygen %s: %s", label, err);
	assert_int_equal(hsm_find_key(w->hsm, label, NULL, 0, &k, err, sizeof(err)), 0);
	assert_int_equal(hsm_key_type(k), type);
	assert_int_equal(hsm_find_key(w->hsm, NULL, id, HSM_KEY_ID_LEN, &byid, err, sizeof(err)), 0);
	assert_int_equal(hsm_key_type(byid), type);
	hsm_key_free(byid);
	return k;
}

/* SHA-256 of MSG. */
static void
sha256(const char *msg, uint8_t out[32])
{
	unsigned int len = 32;

	assert_int_equal(EVP_Digest(msg, strlen(msg), out, &len, EVP_sha256(), NULL), 1);
}

static void
check_ecdsa(struct world *w, enum hsm_keytype type, const char *label, const char *curve, size_t half,
            uint8_t idbyte)
{
	uint8_t id[HSM_KEY_ID_LEN] = { idbyte }, q[HSM_MAX_EC_POINT], h[32], sig[HSM_MAX_SIG];
	size_t qlen = 0, siglen = 0;
	char err[512] = "";
	struct hsm_key *k = make_key(w, type, 0, label, id);
	EVP_PKEY *pub;

	assert_int_equal(hsm_key_ec_point(w->hsm, k, q, sizeof(q), &qlen, err, sizeof(err)), 0);
	assert_int_equal(qlen, 1 + 2 * half);
	assert_int_equal(q[0], 0x04);
	assert_non_null(pub = sigcheck_key("EC", curve, q, qlen, NULL, 0));
	sha256("signed on the token", h);
	/* Many signatures: about one in 128 has an r or s with a leading
	 * zero byte, which must still come out as HALF bytes each. */
	for (int i = 0; i < 64; i++) {
		h[0] = (uint8_t)i;
		assert_int_equal(hsm_sign_ecdsa(w->hsm, k, h, sizeof(h), sig, sizeof(sig), &siglen, err, sizeof(err)), 0);
		assert_int_equal(siglen, 2 * half);
		assert_true(sigcheck_verify(pub, EVP_sha256(), h, sizeof(h), sig, siglen));
	}
	/* A changed hash does not verify: the check can fail. */
	h[1] ^= 1;
	assert_false(sigcheck_verify(pub, EVP_sha256(), h, sizeof(h), sig, siglen));
	/* Not with the RSA or EdDSA mechanism. */
	assert_int_equal(gpg_err_code(hsm_sign_eddsa(w->hsm, k, h, sizeof(h), sig, sizeof(sig), &siglen, err,
	                                             sizeof(err))), GPG_ERR_WRONG_PUBKEY_ALGO);
	assert_int_equal(gpg_err_code(hsm_sign_rsa_pkcs1(w->hsm, k, h, sizeof(h), sig, sizeof(sig), &siglen, err,
	                                                 sizeof(err))), GPG_ERR_WRONG_PUBKEY_ALGO);
	EVP_PKEY_free(pub);
	hsm_key_free(k);
}

static void
test_p256(void **state)
{
	check_ecdsa(*state, HSM_KT_P256, "p256:sign:1", "P-256", 32, 0x25);
}

static void
test_p384(void **state)
{
	check_ecdsa(*state, HSM_KT_P384, "p384:sign:1", "P-384", 48, 0x38);
}

static void
test_ed25519(void **state)
{
	struct world *w = *state;
	uint8_t id[HSM_KEY_ID_LEN] = { 0xed }, q[HSM_MAX_EC_POINT], sig[HSM_MAX_SIG];
	size_t qlen = 0, siglen = 0;
	char err[512] = "";
	struct hsm_key *k = make_key(w, HSM_KT_ED25519, 0, "ed:sign:1", id);
	EVP_PKEY *pub;
	const char *msg = "OpenPGP hands EdDSA the hash as the message";

	assert_int_equal(hsm_key_ec_point(w->hsm, k, q, sizeof(q), &qlen, err, sizeof(err)), 0);
	assert_int_equal(qlen, 32);
	assert_non_null(pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, q, qlen));
	assert_int_equal(hsm_sign_eddsa(w->hsm, k, (const uint8_t *)msg, strlen(msg), sig, sizeof(sig), &siglen,
	                                err, sizeof(err)), 0);
	assert_int_equal(siglen, 64);
	assert_true(sigcheck_verify(pub, NULL, (const uint8_t *)msg, strlen(msg), sig, siglen));
	assert_false(sigcheck_verify(pub, NULL, (const uint8_t *)msg, strlen(msg) - 1, sig, siglen));
	assert_int_equal(gpg_err_code(hsm_sign_ecdsa(w->hsm, k, (const uint8_t *)msg, 32, sig, sizeof(sig),
	                                             &siglen, err, sizeof(err))), GPG_ERR_WRONG_PUBKEY_ALGO);
	EVP_PKEY_free(pub);
	hsm_key_free(k);
}

static void
test_rsa(void **state)
{
	struct world *w = *state;
	uint8_t id[HSM_KEY_ID_LEN] = { 0x52 }, n[512], e[8], h[32], di[HASHALGO_MAX_DIGESTINFO];
	uint8_t sig[HSM_MAX_SIG], q[HSM_MAX_EC_POINT];
	size_t nlen = 0, elen = 0, siglen = 0, qlen = 0;
	const struct hashalgo *ha = hashalgo_by_name("sha256");
	char err[512] = "";
	struct hsm_key *k = NULL;
	EVP_PKEY *pub;

	/* The old entry point is the same generation. */
	assert_int_equal(hsm_keygen_rsa(w->hsm, 2048, "rsa:sign:1", id, sizeof(id), err, sizeof(err)), 0);
	assert_int_equal(hsm_find_key(w->hsm, "rsa:sign:1", NULL, 0, &k, err, sizeof(err)), 0);
	assert_int_equal(hsm_key_type(k), HSM_KT_RSA);
	assert_int_equal(hsm_key_public(w->hsm, k, n, sizeof(n), &nlen, e, sizeof(e), &elen, err, sizeof(err)), 0);
	assert_int_equal(nlen, 256);
	assert_non_null(pub = sigcheck_key("RSA", NULL, n, nlen, e, elen));
	sha256("an RSA signature", h);
	memcpy(di, ha->prefix, ha->prefix_len);
	memcpy(di + ha->prefix_len, h, sizeof(h));
	assert_int_equal(hsm_sign_rsa_pkcs1(w->hsm, k, di, ha->prefix_len + sizeof(h), sig, sizeof(sig), &siglen,
	                                    err, sizeof(err)), 0);
	assert_true(sigcheck_verify(pub, EVP_sha256(), h, sizeof(h), sig, siglen));
	assert_int_equal(gpg_err_code(hsm_key_ec_point(w->hsm, k, q, sizeof(q), &qlen, err, sizeof(err))),
	                 GPG_ERR_WRONG_PUBKEY_ALGO);
	assert_int_equal(gpg_err_code(hsm_sign_ecdsa(w->hsm, k, h, sizeof(h), sig, sizeof(sig), &siglen, err,
	                                             sizeof(err))), GPG_ERR_WRONG_PUBKEY_ALGO);
	/* After the token dropped the login: the key is found again. */
	assert_int_equal(softhsm_drop_login("hsmtest"), 0);
	assert_int_equal(hsm_key_public(w->hsm, k, n, sizeof(n), &nlen, e, sizeof(e), &elen, err, sizeof(err)), 0);
	assert_int_equal(softhsm_drop_login("hsmtest"), 0);
	assert_int_equal(hsm_sign_rsa_pkcs1(w->hsm, k, di, ha->prefix_len + sizeof(h), sig, sizeof(sig), &siglen,
	                                    err, sizeof(err)), 0);
	assert_true(sigcheck_verify(pub, EVP_sha256(), h, sizeof(h), sig, siglen));
	EVP_PKEY_free(pub);
	hsm_key_free(k);
}

/* One label, one key: whatever the type asked for the second time. */
static void
test_duplicate_label(void **state)
{
	struct world *w = *state;
	uint8_t id[HSM_KEY_ID_LEN] = { 0xd1 }, id2[HSM_KEY_ID_LEN] = { 0xd2 };
	char err[512] = "";
	struct hsm_key *k = NULL;

	assert_int_equal(hsm_keygen(w->hsm, HSM_KT_P256, 0, "dup:sign:1", id, sizeof(id), err, sizeof(err)), 0);
	assert_int_equal(gpg_err_code(hsm_keygen(w->hsm, HSM_KT_ED25519, 0, "dup:sign:1", id2, sizeof(id2), err,
	                                         sizeof(err))), GPG_ERR_EEXIST);
	assert_non_null(strstr(err, "already exists"));
	assert_int_equal(gpg_err_code(hsm_keygen(w->hsm, HSM_KT_RSA, 2048, "dup:sign:1", id2, sizeof(id2), err,
	                                         sizeof(err))), GPG_ERR_EEXIST);
	/* Still exactly one key with that label, the first. */
	assert_int_equal(hsm_find_key(w->hsm, "dup:sign:1", NULL, 0, &k, err, sizeof(err)), 0);
	assert_int_equal(hsm_key_type(k), HSM_KT_P256);
	hsm_key_free(k);
	/* Bad arguments never reach the token. */
	assert_int_equal(gpg_err_code(hsm_keygen(w->hsm, HSM_KT_NONE, 0, "x", id2, sizeof(id2), err, sizeof(err))),
	                 GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(hsm_keygen(w->hsm, HSM_KT_RSA, 1024, "x", id2, sizeof(id2), err, sizeof(err))),
	                 GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(hsm_find_key(w->hsm, "x", NULL, 0, &k, err, sizeof(err))), GPG_ERR_NOT_FOUND);
}

static void
test_relogin(void **state)
{
	struct world *w = *state;
	uint8_t id[HSM_KEY_ID_LEN] = { 0x4c }, q[HSM_MAX_EC_POINT], h[32], sig[HSM_MAX_SIG];
	uint8_t iv[HSM_GCM_IV_LEN] = { 7 }, sealed[64], opened[64];
	size_t qlen = 0, siglen = 0, slen = 0, olen = 0;
	char err[512] = "";
	struct hsm_key *k = make_key(w, HSM_KT_P256, 0, "relogin:sign:1", id), *aes = NULL, *aes2 = NULL;
	EVP_PKEY *pub;

	assert_int_equal(hsm_key_ec_point(w->hsm, k, q, sizeof(q), &qlen, err, sizeof(err)), 0);
	assert_non_null(pub = sigcheck_key("EC", "P-256", q, qlen, NULL, 0));
	assert_int_equal(hsm_secret_key(w->hsm, "relogin:aes", &aes, err, sizeof(err)), 0);
	assert_int_equal(hsm_gcm_encrypt(w->hsm, aes, iv, (const uint8_t *)"p", 1, (const uint8_t *)"secret", 6,
	                                 sealed, sizeof(sealed), &slen, err, sizeof(err)), 0);
	sha256("after the token dropped the login", h);
	assert_int_equal(softhsm_drop_login("hsmtest"), 0);
	if (hsm_sign_ecdsa(w->hsm, k, h, sizeof(h), sig, sizeof(sig), &siglen, err, sizeof(err)) != 0)
		fail_msg("sign after logout: %s", err);
	assert_true(sigcheck_verify(pub, EVP_sha256(), h, sizeof(h), sig, siglen));
	assert_int_equal(softhsm_drop_login("hsmtest"), 0);
	if (hsm_key_ec_point(w->hsm, k, q, sizeof(q), &qlen, err, sizeof(err)) != 0)
		fail_msg("EC point after logout: %s", err);
	assert_int_equal(qlen, 65);
	assert_int_equal(softhsm_drop_login("hsmtest"), 0);
	if (hsm_gcm_decrypt(w->hsm, aes, iv, (const uint8_t *)"p", 1, sealed, slen, opened, sizeof(opened), &olen,
	                    err, sizeof(err)) != 0)
		fail_msg("open after logout: %s", err);
	assert_memory_equal(opened, "secret", 6);
	/* Logged out, the AES key is hidden: the lookup must not make a
	 * second one (which would never open what the first sealed). */
	assert_int_equal(softhsm_drop_login("hsmtest"), 0);
	assert_int_equal(hsm_secret_key(w->hsm, "relogin:aes", &aes2, err, sizeof(err)), 0);
	assert_int_equal(hsm_gcm_decrypt(w->hsm, aes2, iv, (const uint8_t *)"p", 1, sealed, slen, opened,
	                                 sizeof(opened), &olen, err, sizeof(err)), 0);
	EVP_PKEY_free(pub);
	hsm_key_free(k);
	hsm_key_free(aes);
	hsm_key_free(aes2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_p256, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_p384, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_ed25519, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_rsa, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_label, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_relogin, world_setup, world_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
