/* test_ecverify.c — the EC signature check policyd runs on every EC
 * signature the HSM returns (common/ecverify.c, through pgpsig.h):
 * signatures made by OpenSSL verify; a flipped bit in the signature or
 * the digest, another key, a wrong length and s = 0 do not.  Through the
 * key cache: one key's kept entry never answers for another (of the same
 * or another type), past the cache's size and from racing threads. */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gcrypt.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "ecverify.h"
#include "hashalgo.h"
#include "pgpkey.h"
#include "pgpsig.h"

/* A fresh key of TYPE as OpenSSL holds it and as a struct pgpkey. */
static EVP_PKEY *
make_key(enum pgpkey_type type, struct pgpkey *pk)
{
	EVP_PKEY *k;
	uint8_t q[PGPKEY_MAX_Q];
	size_t qlen = sizeof(q);

	if (type == PGPKEY_ED25519) {
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		assert_non_null(k);
		assert_int_equal(EVP_PKEY_get_raw_public_key(k, q, &qlen), 1);
	} else {
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", type == PGPKEY_P256 ? "P-256" : "P-384");
		assert_non_null(k);
		assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, q, sizeof(q), &qlen), 1);
	}
	assert_int_equal(pgpkey_from_ec(type, q, qlen, 1700000000, pk), 0);
	return k;
}

/* SIG gets K's signature of DIGEST as the HSM gives it (r || s, or R || S). */
static size_t
sign(EVP_PKEY *k, enum pgpkey_type type, const uint8_t *digest, size_t dlen, uint8_t *sig)
{
	size_t half = type == PGPKEY_P384 ? 48 : 32, len = 64;
	unsigned char der[128];
	const unsigned char *p = der;
	size_t derlen = sizeof(der);
	EVP_PKEY_CTX *ctx;
	EVP_MD_CTX *md;
	ECDSA_SIG *es;

	if (type == PGPKEY_ED25519) {
		md = EVP_MD_CTX_new();
		assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
		assert_int_equal(EVP_DigestSign(md, sig, &len, digest, dlen), 1);
		EVP_MD_CTX_free(md);
		return len;
	}
	ctx = EVP_PKEY_CTX_new(k, NULL);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_sign(ctx, der, &derlen, digest, dlen), 1);
	EVP_PKEY_CTX_free(ctx);
	es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	assert_non_null(es);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, (int)half), (int)half);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + half, (int)half), (int)half);
	ECDSA_SIG_free(es);
	return 2 * half;
}

