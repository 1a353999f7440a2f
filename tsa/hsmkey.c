/* hsmkey.c — the TSA key on a PKCS#11 token (see hsmkey.h).
 *
 * Plain PKCS#11 through p11-kit's pkcs11.h: dlopen the module, C_Initialize
 * with CKF_OS_LOCKING_OK (the workers sign in parallel), find the token by
 * label, log in once on an anchor session that stays open for the life of
 * the key (closing an application's last session logs it out), then every
 * thread that signs opens its own session on first use (a pthread key; the
 * login covers all sessions of the application).  No session is shared
 * between threads, so no lock is held while the token signs.
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
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

#include "hsmkey.h"
#include "pinfile.h"
#include "log.h"
#include "p11err.h"
#include "p11uri.h"

#define HSMKEY_MAX_SLOTS 64
#define HSMKEY_MAX_SIG   1024       /* RSA-8192 and below; r||s of P-256 */
#define HSMKEY_P256_LEN  32
#define HSMKEY_LABEL_LEN 32         /* CK_TOKEN_INFO.label, blank-padded */

#define HSMKEY_MAX_KEYS  4          /* --init: the TSA key and the test CA key */
#define HSMKEY_MAX_ID    P11URI_MAX_ATTR
#define HSMKEY_MAX_MOD   1024       /* RSA modulus bytes (8192 bits) */
#define HSMKEY_MAX_EXP   16
#define HSMKEY_MAX_POINT 256        /* CKA_EC_POINT, DER */
#define HSMKEY_MAX_PARAMS 64        /* CKA_EC_PARAMS, DER */
#define HSMKEY_NEW_ID_LEN 16
#define HSMKEY_RSA_BITS  3072
#define HSMKEY_MAX_TMPL  12         /* attributes of one generated object */
#define TSA_HSMKEY_ERR   256

struct hsmkey;

/* One private key on the token; what the RSA/EC callbacks get. */
struct hsmkey_obj {
	struct hsmkey *hk;
	CK_OBJECT_HANDLE priv;
	CK_KEY_TYPE type;
};

struct hsmkey {
	void *dl;
	CK_FUNCTION_LIST_PTR fn;
	int initialized;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE anchor;
	struct hsmkey_obj keys[HSMKEY_MAX_KEYS];
	size_t nkeys;
	pthread_key_t tls;          /* this thread's session (CK_SESSION_HANDLE + 1) */
	int have_tls;
	char token[P11URI_MAX_ATTR + 1];
	RSA_METHOD *rsa_meth;       /* shared by all keys of this token */
	EC_KEY_METHOD *ec_meth;
};

