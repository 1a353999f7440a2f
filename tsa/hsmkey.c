/* hsmkey.c — the TSA key on a PKCS#11 token (see hsmkey.h).
 *
 * The PKCS#11 layer in common/ does the token work, as for signet-policyd:
 * p11mod loads the module (canonical absolute path, CKF_OS_LOCKING_OK:
 * the workers sign in parallel), p11token finds or makes the token,
 * p11login logs in once on an anchor session and logs in again when the
 * token has dropped the login, p11find/p11gen/p11sign look keys up, make
 * them (refusing a label in use) and sign.  What is the TSA's own: every
 * thread that signs opens its own session on first use (a pthread key; the
 * login covers all sessions of the application), so no session is shared
 * between threads and no lock is held while the token signs.
 *
 * OpenSSL 3.0 signs a "foreign" legacy key (one whose RSA_METHOD /
 * EC_KEY_METHOD is not the default) through the legacy EVP_PKEY_METHOD,
 * which ends in our callbacks: RSA_sign → rsa_priv_enc with the DigestInfo
 * and PKCS#1 padding → CKM_RSA_PKCS; ECDSA_sign → ecdsa sign_sig with the
 * hash → CKM_ECDSA, r||s turned into an ECDSA_SIG that OpenSSL encodes.
 * These APIs are deprecated in 3.0 but present; OPENSSL_SUPPRESS_DEPRECATED
 * keeps their declarations free of the deprecation attribute (a
 * target-specific WARN in the Makefile would not reach ALL_CFLAGS, which is
 * expanded once).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

#include "hsmkey.h"
#include "log.h"
#include "p11err.h"
#include "p11find.h"
#include "p11gen.h"
#include "p11key.h"
#include "p11login.h"
#include "p11mod.h"
#include "p11pool.h"
#include "p11sign.h"
#include "p11token.h"
#include "p11uri.h"

#define HSMKEY_MAX_SIG   1024       /* RSA-8192 and below; r||s of P-256 */

#define HSMKEY_MAX_KEYS  4          /* --init: the TSA key and the test CA key */
#define HSMKEY_MAX_MOD   1024       /* RSA modulus bytes (8192 bits) */
#define HSMKEY_MAX_EXP   16
#define HSMKEY_NEW_ID_LEN 16
#define HSMKEY_RSA_BITS  3072

struct hsmkey;

/* One private key on the token; what the RSA/EC callbacks get. */
struct hsmkey_obj {
	struct hsmkey *hk;
	struct p11keyref ref;         /* found again if the token drops the login */
};

struct hsmkey {
	struct p11mod *mod;
	struct p11login *login;
	CK_FUNCTION_LIST_PTR fn;
	CK_SLOT_ID slot;
	struct hsmkey_obj keys[HSMKEY_MAX_KEYS];
	size_t nkeys;
	pthread_key_t tls;          /* this thread's session (CK_SESSION_HANDLE + 1) */
	int have_tls;
	char token[P11URI_MAX_ATTR + 1];
	RSA_METHOD *rsa_meth;       /* shared by all keys of this token */
	EC_KEY_METHOD *ec_meth;
};

static gpg_error_t
fail_ckr(char *err, size_t errlen, const char *step, CK_RV rv)
{
	return p11err_fail(err, errlen, step, rv);
}

static void
session_close_cb(void *v)
{
	(void)v; /* the session dies with C_Finalize / C_CloseAllSessions */
}

/* This thread's session, opened on first use. */
static CK_RV
thread_session(struct hsmkey *hk, CK_SESSION_HANDLE *s)
{
	uintptr_t v = (uintptr_t)pthread_getspecific(hk->tls);
	CK_RV rv;

	if (v != 0) {
		*s = (CK_SESSION_HANDLE)(v - 1);
		return CKR_OK;
	}
	rv = hk->fn->C_OpenSession(hk->slot, CKF_SERIAL_SESSION, NULL, NULL, s);
	if (rv != CKR_OK)
		return rv;
	if (pthread_setspecific(hk->tls, (void *)(uintptr_t)(*s + 1)) != 0) {
		hk->fn->C_CloseSession(*s);
		return CKR_HOST_MEMORY;
	}
	/* Once per thread (and after a broken session): shows in the log that
	 * sessions follow threads, not requests. */
	log_info("PKCS#11 session %lu opened for this thread", (unsigned long)*s);
	return CKR_OK;
}

