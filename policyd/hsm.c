/* hsm.c — signet-policyd's token, over the PKCS#11 layer in common/ (see
 * hsm.h): the module is loaded by p11mod, the token found and made by
 * p11token, the user login kept (and restored when a real HSM drops it)
 * by p11login; signing, key generation and lookup run on a pool of
 * sessions (p11pool) so that concurrent signers run in parallel.
 *
 * Plain PKCS#11 throughout: libp11 0.4.12 was used for loading and the
 * login, but it serialises PKCS11_private_encrypt() on one slot lock,
 * knows no EC-Edwards keys, and keeps a login and session of its own
 * that a re-login from our sessions would have to work around.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit-1/p11-kit/pkcs11.h>

#include "hsm.h"
#include "p11err.h"
#include "p11find.h"
#include "p11gen.h"
#include "p11key.h"
#include "p11login.h"
#include "p11mod.h"
#include "p11pool.h"
#include "p11sign.h"
#include "p11token.h"
#include "signet-err.h"

struct hsm {
	struct p11mod *mod;
	struct p11login *login;
	struct p11pool *pool;
	CK_FUNCTION_LIST_PTR fn;
};

/* The handle inside REF is replaced (atomically) when the key has to be
 * found again after a dropped login, also through the const pointers of
 * hsm.h: to callers a key stays the same key. */
struct hsm_key {
	struct p11keyref ref;
	enum hsm_keytype type;
};

static struct p11keyref *
ref_of(const struct hsm_key *key)
{
	return (struct p11keyref *)&key->ref;
}

/* common/p11key.h names the same types for both daemons. */
_Static_assert((int)HSM_KT_RSA == (int)P11_KT_RSA && (int)HSM_KT_P256 == (int)P11_KT_P256 &&
               (int)HSM_KT_P384 == (int)P11_KT_P384 && (int)HSM_KT_ED25519 == (int)P11_KT_ED25519,
               "enum hsm_keytype and enum p11_keytype differ");

static gpg_error_t
fail_ckr(char *err, size_t errlen, const char *step, CK_RV rv)
{
	return p11err_fail(err, errlen, step, rv);
}

gpg_error_t
hsm_check_module(const char *module, char **real, char *err, size_t errlen)
{
	return p11mod_check_path(module, real, err, errlen);
}

gpg_error_t
hsm_open(const char *module, const char *token, const char *pin_file,
         struct hsm **hsmp, char *err, size_t errlen)
{
	gpg_error_t r;
	struct hsm *h = NULL;
	CK_SLOT_ID slot;
	char why[256];

	*hsmp = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "out of memory");
		return r;
	}
	if ((r = p11mod_load(module, &h->mod, err, errlen)) != 0)
		goto out;
	h->fn = p11mod_fn(h->mod);
	if ((r = p11token_find(h->fn, token, &slot, why, sizeof(why))) != 0) {
		if (gpg_err_code(r) == GPG_ERR_NOT_FOUND) {
			snprintf(err, errlen, "no initialised token labelled \"%s\" in %s (run signet-policyd --init-token)",
			         token, p11mod_path(h->mod));
			r = gpg_error(SIGNET_ERR_HSM);
		} else {
			snprintf(err, errlen, "%s", why);
		}
		goto out;
	}
	if ((r = p11login_open(h->fn, slot, pin_file, &h->login, err, errlen)) != 0)
		goto out;
	if ((r = p11pool_new(h->fn, slot, HSM_MAX_SESSIONS, &h->pool)) != 0) {
		snprintf(err, errlen, "cannot create the session pool");
		goto out;
	}
	*hsmp = h;
	h = NULL;
	r = 0; /* success */
out:
	hsm_close(h);
	return r;
}

void
hsm_close(struct hsm *h)
{
	if (h == NULL)
		return;
	p11pool_free(h->pool);
	p11login_close(h->login);
	p11mod_unload(h->mod);
	free(h);
}

