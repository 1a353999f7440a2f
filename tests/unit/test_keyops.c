/* test_keyops.c — a project's keys of every type on a real SoftHSM2
 * token: project_resolve_label() takes a key of the project's type and
 * names both types when it is another; keyops_sign_digest() signs as
 * gpg-agent expects of a card (RSA PKCS#1 v1.5, ECDSA r || s over the
 * hash cut to the curve, Ed25519 over the hash as the message), which
 * OpenSSL then verifies with the public key alone, also after the token
 * dropped the login; and MKCERT makes a certificate whose primary and
 * subkey are of the project's type. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <gcrypt.h>
#include <openssl/evp.h>

#include "../../agent/certinfo.h"
#include "../../policyd/keyops.h"
#include "../../policyd/project.h"
#include "ecverify.h"
#include "hashalgo.h"
#include "pgpsig.h"
#include "sigcheck.h"
#include "hsmworld.h"

static int
world_setup(void **state)
{
	return hsm_world_setup(state, "kotest");
}

static const struct {
	enum key_algo algo;
	enum pgpkey_type type;
	const char *name;        /* gpg's */
	const char *group;       /* OpenSSL's, NULL: not ECDSA */
} types[] = {
	{ KEY_ALGO_RSA2048, PGPKEY_RSA, "rsa2048", NULL },
	{ KEY_ALGO_P256, PGPKEY_P256, "nistp256", "P-256" },
	{ KEY_ALGO_P384, PGPKEY_P384, "nistp384", "P-384" },
	{ KEY_ALGO_ED25519, PGPKEY_ED25519, "ed25519", NULL },
};

/* Key LABEL of ALGO generated on the token and resolved as a project key. */
static void
make_key(struct world *w, enum key_algo algo, const char *label, struct hsm_key **key, struct pgpkey *pub)
{
	uint8_t id[HSM_KEY_ID_LEN] = { 0 };
	char why[512] = "";

	memcpy(id, label, strnlen(label, sizeof(id)));
	if (hsm_keygen(w->hsm, project_key_type(algo), key_algo_bits(algo), label, id, sizeof(id), why,
	               sizeof(why)) != 0)
		fail_msg("keygen %s: %s", label, why);
	if (project_resolve_label(w->hsm, label, algo, 1732579200, key, pub, why, sizeof(why)) != 0)
		fail_msg("resolve %s: %s", label, why);
}

/* PUB as an OpenSSL key. */
static EVP_PKEY *
openssl_key(const struct pgpkey *pub, const char *group)
{
	if (pub->type == PGPKEY_RSA)
		return sigcheck_key("RSA", NULL, pub->n, pub->n_len, pub->e, pub->e_len);
	if (pub->type == PGPKEY_ED25519)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub->q + 1, pub->q_len - 1);
	return sigcheck_key("EC", group, pub->q, pub->q_len, NULL, 0);
}