/* One C_Sign on this thread's session.  A session left broken is dropped
 * so that the next request of this thread opens a fresh one. */
static CK_RV
token_sign(struct hsmkey_obj *o, const unsigned char *in, size_t inlen, unsigned char *sig, size_t sigmax,
           size_t *siglen)
{
	struct hsmkey *hk = o->hk;
	CK_SESSION_HANDLE s;
	CK_RV rv;

	if ((rv = thread_session(hk, &s)) != CKR_OK)
		return rv;
	rv = p11sign_key(hk->login, s, &o->ref, in, inlen, sig, sigmax, siglen);
	if (p11pool_broken(rv)) {
		hk->fn->C_CloseSession(s);
		pthread_setspecific(hk->tls, NULL);
	}
	return rv;
}

/* RSA_sign hands us the DigestInfo with PKCS#1 v1.5 padding asked for. */
static int
rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa, int padding)
{
	struct hsmkey_obj *o = RSA_get_app_data(rsa);
	size_t len = 0;
	char tmp[P11ERR_MAX_TEXT];
	CK_RV rv;

	if (o == NULL || padding != RSA_PKCS1_PADDING || flen < 0) {
		ERR_raise_data(ERR_LIB_RSA, RSA_R_UNKNOWN_PADDING_TYPE, "signet-tsa: only PKCS#1 v1.5 on the HSM");
		return -1;
	}
	rv = token_sign(o, from, (size_t)flen, to, (size_t)RSA_size(rsa), &len);
	if (rv != CKR_OK) {
		ERR_raise_data(ERR_LIB_RSA, ERR_R_INTERNAL_ERROR, "C_Sign(CKM_RSA_PKCS): %s", p11err_name(rv, tmp, sizeof(tmp)));
		return -1;
	}
	return (int)len;
}

/* ECDSA over the hash; the token answers r||s (PKCS#11 2.40 §2.3.1). */
static ECDSA_SIG *
ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
	struct hsmkey_obj *o = EC_KEY_get_ex_data(ec, 0);
	unsigned char rs[HSMKEY_MAX_SIG];
	size_t len = 0;
	ECDSA_SIG *sig = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	char tmp[P11ERR_MAX_TEXT];
	CK_RV rv;

	(void)kinv;
	(void)r;
	if (o == NULL || dlen < 0)
		return NULL;
	rv = token_sign(o, dgst, (size_t)dlen, rs, sizeof(rs), &len);
	if (rv != CKR_OK) {
		ERR_raise_data(ERR_LIB_EC, ERR_R_INTERNAL_ERROR, "C_Sign(CKM_ECDSA): %s", p11err_name(rv, tmp, sizeof(tmp)));
		return NULL;
	}
	if (len == 0 || len % 2 != 0 || len > sizeof(rs))
		return NULL;
	if ((br = BN_bin2bn(rs, (int)(len / 2), NULL)) == NULL ||
	    (bs = BN_bin2bn(rs + len / 2, (int)(len / 2), NULL)) == NULL || (sig = ECDSA_SIG_new()) == NULL ||
	    !ECDSA_SIG_set0(sig, br, bs)) {
		BN_free(br);
		BN_free(bs);
		ECDSA_SIG_free(sig);
		return NULL;
	}
	return sig;
}

static gpg_error_t
load_module(struct hsmkey *hk, const struct hsmkey_params *p, char *err, size_t errlen)
{
	gpg_error_t r;

	if (p->softhsm2_conf != NULL && setenv("SOFTHSM2_CONF", p->softhsm2_conf, 1) != 0) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "setenv SOFTHSM2_CONF: %s", strerror(errno));
		return r;
	}
	if ((r = p11mod_load(p->module, &hk->mod, err, errlen)) != 0)
		return r;
	hk->fn = p11mod_fn(hk->mod);
	return 0;
}

static gpg_error_t
find_token(struct hsmkey *hk, const char *label, char *err, size_t errlen)
{
	gpg_error_t r = p11token_find(hk->fn, label, &hk->slot, err, errlen);
	size_t n;

	if (gpg_err_code(r) == GPG_ERR_NOT_FOUND && (n = strlen(err)) < errlen)
		snprintf(err + n, errlen - n, " (check key and softhsm2_conf)");
	return r;
}

/* The one private key LABEL (ID): a new entry of HK->keys in *OP.
 * GPG_ERR_NOT_FOUND if there is none. */