static void
check_type(enum pgpkey_type type)
{
	struct pgpkey pk, other;
	EVP_PKEY *k = make_key(type, &pk), *k2 = make_key(type, &other);
	const struct hashalgo *algo = hashalgo_by_name("sha256");
	uint8_t digest[32], sig[96];
	size_t len;

	memset(digest, 0x5a, sizeof(digest));
	len = sign(k, type, digest, sizeof(digest), sig);
	assert_int_equal(pgpsig_verify_digest(&pk, algo, digest, sizeof(digest), sig, len), 0);
	assert_int_equal(ecverify_digest(&pk, digest, sizeof(digest), sig, len), 0);
	/* another key, a changed digest, a changed signature, a short one */
	assert_int_equal(gpg_err_code(ecverify_digest(&other, digest, sizeof(digest), sig, len)),
	                 GPG_ERR_BAD_SIGNATURE);
	digest[3] ^= 1;
	assert_int_equal(gpg_err_code(ecverify_digest(&pk, digest, sizeof(digest), sig, len)), GPG_ERR_BAD_SIGNATURE);
	digest[3] ^= 1;
	sig[len - 1] ^= 0x80;
	assert_int_equal(gpg_err_code(pgpsig_verify_digest(&pk, algo, digest, sizeof(digest), sig, len)),
	                 GPG_ERR_BAD_SIGNATURE);
	sig[len - 1] ^= 0x80;
	assert_int_equal(gpg_err_code(ecverify_digest(&pk, digest, sizeof(digest), sig, len - 2)),
	                 GPG_ERR_BAD_SIGNATURE);
	memset(sig + len / 2, 0, len / 2);   /* s = 0 */
	assert_int_equal(gpg_err_code(ecverify_digest(&pk, digest, sizeof(digest), sig, len)), GPG_ERR_BAD_SIGNATURE);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

/* Keys of every type through one cache, more than it holds, each checked
 * against its own signature and another key's. */
static void
test_cache(void **state)
{
	enum { N = ECVERIFY_CACHE_MAX + 9 };
	static const enum pgpkey_type types[] = { PGPKEY_P256, PGPKEY_P384, PGPKEY_ED25519 };
	struct ecverify_cache *vc = NULL;
	struct pgpkey *pk = calloc(N, sizeof(*pk));
	uint8_t digest[32], sig[N][96];
	size_t len[N];
	EVP_PKEY *k;
	int i, round;

	(void)state;
	assert_non_null(pk);
	assert_int_equal(ecverify_cache_new(&vc), 0);
	memset(digest, 0x33, sizeof(digest));
	for (i = 0; i < N; i++) {
		k = make_key(types[i % 3], &pk[i]);
		len[i] = sign(k, types[i % 3], digest, sizeof(digest), sig[i]);
		EVP_PKEY_free(k);
	}
	for (round = 0; round < 2; round++) {
		for (i = 0; i < N; i++) {
			assert_int_equal(ecverify_digest_cached(vc, &pk[i], digest, sizeof(digest), sig[i], len[i]), 0);
			/* the next key of the same type: same lengths, not its signature */
			assert_int_equal(gpg_err_code(ecverify_digest_cached(vc, &pk[(i + 3) % N], digest, sizeof(digest),
			                                                     sig[i], len[i])),
			                 GPG_ERR_BAD_SIGNATURE);
		}
	}
	assert_int_equal(ecverify_digest_cached(NULL, &pk[0], digest, sizeof(digest), sig[0], len[0]), 0);
	ecverify_cache_free(vc);
	free(pk);
}

struct racer {
	struct ecverify_cache *vc;
	const struct pgpkey *pk;
	const uint8_t (*sig)[96];
	const size_t *len;
	int bad;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	uint8_t digest[32];
	int i;

	memset(digest, 0x44, sizeof(digest));
	for (i = 0; i < 600; i++)
		if (ecverify_digest_cached(r->vc, &r->pk[i % 6], digest, sizeof(digest), r->sig[i % 6], r->len[i % 6]) !=
		        0 ||
		    ecverify_digest_cached(r->vc, &r->pk[(i + 1) % 6], digest, sizeof(digest), r->sig[i % 6],
		                           r->len[i % 6]) == 0)
			r->bad++;
	return NULL;
}

static void
test_cache_threads(void **state)
{
	struct ecverify_cache *vc = NULL;
	struct pgpkey pk[6];
	uint8_t digest[32], sig[6][96];
	size_t len[6];
	struct racer r[4];
	pthread_t th[4];
	EVP_PKEY *k;
	int i;

	(void)state;
	assert_int_equal(ecverify_cache_new(&vc), 0);
	memset(digest, 0x44, sizeof(digest));
	for (i = 0; i < 6; i++) {
		k = make_key(i % 2 ? PGPKEY_P256 : PGPKEY_ED25519, &pk[i]);
		len[i] = sign(k, pk[i].type, digest, sizeof(digest), sig[i]);
		EVP_PKEY_free(k);
	}
	for (i = 0; i < 4; i++) {
		r[i] = (struct racer){ .vc = vc, .pk = pk, .sig = (const uint8_t (*)[96])sig, .len = len };
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].bad, 0);
	}
	ecverify_cache_free(vc);
}

static void test_p256(void **state) { (void)state; check_type(PGPKEY_P256); }
static void test_p384(void **state) { (void)state; check_type(PGPKEY_P384); }
static void test_ed25519(void **state) { (void)state; check_type(PGPKEY_ED25519); }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_p256),
		cmocka_unit_test(test_p384),
		cmocka_unit_test(test_ed25519),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_threads),
	};

	gcry_check_version(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