static void
test_sign_every_type(void **state)
{
	struct world *w = *state;
	static const int hashes[] = { GCRY_MD_SHA256, GCRY_MD_SHA384, GCRY_MD_SHA512 };
	uint8_t digest[HASHALGO_MAX_DIGEST], sig[HSM_MAX_SIG];
	char label[32], why[512], name[PGPKEY_NAME_MAX];
	struct hsm_key *key = NULL;
	struct ecverify_cache *vc = NULL;
	struct pgpkey pub;
	EVP_PKEY *pk;
	size_t siglen;

	/* Through a key cache, as policyd signs: each key type's entry must
	 * answer for that key only. */
	assert_int_equal(ecverify_cache_new(&vc), 0);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		snprintf(label, sizeof(label), "sign-%s", types[i].name);
		make_key(w, types[i].algo, label, &key, &pub);
		assert_int_equal(pub.type, types[i].type);
		assert_int_equal(pgpkey_name(&pub, name, sizeof(name)), 0);
		assert_string_equal(name, types[i].name);
		assert_non_null(pk = openssl_key(&pub, types[i].group));
		for (size_t h = 0; h < sizeof(hashes) / sizeof(hashes[0]); h++) {
			const struct hashalgo *algo = hashalgo_by_gcry(hashes[h]);

			gcry_md_hash_buffer(algo->gcry_algo, digest, label, strlen(label));
			assert_int_equal(keyops_sign_digest(w->hsm, vc, key, &pub, algo, digest, algo->digest_len, sig,
			                                    sizeof(sig), &siglen, why, sizeof(why)), 0);
			assert_int_equal(siglen, pgpkey_sig_len(&pub));
			assert_int_equal(pgpsig_verify_digest(&pub, algo, digest, algo->digest_len, sig, siglen), 0);
			/* OpenSSL cuts an ECDSA hash to the curve itself: the same
			 * value gpg verifies. */
			assert_true(sigcheck_verify(pk, pub.type == PGPKEY_ED25519 ? NULL :
			                            EVP_get_digestbyname(algo->name), digest, algo->digest_len, sig,
			                            siglen));
			/* and a changed signature is caught */
			sig[siglen - 1] ^= 1;
			assert_int_equal(gpg_err_code(pgpsig_verify_digest(&pub, algo, digest, algo->digest_len, sig,
			                                                   siglen)), GPG_ERR_BAD_SIGNATURE);
		}
		/* a digest of the wrong length is refused before the token */
		assert_int_equal(gpg_err_code(keyops_sign_digest(w->hsm, NULL, key, &pub, hashalgo_by_gcry(GCRY_MD_SHA256),
		                                                 digest, 20, sig, sizeof(sig), &siglen, why,
		                                                 sizeof(why))), GPG_ERR_INV_LENGTH);
		EVP_PKEY_free(pk);
		hsm_key_free(key);
	}
	ecverify_cache_free(vc);
}

/* An HSM reset between two signatures: the next EC signature is made
 * (and checked) all the same. */
static void
test_sign_after_logout(void **state)
{
	struct world *w = *state;
	const struct hashalgo *algo = hashalgo_by_gcry(GCRY_MD_SHA256);
	uint8_t digest[32], sig[HSM_MAX_SIG];
	struct hsm_key *key = NULL;
	struct pgpkey pub;
	char why[512] = "";
	size_t siglen = 0;

	make_key(w, KEY_ALGO_ED25519, "relogin", &key, &pub);
	gcry_md_hash_buffer(GCRY_MD_SHA256, digest, "relogin", 7);
	assert_int_equal(softhsm_drop_login("kotest"), 0);
	if (keyops_sign_digest(w->hsm, NULL, key, &pub, algo, digest, sizeof(digest), sig, sizeof(sig), &siglen, why,
	                       sizeof(why)) != 0)
		fail_msg("sign after logout: %s", why);
	assert_int_equal(pgpsig_verify_digest(&pub, algo, digest, sizeof(digest), sig, siglen), 0);
	hsm_key_free(key);
}