static gpg_error_t
find_key(struct hsmkey *hk, const char *label, const uint8_t *id, size_t idlen, struct hsmkey_obj **op,
         char *err, size_t errlen)
{
	struct hsmkey_obj *o;
	CK_SESSION_HANDLE s;
	gpg_error_t r;
	CK_RV rv;

	*op = NULL;
	if (hk->nkeys >= HSMKEY_MAX_KEYS) {
		snprintf(err, errlen, "too many keys opened on the token");
		return gpg_error(GPG_ERR_TOO_MANY);
	}
	if ((rv = thread_session(hk, &s)) != CKR_OK)
		return fail_ckr(err, errlen, "C_OpenSession", rv);
	o = &hk->keys[hk->nkeys];
	r = p11find_key(hk->login, s, label, id, idlen, &o->ref, err, errlen);
	if (gpg_err_code(r) == GPG_ERR_NOT_FOUND)
		snprintf(err, errlen, "no private key object \"%s\" on token \"%s\"", label, hk->token);
	else if (gpg_err_code(r) == GPG_ERR_AMBIGUOUS)
		snprintf(err, errlen, "several private keys match \"%s\" on token \"%s\"; add id= to the URI",
		         label, hk->token);
	if (r != 0)
		return r;
	o->hk = hk;
	hk->nkeys++;
	*op = o;
	return 0;
}

/* An RSA EVP_PKEY with the public key N, E (copied); with METH, signing
 * goes through METH with O as the key's app data. */
static EVP_PKEY *
rsa_pkey(const BIGNUM *n, const BIGNUM *e, RSA_METHOD *meth, struct hsmkey_obj *o)
{
	BIGNUM *n2 = BN_dup(n), *e2 = BN_dup(e);
	RSA *rsa = RSA_new();
	EVP_PKEY *k = NULL;

	if (n2 == NULL || e2 == NULL || rsa == NULL || (meth != NULL && !RSA_set_method(rsa, meth)) ||
	    !RSA_set0_key(rsa, n2, e2, NULL))
		goto fail;
	n2 = e2 = NULL;
	if ((meth != NULL && !RSA_set_app_data(rsa, o)) || (k = EVP_PKEY_new()) == NULL || !EVP_PKEY_assign_RSA(k, rsa))
		goto fail;
	return k;
fail:
	BN_free(n2);
	BN_free(e2);
	RSA_free(rsa);
	EVP_PKEY_free(k);
	return NULL;
}

static gpg_error_t
make_rsa(struct hsmkey_obj *o, EVP_PKEY *pub, EVP_PKEY **out, char *err, size_t errlen)
{
	struct hsmkey *hk = o->hk;
	const RSA *cr = EVP_PKEY_get0_RSA(pub);
	const BIGNUM *n, *e;

	if (cr == NULL) {
		snprintf(err, errlen, "the token key is RSA, the certificate's is not");
		return gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
	}
	RSA_get0_key(cr, &n, &e, NULL);
	if (hk->rsa_meth == NULL &&
	    ((hk->rsa_meth = RSA_meth_dup(RSA_get_default_method())) == NULL ||
	     !RSA_meth_set1_name(hk->rsa_meth, "signet-tsa PKCS#11") ||
	     !RSA_meth_set_priv_enc(hk->rsa_meth, rsa_priv_enc))) {
		RSA_meth_free(hk->rsa_meth);
		hk->rsa_meth = NULL;
	}
	if (hk->rsa_meth == NULL || (*out = rsa_pkey(n, e, hk->rsa_meth, o)) == NULL) {
		snprintf(err, errlen, "cannot build the RSA key object (OpenSSL)");
		return gpg_error(GPG_ERR_GENERAL);
	}
	return 0;
}