static gpg_error_t
session_get(struct hsm *h, CK_SESSION_HANDLE *s, char *err, size_t errlen)
{
	return p11pool_get(h->pool, s, err, errlen);
}

static void
session_put(struct hsm *h, CK_SESSION_HANDLE s, CK_RV rv)
{
	p11pool_put(h->pool, s, rv);
}

static gpg_error_t
find_key(struct hsm *h, const char *label, const uint8_t *id, size_t id_len, int audit,
         struct hsm_key **keyp, char *err, size_t errlen)
{
	gpg_error_t r;
	CK_SESSION_HANDLE s;
	struct p11keyref ref;
	struct hsm_key *k;

	*keyp = NULL;
	if (label == NULL && id_len == 0) {
		snprintf(err, errlen, "a key needs an object label or an id");
		return gpg_error(GPG_ERR_INV_ARG);
	}
	if ((r = session_get(h, &s, err, errlen)) != 0)
		return r;
	r = p11find_key(h->login, s, label, id, id_len, &ref, err, errlen);
	session_put(h, s, CKR_OK);
	if (gpg_err_code(r) == GPG_ERR_NOT_FOUND)
		snprintf(err, errlen, "no private key with %s%s on the token",
		         label ? "label " : "the given id", label ? label : "");
	else if (gpg_err_code(r) == GPG_ERR_AMBIGUOUS)
		snprintf(err, errlen, "several private keys match %s%s; name the key by id too",
		         label ? "label " : "the given id", label ? label : "");
	if (r != 0)
		return r;
	/* Checked on the key found, not on the name asked for: a CKA_ID
	 * names the audit key as well as its label does. */
	if (!audit && ref.label_len == sizeof(HSM_AUDIT_LABEL) - 1 &&
	    memcmp(ref.label, HSM_AUDIT_LABEL, ref.label_len) == 0) {
		snprintf(err, errlen, "that is the audit key (label %s), which signs audit checkpoints only",
		         HSM_AUDIT_LABEL);
		return gpg_error(GPG_ERR_WRONG_KEY_USAGE);
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return gpg_error_from_syserror();
	k->ref = ref;
	k->type = (enum hsm_keytype)ref.type;
	*keyp = k;
	return 0;
}

gpg_error_t
hsm_find_key(struct hsm *h, const char *label, const uint8_t *id, size_t id_len, struct hsm_key **keyp,
             char *err, size_t errlen)
{
	return find_key(h, label, id, id_len, 0, keyp, err, errlen);
}

gpg_error_t
hsm_find_audit_key(struct hsm *h, struct hsm_key **keyp, char *err, size_t errlen)
{
	return find_key(h, HSM_AUDIT_LABEL, NULL, 0, 1, keyp, err, errlen);
}

void
hsm_key_free(struct hsm_key *key)
{
	free(key);
}

enum hsm_keytype
hsm_key_type(const struct hsm_key *key)
{
	return key->type;
}

/* KEY must be of a type in WANT (a bit per enum hsm_keytype) for OP. */
static gpg_error_t
want_type(const struct hsm_key *key, unsigned int want, const char *op, char *err, size_t errlen)
{
	if ((want & (1u << key->type)) != 0)
		return 0;
	snprintf(err, errlen, "%s is not possible with a%s %s key", op,
	         key->type == HSM_KT_RSA ? "n" : "", p11key_name((enum p11_keytype)key->type));
	return gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
}

#define WANT_RSA (1u << HSM_KT_RSA)
#define WANT_ECDSA ((1u << HSM_KT_P256) | (1u << HSM_KT_P384))
#define WANT_EDDSA (1u << HSM_KT_ED25519)

gpg_error_t
hsm_key_ec_point(struct hsm *h, const struct hsm_key *key, uint8_t *q, size_t qmax, size_t *q_len,
                 char *err, size_t errlen)
{
	enum p11_keytype type = (enum p11_keytype)key->type;
	gpg_error_t r;
	CK_SESSION_HANDLE s;
	CK_ULONG found = 0;
	CK_RV rv;

	*q_len = 0;
	if ((r = want_type(key, WANT_ECDSA | WANT_EDDSA, "reading an EC point", err, errlen)) != 0)
		return r;
	if ((r = session_get(h, &s, err, errlen)) != 0)
		return r;
	rv = p11key_point_of(h->fn, s, p11keyref_handle(&key->ref), type, q, qmax, q_len, &found);
	if (p11find_retry(h->login, s, ref_of(key), rv))
		rv = p11key_point_of(h->fn, s, p11keyref_handle(&key->ref), type, q, qmax, q_len, &found);
	session_put(h, s, rv);
	if (rv == CKR_OK && found != 1) {
		snprintf(err, errlen, "the key has no single public key object with its label and CKA_ID");
		return gpg_error(GPG_ERR_NO_PUBKEY);
	}
	if (rv == CKR_ATTRIBUTE_VALUE_INVALID) {
		snprintf(err, errlen, "the token's CKA_EC_POINT is not a %s public key", p11key_name(type));
		return gpg_error(SIGNET_ERR_HSM);
	}
	if (rv == CKR_BUFFER_TOO_SMALL) {
		snprintf(err, errlen, "no room for the EC point");
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	}
	if (rv != CKR_OK)
		return fail_ckr(err, errlen, "C_GetAttributeValue(CKA_EC_POINT)", rv);
	return 0;
}

gpg_error_t
hsm_key_public(struct hsm *h, const struct hsm_key *key,
               uint8_t *n, size_t nmax, size_t *n_len,
               uint8_t *e, size_t emax, size_t *e_len, char *err, size_t errlen)
{
	gpg_error_t r;
	CK_SESSION_HANDLE s;
	CK_ATTRIBUTE a[2];
	CK_RV rv;

	*n_len = 0;
	*e_len = 0;
	if ((r = want_type(key, WANT_RSA, "reading an RSA modulus", err, errlen)) != 0)
		return r;
	if ((r = session_get(h, &s, err, errlen)) != 0)
		return r;
	/* RSA private key objects carry CKA_MODULUS and CKA_PUBLIC_EXPONENT
	 * (PKCS#11 2.40 §2.1.3), and they are never sensitive. */
	a[0].type = CKA_MODULUS;
	a[0].pValue = n;
	a[0].ulValueLen = nmax;
	a[1].type = CKA_PUBLIC_EXPONENT;
	a[1].pValue = e;
	a[1].ulValueLen = emax;
	rv = h->fn->C_GetAttributeValue(s, p11keyref_handle(&key->ref), a, 2);
	if (p11find_retry(h->login, s, ref_of(key), rv)) {
		a[0].ulValueLen = nmax;
		a[1].ulValueLen = emax;
		rv = h->fn->C_GetAttributeValue(s, p11keyref_handle(&key->ref), a, 2);
	}
	session_put(h, s, rv);
	if (rv != CKR_OK)
		return fail_ckr(err, errlen, "C_GetAttributeValue(modulus, exponent)", rv);
	if (a[0].ulValueLen == (CK_ULONG)-1 || a[1].ulValueLen == (CK_ULONG)-1 ||
	    a[0].ulValueLen == 0 || a[1].ulValueLen == 0) {
		snprintf(err, errlen, "the key has no readable modulus or exponent");
		return gpg_error(SIGNET_ERR_HSM);
	}
	*n_len = a[0].ulValueLen;
	*e_len = a[1].ulValueLen;
	return 0;
}

/* One signature with KEY, which must be of a type in WANT. */
static gpg_error_t
sign_with(struct hsm *h, const struct hsm_key *key, unsigned int want, const uint8_t *in, size_t in_len,
          uint8_t *sig, size_t sigmax, size_t *siglen, char *err, size_t errlen)
{
	static const char *const steps[] = { "C_Sign", "C_Sign(CKM_RSA_PKCS)", "C_Sign(CKM_ECDSA)",
	                                     "C_Sign(CKM_ECDSA)", "C_Sign(CKM_EDDSA)" };
	gpg_error_t r;
	CK_SESSION_HANDLE s;
	CK_RV rv;

	*siglen = 0;
	if ((r = want_type(key, want, "this signature", err, errlen)) != 0)
		return r;
	if ((r = session_get(h, &s, err, errlen)) != 0)
		return r;
	rv = p11sign_key(h->login, s, ref_of(key), in, in_len, sig, sigmax, siglen);
	session_put(h, s, rv);
	if (rv != CKR_OK)
		return fail_ckr(err, errlen, steps[key->type], rv);
	return 0;
}

gpg_error_t
hsm_sign_rsa_pkcs1(struct hsm *h, const struct hsm_key *key,
                   const uint8_t *in, size_t in_len,
                   uint8_t *sig, size_t sigmax, size_t *siglen,
                   char *err, size_t errlen)
{
	return sign_with(h, key, WANT_RSA, in, in_len, sig, sigmax, siglen, err, errlen);
}

gpg_error_t
hsm_sign_ecdsa(struct hsm *h, const struct hsm_key *key, const uint8_t *in, size_t in_len,
               uint8_t *sig, size_t sigmax, size_t *siglen, char *err, size_t errlen)
{
	return sign_with(h, key, WANT_ECDSA, in, in_len, sig, sigmax, siglen, err, errlen);
}

gpg_error_t
hsm_sign_eddsa(struct hsm *h, const struct hsm_key *key, const uint8_t *in, size_t in_len,
               uint8_t *sig, size_t sigmax, size_t *siglen, char *err, size_t errlen)
{
	return sign_with(h, key, WANT_EDDSA, in, in_len, sig, sigmax, siglen, err, errlen);
}

gpg_error_t
hsm_keygen_rsa(struct hsm *h, unsigned int bits, const char *label,
               const uint8_t *id, size_t id_len, char *err, size_t errlen)
{
	return hsm_keygen(h, HSM_KT_RSA, bits, label, id, id_len, err, errlen);
}

gpg_error_t
hsm_keygen(struct hsm *h, enum hsm_keytype type, unsigned int bits, const char *label,
           const uint8_t *id, size_t id_len, char *err, size_t errlen)
{
	gpg_error_t r;
	CK_SESSION_HANDLE s;
	size_t llen = label ? strlen(label) : 0;

	if (type == HSM_KT_RSA && bits != 2048 && bits != 3072 && bits != 4096) {
		snprintf(err, errlen, "RSA key size %u is not supported (2048, 3072 or 4096)", bits);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if (type != HSM_KT_RSA && type != HSM_KT_P256 && type != HSM_KT_P384 && type != HSM_KT_ED25519) {
		snprintf(err, errlen, "unknown key type %d (RSA, P-256, P-384 or Ed25519)", (int)type);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if (llen == 0 || llen > HSM_MAX_LABEL || id_len == 0 || id_len > HSM_MAX_ID) {
		snprintf(err, errlen, "bad key label or id length");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if ((r = session_get(h, &s, err, errlen)) != 0)
		return r;
	r = p11gen_unique(h->login, s, (enum p11_keytype)type, bits, label, id, id_len, err, errlen);
	session_put(h, s, CKR_OK);
	return r;
}

/* Find (up to 2) AES secret keys labelled LABEL; *FIRST gets one. */
static CK_RV
find_secret(struct hsm *h, CK_SESSION_HANDLE s, const char *label, CK_OBJECT_HANDLE *first,
            CK_ULONG *count)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_OBJECT_HANDLE objs[2];
	CK_RV rv, rv2;

	*count = 0;
	rv = h->fn->C_FindObjectsInit(s, tmpl, sizeof(tmpl) / sizeof(tmpl[0]));
	if (rv != CKR_OK)
		return rv;
	rv = h->fn->C_FindObjects(s, objs, 2, count);
	rv2 = h->fn->C_FindObjectsFinal(s);
	if (rv == CKR_OK)
		rv = rv2;
	if (rv == CKR_OK && *count > 0)
		*first = objs[0];
	return rv;
}

/* Generate the AES-256 key LABEL: it can encrypt and decrypt on the
 * token, and nothing can ever read it out. */
static CK_RV
gen_secret(struct hsm *h, CK_SESSION_HANDLE s, const char *label, CK_OBJECT_HANDLE *obj)
{
	CK_MECHANISM mech = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ULONG len = 32;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
		{ CKA_WRAP, &no, sizeof(no) },
		{ CKA_UNWRAP, &no, sizeof(no) },
		{ CKA_SIGN, &no, sizeof(no) },
		{ CKA_VERIFY, &no, sizeof(no) },
		{ CKA_DERIVE, &no, sizeof(no) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};

	return h->fn->C_GenerateKey(s, &mech, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), obj);
}

gpg_error_t
hsm_secret_key(struct hsm *h, const char *label, struct hsm_key **keyp, char *err, size_t errlen)
{
	gpg_error_t r;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
	CK_ULONG count = 0;
	struct p11keyref ref;
	CK_RV rv;
	const char *step = "C_FindObjects";

	*keyp = NULL;
	if (strlen(label) == 0 || strlen(label) > HSM_MAX_LABEL) {
		snprintf(err, errlen, "bad key label length");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if ((r = session_get(h, &s, err, errlen)) != 0)
		return r;
	/* Logged out, the private key would look missing and a second one
	 * be made; the same lock as key pairs: two first uses make one key. */
	if ((rv = p11login_ensure(h->login, s)) != CKR_OK) {
		step = "C_Login (again)";
	} else {
		pthread_mutex_lock(p11login_keygen_lock(h->login));
		rv = find_secret(h, s, label, &obj, &count);
		if (rv == CKR_OK && count == 0) {
			step = "C_GenerateKey(CKM_AES_KEY_GEN)";
			rv = gen_secret(h, s, label, &obj);
		}
		pthread_mutex_unlock(p11login_keygen_lock(h->login));
	}
	if (rv == CKR_OK && count <= 1) {
		step = "C_GetAttributeValue(CKA_LABEL)";
		rv = p11keyref_set(h->fn, s, obj, CKO_SECRET_KEY, &ref);
	}
	session_put(h, s, rv);
	if (rv != CKR_OK)
		return fail_ckr(err, errlen, step, rv);
	if (count > 1) {
		snprintf(err, errlen, "several AES keys labelled %s on the token; remove all but the first made",
		         label);
		return gpg_error(GPG_ERR_AMBIGUOUS);
	}
	if ((*keyp = calloc(1, sizeof(**keyp))) == NULL)
		return gpg_error_from_syserror();
	(*keyp)->ref = ref;
	(*keyp)->type = HSM_KT_NONE;
	return 0;
}

static CK_RV
gcm_once(CK_FUNCTION_LIST_PTR fn, CK_SESSION_HANDLE s, CK_MECHANISM *mech, CK_OBJECT_HANDLE key, int encrypt,
         const uint8_t *in, size_t inlen, uint8_t *out, CK_ULONG *len)
{
	CK_RV rv;

	if (encrypt) {
		if ((rv = fn->C_EncryptInit(s, mech, key)) == CKR_OK)
			rv = fn->C_Encrypt(s, (CK_BYTE_PTR)in, inlen, out, len);
	} else {
		if ((rv = fn->C_DecryptInit(s, mech, key)) == CKR_OK)
			rv = fn->C_Decrypt(s, (CK_BYTE_PTR)in, inlen, out, len);
	}
	return rv;
}

/* One CKM_AES_GCM operation (ENCRYPT 1: C_Encrypt, else C_Decrypt); a
 * dropped login is restored once. */
static gpg_error_t
gcm_run(struct hsm *h, const struct hsm_key *key, int encrypt, const uint8_t *iv, const uint8_t *aad,
        size_t aadlen, const uint8_t *in, size_t inlen, uint8_t *out, size_t outmax, size_t *outlen,
        char *err, size_t errlen)
{
	gpg_error_t r;
	CK_SESSION_HANDLE s;
	/* ulIvBits: PKCS#11 2.40 errata added it; SoftHSM2 2.6 reads ulIvLen,
	 * others the bits: give both. */
	CK_GCM_PARAMS gp = { (CK_BYTE_PTR)iv, HSM_GCM_IV_LEN, HSM_GCM_IV_LEN * 8, (CK_BYTE_PTR)aad,
	                     aadlen, HSM_GCM_TAG_LEN * 8 };
	CK_MECHANISM mech = { CKM_AES_GCM, &gp, sizeof(gp) };
	CK_ULONG len = outmax;
	CK_RV rv;

	*outlen = 0;
	if ((r = session_get(h, &s, err, errlen)) != 0)
		return r;
	rv = gcm_once(h->fn, s, &mech, p11keyref_handle(&key->ref), encrypt, in, inlen, out, &len);
	if (p11find_retry(h->login, s, ref_of(key), rv)) {
		len = outmax;
		rv = gcm_once(h->fn, s, &mech, p11keyref_handle(&key->ref), encrypt, in, inlen, out, &len);
	}
	session_put(h, s, rv);
	if (!encrypt && (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE)) {
		snprintf(err, errlen, "sealed data does not open (changed, or sealed for another principal)");
		return gpg_error(GPG_ERR_BAD_DATA);
	}
	if (rv != CKR_OK)
		return fail_ckr(err, errlen, encrypt ? "C_Encrypt(CKM_AES_GCM)" : "C_Decrypt(CKM_AES_GCM)", rv);
	*outlen = len;
	return 0;
}

gpg_error_t
hsm_gcm_encrypt(struct hsm *h, const struct hsm_key *key, const uint8_t *iv, const uint8_t *aad,
                size_t aadlen, const uint8_t *in, size_t inlen, uint8_t *out, size_t outmax,
                size_t *outlen, char *err, size_t errlen)
{
	return gcm_run(h, key, 1, iv, aad, aadlen, in, inlen, out, outmax, outlen, err, errlen);
}

gpg_error_t
hsm_gcm_decrypt(struct hsm *h, const struct hsm_key *key, const uint8_t *iv, const uint8_t *aad,
                size_t aadlen, const uint8_t *in, size_t inlen, uint8_t *out, size_t outmax,
                size_t *outlen, char *err, size_t errlen)
{
	return gcm_run(h, key, 0, iv, aad, aadlen, in, inlen, out, outmax, outlen, err, errlen);
}

gpg_error_t
hsm_random(struct hsm *h, uint8_t *out, size_t len, char *err, size_t errlen)
{
	gpg_error_t r;
	CK_SESSION_HANDLE s;
	CK_RV rv;

	if ((r = session_get(h, &s, err, errlen)) != 0)
		return r;
	rv = h->fn->C_GenerateRandom(s, out, len);
	session_put(h, s, rv);
	if (rv != CKR_OK)
		return fail_ckr(err, errlen, "C_GenerateRandom", rv);
	return 0;
}

gpg_error_t
hsm_init_token(const char *module, const char *token, const char *so_pin_file,
               const char *pin_file, int *created, char *err, size_t errlen)
{
	struct p11mod *mod = NULL;
	gpg_error_t r;

	*created = 0;
	if ((r = p11mod_load(module, &mod, err, errlen)) != 0)
		return r;
	r = p11token_init(p11mod_fn(mod), token, so_pin_file, pin_file, created, err, errlen);
	p11mod_unload(mod);
	return r;
}
