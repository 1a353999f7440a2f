/* test_p11.c — the PKCS#11 layer in common/ on a real SoftHSM2 token.
 *
 * Each key type is generated, found by a PKCS#11 URI, signs, and OpenSSL
 * verifies the signature from the public key alone; the private half can
 * never be read.  A label in use is refused, also when the token has
 * dropped the login (logged out, the token hides private keys: a careless
 * check would see the label free).  Module paths that are not an absolute
 * path to a regular PKCS#11 module are refused.  And the re-login: SoftHSM2
 * logs the whole application out when any of its sessions calls
 * C_Logout, as a real HSM does after a reset; the test does that, shows
 * that a plain C_Sign then fails with CKR_USER_NOT_LOGGED_IN, and that the
 * layer's signing, lookup and generation log in again — once, even with
 * eight threads meeting the logout together. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "hashalgo.h"
#include "p11find.h"
#include "p11gen.h"
#include "p11key.h"
#include "p11login.h"
#include "p11mod.h"
#include "p11pool.h"
#include "p11sign.h"
#include "p11token.h"
#include "p11uri.h"
#include "sigcheck.h"
#include "signet-err.h"
#include "softhsm.h"

#define TOKEN "p11test"

struct world {
	struct softhsm t;
	struct p11mod *mod;
	CK_FUNCTION_LIST_PTR fn;
	CK_SLOT_ID slot;
	struct p11login *login;
	struct p11pool *pool;
};

static int
world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[512] = "";
	int created = 0;

	if (w == NULL || softhsm_setup(&w->t) != 0)
		return -1;
	if (p11mod_load(SOFTHSM_MODULE, &w->mod, err, sizeof(err)) != 0 ||
	    p11token_init(w->fn = p11mod_fn(w->mod), TOKEN, w->t.so_pin, w->t.pin, &created, err, sizeof(err)) != 0 ||
	    !created || p11token_find(w->fn, TOKEN, &w->slot, err, sizeof(err)) != 0 ||
	    p11login_open(w->fn, w->slot, w->t.pin, &w->login, err, sizeof(err)) != 0 ||
	    p11pool_new(w->fn, w->slot, 8, &w->pool) != 0) {
		fprintf(stderr, "token: %s\n", err);
		return -1;
	}
	*state = w;
	return 0;
}

static int
world_teardown(void **state)
{
	struct world *w = *state;

	p11pool_free(w->pool);
	p11login_close(w->login);
	p11mod_unload(w->mod);
	softhsm_teardown(&w->t);
	free(w);
	return 0;
}

static CK_SESSION_HANDLE
take(struct world *w)
{
	CK_SESSION_HANDLE s;
	char err[256];

	assert_int_equal(p11pool_get(w->pool, &s, err, sizeof(err)), 0);
	return s;
}

/* Generate TYPE as LABEL, then find it again through the URI. */
static struct p11keyref
gen_and_find(struct world *w, CK_SESSION_HANDLE s, enum p11_keytype type, unsigned bits, const char *label)
{
	char uri[P11URI_MAX_LEN + 1], err[512] = "";
	uint8_t id[8] = { 0x11, (uint8_t)type };
	struct p11uri u;
	struct p11keyref ref;

	if (p11gen_unique(w->login, s, type, bits, label, id, sizeof(id), err, sizeof(err)) != 0)
		fail_msg("generate %s: %s", label, err);
	assert_int_equal(p11uri_format(TOKEN, label, uri, sizeof(uri)), 0);
	assert_int_equal(p11uri_parse(uri, &u, err, sizeof(err)), 0);
	assert_int_equal(p11find_uri(w->login, s, &u, &ref, err, sizeof(err)), 0);
	assert_int_equal(ref.type, type);
	assert_int_equal(ref.cls, CKO_PRIVATE_KEY);
	assert_int_equal(ref.id_len, sizeof(id));
	assert_memory_equal(ref.id, id, sizeof(id));
	return ref;
}