static gpg_error_t
make_ec(struct hsmkey_obj *o, EVP_PKEY *pub, EVP_PKEY **out, char *err, size_t errlen)
{
	struct hsmkey *hk = o->hk;
	const EC_KEY *ce = EVP_PKEY_get0_EC_KEY(pub);
	int (*sign)(int, const unsigned char *, int, unsigned char *, unsigned int *, const BIGNUM *,
	            const BIGNUM *, EC_KEY *) = NULL;
	int (*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **) = NULL;
	EC_KEY *ec = NULL;
	EVP_PKEY *k = NULL;

	if (ce == NULL || EC_GROUP_get_curve_name(EC_KEY_get0_group(ce)) != NID_X9_62_prime256v1) {
		snprintf(err, errlen, "the token key is EC; the certificate's key must be EC P-256");
		return gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
	}
	if (hk->ec_meth == NULL) {
		if ((hk->ec_meth = EC_KEY_METHOD_new(EC_KEY_get_default_method())) == NULL)
			goto fail;
		/* Keep OpenSSL's sign (it DER-encodes what sign_sig returns). */
		EC_KEY_METHOD_get_sign(EC_KEY_get_default_method(), &sign, &setup, NULL);
		EC_KEY_METHOD_set_sign(hk->ec_meth, sign, setup, ec_sign_sig);
	}
	if ((ec = EC_KEY_new()) == NULL || !EC_KEY_set_method(ec, hk->ec_meth) ||
	    !EC_KEY_set_group(ec, EC_KEY_get0_group(ce)) ||
	    !EC_KEY_set_public_key(ec, EC_KEY_get0_public_key(ce)) || !EC_KEY_set_ex_data(ec, 0, o) ||
	    (k = EVP_PKEY_new()) == NULL || !EVP_PKEY_assign_EC_KEY(k, ec))
		goto fail;
	*out = k;
	return 0;
fail:
	EC_KEY_free(ec);
	EVP_PKEY_free(k);
	snprintf(err, errlen, "cannot build the EC key object (OpenSSL)");
	return gpg_error(GPG_ERR_GENERAL);
}

/* An EVP_PKEY of O that signs on the token, with PUB's public key. */
static gpg_error_t
make_key(struct hsmkey_obj *o, EVP_PKEY *pub, EVP_PKEY **key, char *err, size_t errlen)
{
	if (o->ref.type == P11_KT_RSA)
		return make_rsa(o, pub, key, err, errlen);
	if (o->ref.type == P11_KT_P256)
		return make_ec(o, pub, key, err, errlen);
	snprintf(err, errlen, "the token key is neither RSA nor EC P-256");
	return gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
}

/* One signature with KEY verified with the certificate's key: the token key
 * and the certificate belong together, and the whole path works. */
static gpg_error_t
self_test(EVP_PKEY *key, EVP_PKEY *pub, char *err, size_t errlen)
{
	static const unsigned char msg[] = "signet-tsa start-up self-test";
	unsigned char sig[HSMKEY_MAX_SIG];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	gpg_error_t r = gpg_error(GPG_ERR_BAD_SIGNATURE);
	unsigned long e;

	if (md == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, msg, sizeof(msg)) != 1) {
		e = ERR_peek_last_error();
		snprintf(err, errlen, "test signature on the token failed: %s",
		         e ? ERR_reason_error_string(e) : "unknown error");
		goto out;
	}
	EVP_MD_CTX_reset(md);
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) != 1 ||
	    EVP_DigestVerify(md, sig, siglen, msg, sizeof(msg)) != 1) {
		snprintf(err, errlen, "the token key does not belong to the certificate (test signature does not verify)");
		goto out;
	}
	r = 0; /* success */
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	return r;
}

/* One attribute of OBJ into BUF (at most BUFLEN bytes); its length in *LEN. */
static gpg_error_t
get_attr(struct hsmkey *hk, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, const char *name, void *buf,
         size_t buflen, size_t *len, char *err, size_t errlen)
{
	CK_ATTRIBUTE a = { type, buf, buflen };
	CK_SESSION_HANDLE s;
	char step[64];
	CK_RV rv;

	if ((rv = thread_session(hk, &s)) != CKR_OK)
		return fail_ckr(err, errlen, "C_OpenSession", rv);
	if ((rv = hk->fn->C_GetAttributeValue(s, obj, &a, 1)) != CKR_OK ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
		snprintf(step, sizeof(step), "C_GetAttributeValue(%s)", name);
		return fail_ckr(err, errlen, step, rv == CKR_OK ? CKR_ATTRIBUTE_SENSITIVE : rv);
	}
	*len = a.ulValueLen;
	return 0;
}