/* A key of another type than the project's algo: refused, both named. */
static void
test_type_mismatch(void **state)
{
	struct world *w = *state;
	struct hsm_key *key = NULL;
	struct pgpkey pub;
	char why[512] = "";

	make_key(w, KEY_ALGO_P256, "mix-p256", &key, &pub);
	hsm_key_free(key);
	assert_int_equal(gpg_err_code(project_resolve_label(w->hsm, "mix-p256", KEY_ALGO_ED25519, 1, &key, &pub,
	                                                    why, sizeof(why))), GPG_ERR_WRONG_PUBKEY_ALGO);
	assert_null(key);
	assert_string_equal(why, "is a P-256 key but algo = ed25519");
	assert_int_equal(gpg_err_code(project_resolve_label(w->hsm, "mix-p256", KEY_ALGO_RSA3072, 1, &key, &pub,
	                                                    why, sizeof(why))), GPG_ERR_WRONG_PUBKEY_ALGO);
	assert_string_equal(why, "is a P-256 key but algo = rsa3072");
	make_key(w, KEY_ALGO_RSA2048, "mix-rsa", &key, &pub);
	hsm_key_free(key);
	assert_int_equal(gpg_err_code(project_resolve_label(w->hsm, "mix-rsa", KEY_ALGO_P384, 1, &key, &pub,
	                                                    why, sizeof(why))), GPG_ERR_WRONG_PUBKEY_ALGO);
	assert_string_equal(why, "is an RSA key but algo = p384");
	/* RSA of another size keeps its message */
	assert_int_equal(gpg_err_code(project_resolve_label(w->hsm, "mix-rsa", KEY_ALGO_RSA3072, 1, &key, &pub,
	                                                    why, sizeof(why))), GPG_ERR_INV_VALUE);
	assert_string_equal(why, "is a 2048-bit key but algo = rsa3072");
}

/* MKCERT for a project of each EC type: the subkey is generated of the
 * project's type, and the certificate (every signature made on the token
 * and checked by pgpcert) reads back with both keys of that type. */
static void
test_mkcert(void **state)
{
	struct world *w = *state;
	char dir[] = "/tmp/kocertXXXXXX", cert[64], keys[80], why[512] = "";
	struct keyop_result *res = calloc(1, sizeof(*res));
	struct certinfo *ci = calloc(1, sizeof(*ci));
	struct project_conf conf;
	struct project p;

	assert_non_null(res);
	assert_non_null(ci);
	assert_non_null(mkdtemp(dir));
	for (size_t i = 1; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(&conf, 0, sizeof(conf));
		memset(&p, 0, sizeof(p));
		snprintf(cert, sizeof(cert), "%s/%s.pgp", dir, types[i].name);
		conf.name = (char *)types[i].name;
		conf.algo = types[i].algo;
		conf.uid = "Key types <kt@signet.test>";
		conf.created = 1732579200;
		conf.cert = cert;
		p.conf = &conf;
		p.model = PROJECT_UNCERTIFIED;
		make_key(w, types[i].algo, types[i].name, &p.key, &p.pub);
		if (keyops_prepare(w->hsm, &p, KEYOP_MKCERT, 0, 1732579300, res, why, sizeof(why)) != 0)
			fail_msg("MKCERT %s: %s", types[i].name, why);
		assert_non_null(res->newkey);
		assert_int_equal(res->newpub.type, types[i].type);
		assert_int_equal(hsm_key_type(res->newkey), project_key_type(types[i].algo));
		assert_int_equal(certinfo_parse(res->cert, res->certlen, ci), 0);
		assert_string_equal(ci->key.fpr, p.pub.fpr);
		assert_int_equal(ci->key.type, types[i].type);
		assert_int_equal(ci->nsubs, 1);
		assert_string_equal(ci->subfpr[0], res->newpub.fpr);
		keyops_result_clear(res);
		hsm_key_free(p.key);
		unlink(cert);
		if (keystate_path(cert, keys, sizeof(keys)) == 0)
			unlink(keys);
	}
	rmdir(dir);
	free(ci);
	free(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_every_type),
		cmocka_unit_test(test_sign_after_logout),
		cmocka_unit_test(test_type_mismatch),
		cmocka_unit_test(test_mkcert),
	};

	if (!gcry_check_version(GCRYPT_VERSION)) {
		fprintf(stderr, "libgcrypt version mismatch\n");
		return 1;
	}
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	if (access(SOFTHSM_MODULE, R_OK) != 0) {
		fprintf(stderr, "SoftHSM2 (%s) is missing: tests/deps.sh installs it\n", SOFTHSM_MODULE);
		return 1;
	}
	return cmocka_run_group_tests(tests, world_setup, world_teardown);
}