/* The private half of KEY: sensitive, never extractable, signs only, and
 * its value cannot be read. */
static void
check_private(struct world *w, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key)
{
	CK_BBOOL sens = CK_FALSE, extr = CK_TRUE, never = CK_FALSE, sign = CK_FALSE, dec = CK_TRUE, der = CK_TRUE;
	CK_ATTRIBUTE a[] = {
		{ CKA_SENSITIVE, &sens, sizeof(sens) }, { CKA_EXTRACTABLE, &extr, sizeof(extr) },
		{ CKA_NEVER_EXTRACTABLE, &never, sizeof(never) }, { CKA_SIGN, &sign, sizeof(sign) },
		{ CKA_DECRYPT, &dec, sizeof(dec) }, { CKA_DERIVE, &der, sizeof(der) },
	};
	uint8_t buf[1024];
	CK_ATTRIBUTE v = { CKA_VALUE, buf, sizeof(buf) };
	CK_ATTRIBUTE d = { CKA_PRIVATE_EXPONENT, buf, sizeof(buf) };
	enum p11_keytype type;

	assert_int_equal(w->fn->C_GetAttributeValue(s, key, a, 6), CKR_OK);
	assert_true(sens && !extr && never && sign && !dec && !der);
	assert_int_equal(p11key_type(w->fn, s, key, &type), CKR_OK);
	assert_int_equal(w->fn->C_GetAttributeValue(s, key, type == P11_KT_RSA ? &d : &v, 1),
	                 CKR_ATTRIBUTE_SENSITIVE);
}

/* The bare public key of KEY, from its public object. */
static EVP_PKEY *
public_of(struct world *w, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, enum p11_keytype type)
{
	static const char *const curves[] = { NULL, NULL, "P-256", "P-384", NULL };
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE;
	CK_ULONG found = 0;
	uint8_t pt[P11KEY_MAX_POINT], n[512], e[8];
	CK_ATTRIBUTE a = { CKA_EC_POINT, pt, sizeof(pt) };
	CK_ATTRIBUTE rsa[2] = { { CKA_MODULUS, n, sizeof(n) }, { CKA_PUBLIC_EXPONENT, e, sizeof(e) } };
	const uint8_t *q = NULL;
	size_t qlen = 0;

	assert_int_equal(p11key_public_of(w->fn, s, key, &pub, &found), CKR_OK);
	assert_int_equal(found, 1);
	if (type == P11_KT_RSA) {
		assert_int_equal(w->fn->C_GetAttributeValue(s, pub, rsa, 2), CKR_OK);
		return sigcheck_key("RSA", NULL, n, rsa[0].ulValueLen, e, rsa[1].ulValueLen);
	}
	assert_int_equal(w->fn->C_GetAttributeValue(s, pub, &a, 1), CKR_OK);
	assert_int_equal(p11key_point_unwrap(type, pt, a.ulValueLen, &q, &qlen), 0);
	if (type == P11_KT_ED25519)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, q, qlen);
	return sigcheck_key("EC", curves[type], q, qlen, NULL, 0);
}

/* What TYPE signs: a DigestInfo (RSA), the hash (ECDSA) or the message
 * (EdDSA, here the hash as OpenPGP gives it); HASH is what OpenSSL checks. */
static size_t
to_sign(enum p11_keytype type, const uint8_t hash[32], uint8_t *in)
{
	const struct hashalgo *ha = hashalgo_by_name("sha256");

	if (type != P11_KT_RSA) {
		memcpy(in, hash, 32);
		return 32;
	}
	memcpy(in, ha->prefix, ha->prefix_len);
	memcpy(in + ha->prefix_len, hash, 32);
	return ha->prefix_len + 32;
}