static gpg_error_t
pub_rsa(struct hsmkey *hk, CK_OBJECT_HANDLE obj, EVP_PKEY **pub, char *err, size_t errlen)
{
	unsigned char mod[HSMKEY_MAX_MOD], exp[HSMKEY_MAX_EXP];
	size_t modlen = 0, explen = 0;
	BIGNUM *n = NULL, *e = NULL;
	gpg_error_t r;

	if ((r = get_attr(hk, obj, CKA_MODULUS, "CKA_MODULUS", mod, sizeof(mod), &modlen, err, errlen)) != 0 ||
	    (r = get_attr(hk, obj, CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT", exp, sizeof(exp), &explen, err,
	                  errlen)) != 0)
		return r;
	if ((n = BN_bin2bn(mod, (int)modlen, NULL)) == NULL || (e = BN_bin2bn(exp, (int)explen, NULL)) == NULL ||
	    (*pub = rsa_pkey(n, e, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "the token's RSA public key cannot be read (OpenSSL)");
		r = gpg_error(GPG_ERR_GENERAL);
	}
	BN_free(n);
	BN_free(e);
	return r;
}

/* The P-256 public key object OBJ (its CKA_EC_POINT, DER-wrapped or
 * bare: p11key_point_unwrap). */
static gpg_error_t
pub_ec(struct hsmkey *hk, CK_OBJECT_HANDLE obj, EVP_PKEY **pub, char *err, size_t errlen)
{
	unsigned char point[P11KEY_MAX_POINT];
	size_t ptlen = 0, rawlen = 0;
	const uint8_t *raw = NULL;
	enum p11_keytype type = P11_KT_NONE;
	CK_SESSION_HANDLE s;
	EC_KEY *ec = NULL;
	EVP_PKEY *k = NULL;
	gpg_error_t r;
	CK_RV rv;

	if ((rv = thread_session(hk, &s)) != CKR_OK || (rv = p11key_type(hk->fn, s, obj, &type)) != CKR_OK)
		return fail_ckr(err, errlen, "C_GetAttributeValue(CKA_EC_PARAMS)", rv);
	if (type != P11_KT_P256) {
		snprintf(err, errlen, "the token key is EC but not on the curve P-256 (prime256v1)");
		return gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
	}
	if ((r = get_attr(hk, obj, CKA_EC_POINT, "CKA_EC_POINT", point, sizeof(point), &ptlen, err, errlen)) != 0)
		return r;
	if (p11key_point_unwrap(type, point, ptlen, &raw, &rawlen) != 0 ||
	    (ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1)) == NULL ||
	    !EC_KEY_oct2key(ec, raw, rawlen, NULL) || (k = EVP_PKEY_new()) == NULL || !EVP_PKEY_assign_EC_KEY(k, ec)) {
		EC_KEY_free(ec);
		EVP_PKEY_free(k);
		ERR_clear_error();
		snprintf(err, errlen, "the token's EC public key (CKA_EC_POINT) cannot be read");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	*pub = k;
	return 0;
}

/* The public key object beside O: same label, same CKA_ID. */
static gpg_error_t
read_public(struct hsmkey_obj *o, const char *label, EVP_PKEY **pub, char *err, size_t errlen)
{
	struct hsmkey *hk = o->hk;
	CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
	CK_SESSION_HANDLE s;
	CK_ULONG found = 0;
	CK_RV rv;

	*pub = NULL;
	if ((rv = thread_session(hk, &s)) == CKR_OK)
		rv = p11key_public_of(hk->fn, s, p11keyref_handle(&o->ref), &obj, &found);
	if (rv != CKR_OK)
		return fail_ckr(err, errlen, "C_FindObjects(public key)", rv);
	if (found != 1) {
		snprintf(err, errlen, "%s public key object \"%s\" with the private key's CKA_ID on token \"%s\"",
		         found == 0 ? "no" : "more than one", label, hk->token);
		/* Not GPG_ERR_NOT_FOUND: that means "no private key" to callers
		 * that then generate one. */
		return gpg_error(found == 0 ? GPG_ERR_NO_PUBKEY : GPG_ERR_AMBIGUOUS);
	}
	if (o->ref.type == P11_KT_RSA)
		return pub_rsa(hk, obj, pub, err, errlen);
	if (o->ref.type == P11_KT_P256)
		return pub_ec(hk, obj, pub, err, errlen);
	snprintf(err, errlen, "key \"%s\" is neither RSA nor EC P-256", label);
	return gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
}

gpg_error_t
hsmkey_login(const struct hsmkey_params *p, struct hsmkey **hkp, char *err, size_t errlen)
{
	struct hsmkey *hk = NULL;
	struct p11uri u;
	gpg_error_t r;

	*hkp = NULL;
	if ((r = p11uri_parse(p->uri, &u, err, errlen)) != 0)
		return r;
	if (!u.has_token || !u.has_object) {
		snprintf(err, errlen, "the key URI must name token= and object=");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if ((hk = calloc(1, sizeof(*hk))) == NULL)
		return gpg_error_from_syserror();
	memcpy(hk->token, u.token, sizeof(hk->token));
	if (pthread_key_create(&hk->tls, session_close_cb) != 0) {
		snprintf(err, errlen, "pthread_key_create failed");
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	hk->have_tls = 1;
	if ((r = load_module(hk, p, err, errlen)) != 0 || (r = find_token(hk, u.token, err, errlen)) != 0 ||
	    (r = p11login_open(hk->fn, hk->slot, p->pin_file, &hk->login, err, errlen)) != 0)
		goto out;
	*hkp = hk;
	hk = NULL;
	r = 0; /* success */
out:
	hsmkey_close(hk);
	return r;
}

gpg_error_t
hsmkey_load(struct hsmkey *hk, const char *label, const uint8_t *id, size_t idlen, EVP_PKEY **keyp,
            char *err, size_t errlen)
{
	struct hsmkey_obj *o = NULL;
	EVP_PKEY *pub = NULL, *key = NULL;
	gpg_error_t r;

	*keyp = NULL;
	if ((r = find_key(hk, label, id, idlen, &o, err, errlen)) != 0 ||
	    (r = read_public(o, label, &pub, err, errlen)) != 0 || (r = make_key(o, pub, &key, err, errlen)) != 0)
		goto out;
	if ((r = self_test(key, pub, err, errlen)) != 0) {
		snprintf(err, errlen, "the private and public key objects \"%s\" on token \"%s\" do not belong together",
		         label, hk->token);
		goto out;
	}
	*keyp = key;
	key = NULL;
	r = 0; /* success */
out:
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
	return r;
}

gpg_error_t
hsmkey_generate(struct hsmkey *hk, const char *label, const uint8_t *id, size_t idlen, enum hsmkey_algo algo,
                char *err, size_t errlen)
{
	unsigned char newid[HSMKEY_NEW_ID_LEN];
	enum p11_keytype type = algo == HSMKEY_ALGO_RSA3072   ? P11_KT_RSA
	                        : algo == HSMKEY_ALGO_ED25519 ? P11_KT_ED25519
	                                                      : P11_KT_P256;
	CK_SESSION_HANDLE s;
	gpg_error_t r;
	CK_RV rv;

	if (algo != HSMKEY_ALGO_RSA3072 && algo != HSMKEY_ALGO_ECP256 && algo != HSMKEY_ALGO_ED25519) {
		snprintf(err, errlen, "unknown key algorithm");
		return gpg_error(GPG_ERR_INV_ARG);
	}
	if (strlen(label) == 0) {
		snprintf(err, errlen, "a new key needs a label (object= in the key URI)");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if (idlen == 0) {
		if (RAND_bytes(newid, sizeof(newid)) != 1) {
			snprintf(err, errlen, "no random bytes for the key's CKA_ID (OpenSSL RAND_bytes)");
			return gpg_error(GPG_ERR_GENERAL);
		}
		id = newid;
		idlen = sizeof(newid);
	}
	/* Token objects need a read/write session; the signing sessions stay
	 * read-only. */
	if ((rv = hk->fn->C_OpenSession(hk->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) != CKR_OK)
		return fail_ckr(err, errlen, "C_OpenSession (read/write)", rv);
	r = p11gen_unique(hk->login, s, type, HSMKEY_RSA_BITS, label, id, idlen, err, errlen);
	hk->fn->C_CloseSession(s);
	return r;
}

gpg_error_t
hsmkey_load_ed25519(struct hsmkey *hk, const char *label, struct hsmkey_obj **objp, uint8_t pub[32], char *err,
                    size_t errlen)
{
	struct hsmkey_obj *o = NULL;
	CK_SESSION_HANDLE s;
	CK_ULONG found = 0;
	size_t publen = 0;
	gpg_error_t r;
	CK_RV rv;

	*objp = NULL;
	if ((r = find_key(hk, label, NULL, 0, &o, err, errlen)) != 0)
		return r;
	/* find_key took a slot of HK->keys: given back on every failure. */
	if (o->ref.type != P11_KT_ED25519) {
		snprintf(err, errlen, "the token's key \"%s\" is %s, not Ed25519", label, p11key_name(o->ref.type));
		r = gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
		goto out;
	}
	if ((rv = thread_session(hk, &s)) == CKR_OK)
		rv = p11key_point_of(hk->fn, s, p11keyref_handle(&o->ref), P11_KT_ED25519, pub, 32, &publen, &found);
	if (rv == CKR_OK && found != 1) {
		snprintf(err, errlen, "%s public key object \"%s\" with the private key's CKA_ID on token \"%s\"",
		         found == 0 ? "no" : "more than one", label, hk->token);
		r = gpg_error(found == 0 ? GPG_ERR_NO_PUBKEY : GPG_ERR_AMBIGUOUS);
		goto out;
	}
	if (rv != CKR_OK) {
		r = fail_ckr(err, errlen, "C_GetAttributeValue(CKA_EC_POINT)", rv);
		goto out;
	}
	*objp = o;
	o = NULL;
	r = 0; /* success */
out:
	if (o != NULL)
		hk->nkeys--;
	return r;
}

gpg_error_t
hsmkey_sign_ed25519(struct hsmkey_obj *o, const uint8_t *msg, size_t len, uint8_t sig[64], char *err,
                    size_t errlen)
{
	size_t siglen = 0;
	CK_RV rv = token_sign(o, msg, len, sig, 64, &siglen);

	if (rv == CKR_OK && siglen != 64)
		rv = CKR_SIGNATURE_LEN_RANGE;
	if (rv != CKR_OK)
		return fail_ckr(err, errlen, "C_Sign(CKM_EDDSA)", rv);
	return 0;
}

gpg_error_t
hsmkey_open(const struct hsmkey_params *p, struct hsmkey **hkp, EVP_PKEY **keyp, char *err, size_t errlen)
{
	struct hsmkey *hk = NULL;
	struct hsmkey_obj *o = NULL;
	struct p11uri u;
	EVP_PKEY *pub, *key = NULL;
	gpg_error_t r;

	*hkp = NULL;
	*keyp = NULL;
	if ((r = p11uri_parse(p->uri, &u, err, errlen)) != 0)
		return r;
	if ((pub = X509_get0_pubkey(p->cert)) == NULL) {
		snprintf(err, errlen, "the certificate's public key cannot be read");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if ((r = hsmkey_login(p, &hk, err, errlen)) != 0 ||
	    (r = find_key(hk, u.object, u.id, u.has_id ? u.id_len : 0, &o, err, errlen)) != 0 ||
	    (r = make_key(o, pub, &key, err, errlen)) != 0 || (r = self_test(key, pub, err, errlen)) != 0)
		goto out;
	*keyp = key;
	key = NULL;
	*hkp = hk;
	hk = NULL;
	r = 0; /* success */
out:
	EVP_PKEY_free(key);
	hsmkey_close(hk);
	return r;
}

gpg_error_t
hsmkey_init_token(const struct hsmkey_params *p, const char *so_pin_file, int *created, char *err,
                  size_t errlen)
{
	struct hsmkey *hk = NULL;
	struct p11uri u;
	gpg_error_t r;

	*created = 0;
	if ((r = p11uri_parse(p->uri, &u, err, errlen)) != 0)
		return r;
	if (!u.has_token || strlen(u.token) == 0 || strlen(u.token) > P11TOKEN_LABEL_LEN) {
		snprintf(err, errlen, "the key URI must name a token= of 1 to %d bytes", P11TOKEN_LABEL_LEN);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if ((hk = calloc(1, sizeof(*hk))) == NULL)
		return gpg_error_from_syserror();
	if ((r = load_module(hk, p, err, errlen)) == 0)
		r = p11token_init(hk->fn, u.token, so_pin_file, p->pin_file, created, err, errlen);
	hsmkey_close(hk);
	return r;
}

void
hsmkey_close(struct hsmkey *hk)
{
	if (hk == NULL)
		return;
	/* The threads' sessions and the anchor (the module's C_Finalize would
	 * close them too, but not in a module this process had initialised
	 * before us). */
	if (hk->login != NULL)
		hk->fn->C_CloseAllSessions(hk->slot);
	p11login_close(hk->login);
	p11mod_unload(hk->mod);
	if (hk->have_tls)
		pthread_key_delete(hk->tls);
	RSA_meth_free(hk->rsa_meth);
	if (hk->ec_meth != NULL) /* EC_KEY_METHOD_free(NULL) crashes in 3.0 */
		EC_KEY_METHOD_free(hk->ec_meth);
	free(hk);
}