/* DER of the prime256v1 OID (CKA_EC_PARAMS of a P-256 key). */
static const CK_BYTE p256_params[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

static gpg_error_t
fail_ckr(char *err, size_t errlen, const char *step, CK_RV rv)
{
	char tmp[P11ERR_MAX_TEXT];

	snprintf(err, errlen, "%s: %s", step, p11err_name(rv, tmp, sizeof(tmp)));
	return gpg_error(GPG_ERR_CARD);
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
token_sign(struct hsmkey_obj *o, CK_MECHANISM_TYPE mt, const unsigned char *in, size_t inlen,
           unsigned char *sig, CK_ULONG *siglen)
{
	struct hsmkey *hk = o->hk;
	CK_MECHANISM mech = { mt, NULL, 0 };
	CK_SESSION_HANDLE s;
	CK_RV rv;

	if ((rv = thread_session(hk, &s)) != CKR_OK)
		return rv;
	rv = hk->fn->C_SignInit(s, &mech, o->priv);
	if (rv == CKR_OK)
		rv = hk->fn->C_Sign(s, (CK_BYTE_PTR)in, inlen, sig, siglen);
	if (rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_OPERATION_ACTIVE ||
	    rv == CKR_DEVICE_ERROR || rv == CKR_GENERAL_ERROR) {
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
	CK_ULONG len = (CK_ULONG)RSA_size(rsa);
	char tmp[P11ERR_MAX_TEXT];
	CK_RV rv;

	if (o == NULL || padding != RSA_PKCS1_PADDING || flen < 0) {
		ERR_raise_data(ERR_LIB_RSA, RSA_R_UNKNOWN_PADDING_TYPE, "signet-tsa: only PKCS#1 v1.5 on the HSM");
		return -1;
	}
	rv = token_sign(o, CKM_RSA_PKCS, from, (size_t)flen, to, &len);
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
	CK_ULONG len = sizeof(rs);
	ECDSA_SIG *sig = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	char tmp[P11ERR_MAX_TEXT];
	CK_RV rv;

	(void)kinv;
	(void)r;
	if (o == NULL || dlen < 0)
		return NULL;
	rv = token_sign(o, CKM_ECDSA, dgst, (size_t)dlen, rs, &len);
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
	CK_C_GetFunctionList getfl;
	CK_C_INITIALIZE_ARGS args;
	CK_RV rv;

	if (p->softhsm2_conf != NULL && setenv("SOFTHSM2_CONF", p->softhsm2_conf, 1) != 0) {
		snprintf(err, errlen, "setenv SOFTHSM2_CONF: %s", strerror(errno));
		return gpg_error_from_syserror();
	}
	if ((hk->dl = dlopen(p->module, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "pkcs11_module %s: %s", p->module, dlerror());
		return gpg_error(GPG_ERR_CARD);
	}
	*(void **)(&getfl) = dlsym(hk->dl, "C_GetFunctionList");
	if (getfl == NULL) {
		snprintf(err, errlen, "pkcs11_module %s: no C_GetFunctionList (not a PKCS#11 module)", p->module);
		return gpg_error(GPG_ERR_CARD);
	}
	if ((rv = getfl(&hk->fn)) != CKR_OK || hk->fn == NULL)
		return fail_ckr(err, errlen, "C_GetFunctionList", rv);
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	if ((rv = hk->fn->C_Initialize(&args)) != CKR_OK)
		return fail_ckr(err, errlen, "C_Initialize", rv);
	hk->initialized = 1;
	return 0;
}

static gpg_error_t
find_token(struct hsmkey *hk, const char *label, char *err, size_t errlen)
{
	CK_SLOT_ID slots[HSMKEY_MAX_SLOTS];
	CK_ULONG n = HSMKEY_MAX_SLOTS, i;
	CK_TOKEN_INFO ti;
	char want[HSMKEY_LABEL_LEN];
	size_t l = strlen(label);
	CK_RV rv;

	if (l > HSMKEY_LABEL_LEN) {
		snprintf(err, errlen, "token label \"%.64s\" is longer than 32 bytes", label);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	memset(want, ' ', sizeof(want));
	memcpy(want, label, l);
	if ((rv = hk->fn->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		return fail_ckr(err, errlen, "C_GetSlotList", rv);
	for (i = 0; i < n; i++) {
		if (hk->fn->C_GetTokenInfo(slots[i], &ti) != CKR_OK || !(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		if (memcmp(ti.label, want, sizeof(want)) == 0) {
			hk->slot = slots[i];
			return 0;
		}
	}
	snprintf(err, errlen, "no initialised token labelled \"%s\" (check key and softhsm2_conf)", label);
	return gpg_error(GPG_ERR_NOT_FOUND);
}

static gpg_error_t
login(struct hsmkey *hk, const char *pin_file, char *err, size_t errlen)
{
	char pin[PINFILE_BUF];
	gpg_error_t r;
	CK_RV rv;

	if ((r = pinfile_read(pin_file, pin, sizeof(pin), err, errlen)) != 0)
		return r;
	rv = hk->fn->C_OpenSession(hk->slot, CKF_SERIAL_SESSION, NULL, NULL, &hk->anchor);
	if (rv != CKR_OK) {
		hk->anchor = CK_INVALID_HANDLE;
		r = fail_ckr(err, errlen, "C_OpenSession", rv);
		goto out;
	}
	rv = hk->fn->C_Login(hk->anchor, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		char tmp[P11ERR_MAX_TEXT];

		snprintf(err, errlen, "login to the token failed: %s%s (check pin_file %s)",
		         p11err_name(rv, tmp, sizeof(tmp)), rv == CKR_PIN_INCORRECT ? " (wrong PIN)" : "",
		         pin_file);
		r = gpg_error(GPG_ERR_BAD_PIN);
		goto out;
	}
	r = 0; /* success */
out:
	explicit_bzero(pin, sizeof(pin));
	return r;
}
/* Objects of class CLS labelled LABEL (and with CKA_ID ID when IDLEN > 0):
 * at most two handles in OBJS, how many in *FOUND (2 means "several"). */
static gpg_error_t
find_objects(struct hsmkey *hk, CK_OBJECT_CLASS cls, const char *label, const uint8_t *id, size_t idlen,
             CK_OBJECT_HANDLE objs[2], CK_ULONG *found, char *err, size_t errlen)
{
	CK_ATTRIBUTE tmpl[3];
	CK_ULONG n = 0;
	CK_RV rv, rv2;

	*found = 0;
	tmpl[n].type = CKA_CLASS; tmpl[n].pValue = &cls; tmpl[n].ulValueLen = sizeof(cls); n++;
	tmpl[n].type = CKA_LABEL; tmpl[n].pValue = (void *)label; tmpl[n].ulValueLen = strlen(label); n++;
	if (idlen > 0) {
		tmpl[n].type = CKA_ID;
		tmpl[n].pValue = (void *)id;
		tmpl[n].ulValueLen = idlen;
		n++;
	}
	if ((rv = hk->fn->C_FindObjectsInit(hk->anchor, tmpl, n)) != CKR_OK)
		return fail_ckr(err, errlen, "C_FindObjectsInit", rv);
	rv = hk->fn->C_FindObjects(hk->anchor, objs, 2, found);
	rv2 = hk->fn->C_FindObjectsFinal(hk->anchor);
	if (rv == CKR_OK)
		rv = rv2;
	if (rv != CKR_OK)
		return fail_ckr(err, errlen, "C_FindObjects", rv);
	return 0;
}

/* The one private key LABEL (ID): a new entry of HK->keys in *OP.
 * GPG_ERR_NOT_FOUND if there is none. */
static gpg_error_t
find_key(struct hsmkey *hk, const char *label, const uint8_t *id, size_t idlen, struct hsmkey_obj **op,
         char *err, size_t errlen)
{
	struct hsmkey_obj *o;
	CK_OBJECT_HANDLE objs[2];
	CK_ULONG found = 0;
	CK_ATTRIBUTE kt;
	gpg_error_t r;
	CK_RV rv;

	*op = NULL;
	if ((r = find_objects(hk, CKO_PRIVATE_KEY, label, id, idlen, objs, &found, err, errlen)) != 0)
		return r;
	if (found == 0) {
		snprintf(err, errlen, "no private key object \"%s\" on token \"%s\"", label, hk->token);
		return gpg_error(GPG_ERR_NOT_FOUND);
	}
	if (found > 1) {
		snprintf(err, errlen, "several private keys match \"%s\" on token \"%s\"; add id= to the URI",
		         label, hk->token);
		return gpg_error(GPG_ERR_AMBIGUOUS);
	}
	if (hk->nkeys >= HSMKEY_MAX_KEYS) {
		snprintf(err, errlen, "too many keys opened on the token");
		return gpg_error(GPG_ERR_TOO_MANY);
	}
	o = &hk->keys[hk->nkeys];
	o->hk = hk;
	o->priv = objs[0];
	kt.type = CKA_KEY_TYPE;
	kt.pValue = &o->type;
	kt.ulValueLen = sizeof(o->type);
	if ((rv = hk->fn->C_GetAttributeValue(hk->anchor, o->priv, &kt, 1)) != CKR_OK)
		return fail_ckr(err, errlen, "C_GetAttributeValue(CKA_KEY_TYPE)", rv);
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
	if (o->type == CKK_RSA)
		return make_rsa(o, pub, key, err, errlen);
	if (o->type == CKK_EC)
		return make_ec(o, pub, key, err, errlen);
	snprintf(err, errlen, "the token key is neither RSA nor EC");
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
	char step[64];
	CK_RV rv;

	if ((rv = hk->fn->C_GetAttributeValue(hk->anchor, obj, &a, 1)) != CKR_OK ||
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

/* CKA_EC_POINT is the DER OCTET STRING around the point (PKCS#11 2.40
 * §2.3.3); some modules give the bare point, which is taken too. */
static gpg_error_t
pub_ec(struct hsmkey *hk, CK_OBJECT_HANDLE obj, EVP_PKEY **pub, char *err, size_t errlen)
{
	unsigned char params[HSMKEY_MAX_PARAMS], point[HSMKEY_MAX_POINT];
	size_t plen = 0, ptlen = 0;
	const unsigned char *pp = point, *raw = point;
	size_t rawlen;
	ASN1_OCTET_STRING *os = NULL;
	EC_KEY *ec = NULL;
	EVP_PKEY *k = NULL;
	gpg_error_t r;

	if ((r = get_attr(hk, obj, CKA_EC_PARAMS, "CKA_EC_PARAMS", params, sizeof(params), &plen, err, errlen)) != 0 ||
	    (r = get_attr(hk, obj, CKA_EC_POINT, "CKA_EC_POINT", point, sizeof(point), &ptlen, err, errlen)) != 0)
		return r;
	if (plen != sizeof(p256_params) || memcmp(params, p256_params, plen) != 0) {
		snprintf(err, errlen, "the token key is EC but not on the curve P-256 (prime256v1)");
		return gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
	}
	rawlen = ptlen;
	if ((os = d2i_ASN1_OCTET_STRING(NULL, &pp, (long)ptlen)) != NULL && pp == point + ptlen) {
		raw = ASN1_STRING_get0_data(os);
		rawlen = (size_t)ASN1_STRING_length(os);
	}
	if ((ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1)) == NULL ||
	    !EC_KEY_oct2key(ec, raw, rawlen, NULL) || (k = EVP_PKEY_new()) == NULL || !EVP_PKEY_assign_EC_KEY(k, ec)) {
		EC_KEY_free(ec);
		EVP_PKEY_free(k);
		ASN1_OCTET_STRING_free(os);
		ERR_clear_error();
		snprintf(err, errlen, "the token's EC public key (CKA_EC_POINT) cannot be read");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	ASN1_OCTET_STRING_free(os);
	*pub = k;
	return 0;
}

/* The public key object beside O: same label, same CKA_ID. */
static gpg_error_t
read_public(struct hsmkey_obj *o, const char *label, EVP_PKEY **pub, char *err, size_t errlen)
{
	struct hsmkey *hk = o->hk;
	unsigned char id[HSMKEY_MAX_ID];
	size_t idlen = 0;
	CK_OBJECT_HANDLE objs[2];
	CK_ULONG found = 0;
	gpg_error_t r;

	*pub = NULL;
	if ((r = get_attr(hk, o->priv, CKA_ID, "CKA_ID", id, sizeof(id), &idlen, err, errlen)) != 0 ||
	    (r = find_objects(hk, CKO_PUBLIC_KEY, label, id, idlen, objs, &found, err, errlen)) != 0)
		return r;
	if (found != 1) {
		snprintf(err, errlen, "%s public key object \"%s\" with the private key's CKA_ID on token \"%s\"",
		         found == 0 ? "no" : "more than one", label, hk->token);
		/* Not GPG_ERR_NOT_FOUND: that means "no private key" to callers
		 * that then generate one. */
		return gpg_error(found == 0 ? GPG_ERR_NO_PUBKEY : GPG_ERR_AMBIGUOUS);
	}
	if (o->type == CKK_RSA)
		return pub_rsa(hk, objs[0], pub, err, errlen);
	if (o->type == CKK_EC)
		return pub_ec(hk, objs[0], pub, err, errlen);
	snprintf(err, errlen, "key \"%s\" is neither RSA nor EC", label);
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
	hk->anchor = CK_INVALID_HANDLE;
	memcpy(hk->token, u.token, sizeof(hk->token));
	if (pthread_key_create(&hk->tls, session_close_cb) != 0) {
		snprintf(err, errlen, "pthread_key_create failed");
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	hk->have_tls = 1;
	if ((r = load_module(hk, p, err, errlen)) != 0 || (r = find_token(hk, u.token, err, errlen)) != 0 ||
	    (r = login(hk, p->pin_file, err, errlen)) != 0)
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
	CK_OBJECT_CLASS pubcls = CKO_PUBLIC_KEY, privcls = CKO_PRIVATE_KEY;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = HSMKEY_RSA_BITS;
	CK_BYTE exp[] = { 0x01, 0x00, 0x01 };
	unsigned char newid[HSMKEY_NEW_ID_LEN];
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pubt[HSMKEY_MAX_TMPL], privt[HSMKEY_MAX_TMPL];
	CK_ULONG npub = 0, npriv = 0;
	CK_OBJECT_HANDLE hpub, hpriv;
	CK_SESSION_HANDLE s;
	CK_ULONG lablen = strlen(label);
	CK_RV rv;

#define ATTR(t, n, ty, p, l) do { t[n].type = (ty); t[n].pValue = (void *)(p); t[n].ulValueLen = (l); n++; } while (0)
	if (idlen == 0) {
		if (RAND_bytes(newid, sizeof(newid)) != 1) {
			snprintf(err, errlen, "no random bytes for the key's CKA_ID (OpenSSL RAND_bytes)");
			return gpg_error(GPG_ERR_GENERAL);
		}
		id = newid;
		idlen = sizeof(newid);
	}
	ATTR(pubt, npub, CKA_CLASS, &pubcls, sizeof(pubcls));
	ATTR(pubt, npub, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(pubt, npub, CKA_LABEL, label, lablen);
	ATTR(pubt, npub, CKA_ID, id, idlen);
	ATTR(pubt, npub, CKA_VERIFY, &yes, sizeof(yes));
	ATTR(pubt, npub, CKA_ENCRYPT, &no, sizeof(no));
	ATTR(pubt, npub, CKA_WRAP, &no, sizeof(no));
	ATTR(privt, npriv, CKA_CLASS, &privcls, sizeof(privcls));
	ATTR(privt, npriv, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(privt, npriv, CKA_LABEL, label, lablen);
	ATTR(privt, npriv, CKA_ID, id, idlen);
	ATTR(privt, npriv, CKA_PRIVATE, &yes, sizeof(yes));
	ATTR(privt, npriv, CKA_SENSITIVE, &yes, sizeof(yes));
	ATTR(privt, npriv, CKA_EXTRACTABLE, &no, sizeof(no));
	ATTR(privt, npriv, CKA_SIGN, &yes, sizeof(yes));
	/* A signing key only: no module default may add other uses. */
	ATTR(privt, npriv, CKA_DECRYPT, &no, sizeof(no));
	ATTR(privt, npriv, CKA_UNWRAP, &no, sizeof(no));
	ATTR(privt, npriv, CKA_DERIVE, &no, sizeof(no));
	if (algo == HSMKEY_ALGO_RSA3072) {
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		ATTR(pubt, npub, CKA_MODULUS_BITS, &bits, sizeof(bits));
		ATTR(pubt, npub, CKA_PUBLIC_EXPONENT, exp, sizeof(exp));
	} else if (algo == HSMKEY_ALGO_ECP256) {
		ATTR(pubt, npub, CKA_EC_PARAMS, p256_params, sizeof(p256_params));
	} else {
		snprintf(err, errlen, "unknown key algorithm");
		return gpg_error(GPG_ERR_INV_ARG);
	}
#undef ATTR
	/* Token objects need a read/write session; the anchor stays read-only. */
	if ((rv = hk->fn->C_OpenSession(hk->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) != CKR_OK)
		return fail_ckr(err, errlen, "C_OpenSession (read/write)", rv);
	rv = hk->fn->C_GenerateKeyPair(s, &mech, pubt, npub, privt, npriv, &hpub, &hpriv);
	hk->fn->C_CloseSession(s);
	if (rv != CKR_OK)
		return fail_ckr(err, errlen, "C_GenerateKeyPair", rv);
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

/* The first slot whose token is not initialised into HK->slot. */
static gpg_error_t
free_slot(struct hsmkey *hk, char *err, size_t errlen)
{
	CK_SLOT_ID slots[HSMKEY_MAX_SLOTS];
	CK_ULONG n = HSMKEY_MAX_SLOTS, i;
	CK_TOKEN_INFO ti;
	CK_RV rv;

	if ((rv = hk->fn->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		return fail_ckr(err, errlen, "C_GetSlotList", rv);
	for (i = 0; i < n; i++)
		if (hk->fn->C_GetTokenInfo(slots[i], &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED)) {
			hk->slot = slots[i];
			return 0;
		}
	snprintf(err, errlen, "no free slot for a new token (the module has no uninitialised token)");
	return gpg_error(GPG_ERR_CARD);
}

/* C_InitToken on HK->slot as LABEL with SO_PIN, then, as the SO on the
 * new token (SoftHSM2 gives it another slot id), the user PIN. */
static gpg_error_t
init_token(struct hsmkey *hk, const char *label, const char *so_pin, const char *pin, char *err,
           size_t errlen)
{
	CK_UTF8CHAR padded[HSMKEY_LABEL_LEN];
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	gpg_error_t r;
	CK_RV rv;

	memset(padded, ' ', sizeof(padded));
	memcpy(padded, label, strlen(label));
	rv = hk->fn->C_InitToken(hk->slot, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin), padded);
	if (rv != CKR_OK)
		return fail_ckr(err, errlen, "C_InitToken", rv);
	if ((r = find_token(hk, label, err, errlen)) != 0)
		return r;
	if ((rv = hk->fn->C_OpenSession(hk->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) != CKR_OK)
		return fail_ckr(err, errlen, "C_OpenSession", rv);
	if ((rv = hk->fn->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin))) != CKR_OK) {
		r = fail_ckr(err, errlen, "C_Login (SO)", rv);
	} else {
		rv = hk->fn->C_InitPIN(s, (CK_UTF8CHAR_PTR)pin, strlen(pin));
		r = rv == CKR_OK ? 0 : fail_ckr(err, errlen, "C_InitPIN", rv);
		hk->fn->C_Logout(s);
	}
	hk->fn->C_CloseSession(s);
	return r;
}

gpg_error_t
hsmkey_init_token(const struct hsmkey_params *p, const char *so_pin_file, int *created, char *err,
                  size_t errlen)
{
	struct hsmkey *hk = NULL;
	struct p11uri u;
	char so_pin[PINFILE_BUF], pin[PINFILE_BUF], why[TSA_HSMKEY_ERR];
	gpg_error_t r;

	*created = 0;
	memset(so_pin, 0, sizeof(so_pin));
	memset(pin, 0, sizeof(pin));
	if ((r = p11uri_parse(p->uri, &u, err, errlen)) != 0)
		return r;
	if (!u.has_token || strlen(u.token) == 0 || strlen(u.token) > HSMKEY_LABEL_LEN) {
		snprintf(err, errlen, "the key URI must name a token= of 1 to %d bytes", HSMKEY_LABEL_LEN);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if ((hk = calloc(1, sizeof(*hk))) == NULL)
		return gpg_error_from_syserror();
	if ((r = load_module(hk, p, err, errlen)) != 0)
		goto out;
	if (find_token(hk, u.token, why, sizeof(why)) == 0) {
		r = 0; /* there already */
		goto out;
	}
	if ((r = free_slot(hk, err, errlen)) != 0 ||
	    (r = pinfile_read(so_pin_file, so_pin, sizeof(so_pin), err, errlen)) != 0 ||
	    (r = pinfile_read(p->pin_file, pin, sizeof(pin), err, errlen)) != 0 ||
	    (r = init_token(hk, u.token, so_pin, pin, err, errlen)) != 0)
		goto out;
	*created = 1;
	r = 0; /* success */
out:
	explicit_bzero(so_pin, sizeof(so_pin));
	explicit_bzero(pin, sizeof(pin));
	hsmkey_close(hk);
	return r;
}

void
hsmkey_close(struct hsmkey *hk)
{
	if (hk == NULL)
		return;
	if (hk->fn != NULL && hk->initialized) {
		hk->fn->C_CloseAllSessions(hk->slot);
		hk->fn->C_Finalize(NULL);
	}
	if (hk->dl != NULL)
		dlclose(hk->dl);
	if (hk->have_tls)
		pthread_key_delete(hk->tls);
	RSA_meth_free(hk->rsa_meth);
	if (hk->ec_meth != NULL) /* EC_KEY_METHOD_free(NULL) crashes in 3.0 */
		EC_KEY_METHOD_free(hk->ec_meth);
	free(hk);
}