static void
check_type(struct world *w, enum p11_keytype type, unsigned bits, const char *label, size_t siglen_want)
{
	CK_SESSION_HANDLE s = take(w);
	struct p11keyref ref = gen_and_find(w, s, type, bits, label);
	CK_OBJECT_HANDLE key = p11keyref_handle(&ref);
	uint8_t hash[32], in[HASHALGO_MAX_DIGESTINFO], sig[512];
	size_t inlen, siglen = 0;
	unsigned int hl = sizeof(hash);
	const EVP_MD *md = type == P11_KT_ED25519 ? NULL : EVP_sha256();
	EVP_PKEY *pub;

	check_private(w, s, key);
	assert_non_null(pub = public_of(w, s, key, type));
	assert_int_equal(EVP_Digest(label, strlen(label), hash, &hl, EVP_sha256(), NULL), 1);
	inlen = to_sign(type, hash, in);
	assert_int_equal(p11sign_key(w->login, s, &ref, in, inlen, sig, sizeof(sig), &siglen), CKR_OK);
	assert_int_equal(siglen, siglen_want);
	assert_true(sigcheck_verify(pub, md, type == P11_KT_ED25519 ? in : hash, 32, sig, siglen));
	sig[siglen / 2] ^= 0x01;
	assert_false(sigcheck_verify(pub, md, type == P11_KT_ED25519 ? in : hash, 32, sig, siglen));
	EVP_PKEY_free(pub);
	p11pool_put(w->pool, s, CKR_OK);
}

static void
test_rsa(void **state)
{
	check_type(*state, P11_KT_RSA, 2048, "rsa-key", 256);
}

static void
test_p256(void **state)
{
	check_type(*state, P11_KT_P256, 0, "p256-key", 64);
}

static void
test_p384(void **state)
{
	check_type(*state, P11_KT_P384, 0, "p384-key", 96);
}

static void
test_ed25519(void **state)
{
	check_type(*state, P11_KT_ED25519, 0, "ed25519-key", 64);
}

/* pkcs11-tool names the Ed25519 curve by the printable string
 * "edwards25519" rather than the OID: such a key is Ed25519 too. */
static void
test_ed25519_named(void **state)
{
	struct world *w = *state;
	CK_SESSION_HANDLE s = take(w);
	static const CK_BYTE name[] = { 0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9' };
	CK_MECHANISM mech = { CKM_EC_EDWARDS_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE pubt[] = { { CKA_EC_PARAMS, (void *)name, sizeof(name) }, { CKA_TOKEN, &yes, sizeof(yes) } };
	CK_ATTRIBUTE privt[] = { { CKA_SIGN, &yes, sizeof(yes) }, { CKA_TOKEN, &yes, sizeof(yes) } };
	CK_OBJECT_HANDLE pub, priv;
	enum p11_keytype type = P11_KT_NONE;

	assert_int_equal(w->fn->C_GenerateKeyPair(s, &mech, pubt, 2, privt, 2, &pub, &priv), CKR_OK);
	assert_int_equal(p11key_type(w->fn, s, priv, &type), CKR_OK);
	assert_int_equal(type, P11_KT_ED25519);
	p11pool_put(w->pool, s, CKR_OK);
}

/* One label, one key, whatever the type asked for the second time; and
 * the check holds when the token has dropped the login. */
static void
test_duplicate_label(void **state)
{
	struct world *w = *state;
	CK_SESSION_HANDLE s = take(w);
	uint8_t id[4] = { 1 }, id2[4] = { 2 };
	char err[512] = "";
	CK_OBJECT_HANDLE key;
	CK_ULONG n = 0;
	struct p11keyref ref;

	ref = gen_and_find(w, s, P11_KT_P256, 0, "dup");
	(void)id;
	assert_int_equal(gpg_err_code(p11gen_unique(w->login, s, P11_KT_ED25519, 0, "dup", id2, sizeof(id2), err,
	                                            sizeof(err))), GPG_ERR_EEXIST);
	assert_non_null(strstr(err, "already exists"));
	assert_int_equal(softhsm_drop_login(TOKEN), 0);
	assert_int_equal(gpg_err_code(p11gen_unique(w->login, s, P11_KT_RSA, 2048, "dup", id2, sizeof(id2), err,
	                                            sizeof(err))), GPG_ERR_EEXIST);
	assert_int_equal(p11find_private(w->fn, s, "dup", NULL, 0, &key, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(p11find_key(w->login, s, "dup", NULL, 0, &ref, err, sizeof(err)), 0);
	assert_int_equal(ref.type, P11_KT_P256);
	assert_int_equal(gpg_err_code(p11find_key(w->login, s, "nosuch", NULL, 0, &ref, err, sizeof(err))),
	                 GPG_ERR_NOT_FOUND);
	p11pool_put(w->pool, s, CKR_OK);
}

static void
expect_module_refused(const char *path, gpg_err_code_t code, const char *why)
{
	struct p11mod *m = NULL;
	char err[512] = "";

	assert_int_equal(gpg_err_code(p11mod_load(path, &m, err, sizeof(err))), code);
	assert_null(m);
	if (strstr(err, why) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", path, err, why);
}

static void
test_bad_module(void **state)
{
	struct world *w = *state;
	char path[PATH_MAX], link[96], err[512];
	struct p11mod *m = NULL;

	expect_module_refused("libsofthsm2.so", GPG_ERR_INV_VALUE, "must be an absolute path");
	expect_module_refused("softhsm/../libsofthsm2.so", GPG_ERR_INV_VALUE, "must be an absolute path");
	expect_module_refused("/nonexistent/libsofthsm2.so", GPG_ERR_ENOENT, "No such file");
	expect_module_refused("/usr/lib/softhsm", GPG_ERR_INV_VALUE, "not a regular file");
	/* A regular file that is no shared object, and a shared object that
	 * is no PKCS#11 module. */
	expect_module_refused(w->t.conf, SIGNET_ERR_HSM, "cannot load PKCS#11 module");
	snprintf(path, sizeof(path), "%s", "/lib/x86_64-linux-gnu/libz.so.1");
	if (access(path, R_OK) == 0)
		expect_module_refused(path, SIGNET_ERR_HSM, "no C_GetFunctionList");
	/* A link is loaded by what it points to. */
	snprintf(link, sizeof(link), "%s/module.so", w->t.dir);
	assert_int_equal(symlink(SOFTHSM_MODULE, link), 0);
	assert_int_equal(p11mod_load(link, &m, err, sizeof(err)), 0);
	assert_non_null(realpath(SOFTHSM_MODULE, path));
	assert_string_equal(p11mod_path(m), path);
	p11mod_unload(m);
}

static void
test_bad_pin(void **state)
{
	struct world *w = *state;
	struct p11login *l = NULL;
	char path[96], err[512] = "";

	snprintf(path, sizeof(path), "%s/wrong-pin", w->t.dir);
	assert_int_equal(softhsm_write(path, "9999\n"), 0);
	assert_int_equal(softhsm_drop_login(TOKEN), 0);
	assert_int_equal(gpg_err_code(p11login_open(w->fn, w->slot, path, &l, err, sizeof(err))), GPG_ERR_BAD_PIN);
	assert_null(l);
	assert_non_null(strstr(err, "CKR_PIN_INCORRECT (wrong PIN)"));
	assert_null(strstr(err, "9999"));
}

/* The token drops the login: a plain C_Sign with the key's handle
 * fails (SoftHSM2 answers CKR_OBJECT_HANDLE_INVALID: its private objects
 * get new handles; other tokens CKR_USER_NOT_LOGGED_IN), the layer's
 * signing logs in again, finds the key again and signs. */
static void
test_relogin_sign(void **state)
{
	struct world *w = *state;
	CK_SESSION_HANDLE s = take(w);
	struct p11keyref ref = gen_and_find(w, s, P11_KT_P256, 0, "relogin"), again;
	uint8_t h[32] = { 1, 2, 3 }, sig[128];
	size_t siglen = 0;
	char err[256];
	CK_RV rv;

	assert_int_equal(p11login_count(w->login), 1);
	assert_int_equal(softhsm_drop_login(TOKEN), 0);
	/* Proof the login is gone: without the layer, signing fails. */
	rv = p11sign_run(w->fn, s, p11keyref_handle(&ref), P11_KT_P256, h, sizeof(h), sig, sizeof(sig), &siglen);
	assert_true(rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(p11sign_key(w->login, s, &ref, h, sizeof(h), sig, sizeof(sig), &siglen), CKR_OK);
	assert_int_equal(siglen, 64);
	assert_int_equal(p11login_count(w->login), 2);
	/* Logged in again: no further login for the next signature. */
	assert_int_equal(p11sign_key(w->login, s, &ref, h, sizeof(h), sig, sizeof(sig), &siglen), CKR_OK);
	assert_int_equal(p11login_count(w->login), 2);
	/* A lookup after a logout finds the key (it would see none). */
	assert_int_equal(softhsm_drop_login(TOKEN), 0);
	assert_int_equal(p11find_key(w->login, s, "relogin", NULL, 0, &again, err, sizeof(err)), 0);
	assert_int_equal(p11login_count(w->login), 3);
	/* The PIN is read from its file again, with the file's checks: a
	 * PIN file others can read now is refused, and the signature fails
	 * rather than use a PIN kept in memory. */
	assert_int_equal(chmod(w->t.pin, 0644), 0);
	assert_int_equal(softhsm_drop_login(TOKEN), 0);
	assert_int_not_equal(p11sign_key(w->login, s, &ref, h, sizeof(h), sig, sizeof(sig), &siglen), CKR_OK);
	assert_int_equal(p11login_count(w->login), 3);
	assert_int_equal(chmod(w->t.pin, 0600), 0);
	assert_int_equal(p11sign_key(w->login, s, &ref, h, sizeof(h), sig, sizeof(sig), &siglen), CKR_OK);
	assert_int_equal(p11login_count(w->login), 4);
	/* An error that is not about the login is not retried, and a done
	 * operation never (it would sign, or encrypt under one IV, twice). */
	assert_int_equal(p11find_retry(w->login, s, &ref, CKR_DATA_LEN_RANGE), 0);
	assert_int_equal(p11find_retry(w->login, s, &ref, CKR_OK), 0);
	p11pool_put(w->pool, s, CKR_OK);
}

struct signer {
	struct world *w;
	struct p11keyref *ref;
	CK_RV rv;
};

static void *
sign_once(void *arg)
{
	struct signer *sg = arg;
	CK_SESSION_HANDLE s;
	uint8_t h[32] = { 9 }, sig[128];
	size_t siglen = 0;
	char err[256];

	if (p11pool_get(sg->w->pool, &s, err, sizeof(err)) != 0) {
		sg->rv = CKR_GENERAL_ERROR;
		return NULL;
	}
	sg->rv = p11sign_key(sg->w->login, s, sg->ref, h, sizeof(h), sig, sizeof(sig), &siglen);
	p11pool_put(sg->w->pool, s, sg->rv);
	return NULL;
}

/* Eight signers meet one dropped login: all sign, one login is made. */
static void
test_relogin_threads(void **state)
{
	struct world *w = *state;
	CK_SESSION_HANDLE s = take(w);
	struct signer sg[8];
	pthread_t th[8];
	size_t i;
	struct p11keyref ref = gen_and_find(w, s, P11_KT_ED25519, 0, "threads");

	p11pool_put(w->pool, s, CKR_OK);
	assert_int_equal(softhsm_drop_login(TOKEN), 0);
	for (i = 0; i < 8; i++) {
		sg[i] = (struct signer){ w, &ref, CKR_GENERAL_ERROR };
		assert_int_equal(pthread_create(&th[i], NULL, sign_once, &sg[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(sg[i].rv, CKR_OK);
	}
	assert_int_equal(p11login_count(w->login), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rsa, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_p256, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_p384, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_ed25519, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_ed25519_named, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_label, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_bad_module, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_bad_pin, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_relogin_sign, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_relogin_threads, world_setup, world_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
