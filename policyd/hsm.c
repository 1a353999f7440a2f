/* hsm.c — libp11 and PKCS#11, and nothing else (see hsm.h).
 *
 * Why two APIs: libp11 0.4.12's PKCS11_private_encrypt() takes the slot's
 * write lock around C_SignInit/C_Sign on the slot's single session, so with
 * libp11 alone every signature in the daemon would run one after the other.
 * PKCS#11 itself allows one operation per session in parallel, so the
 * signing path takes a session from a pool of our own (opened with the
 * function list of the module libp11 already loaded and initialised; the
 * user login is per application, so every session of the pool is logged
 * in).  libp11 does what it is good at: loading and initialising the
 * module with CKF_OS_LOCKING_OK, finding the token, logging in and
 * initialising tokens.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libp11.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

#include "hsm.h"
#include "p11err.h"
#include "p11gen.h"
#include "p11key.h"
#include "p11sign.h"
#include "pinfile.h"
#include "signet-err.h"

struct hsm {
	PKCS11_CTX *p11;
	PKCS11_SLOT *slots;
	unsigned int nslots;
	PKCS11_SLOT *slot;          /* the token's slot (inside SLOTS) */
	void *dl;                   /* our own reference to the module */
	CK_FUNCTION_LIST_PTR fn;
	CK_SLOT_ID slot_id;
	/* Session pool: IDLE[0..NIDLE) are free; NOPEN sessions exist in all.
	 * ANCHOR stays open for the life of the hsm so that the login survives
	 * (closing the last session of an application logs it out). */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	CK_SESSION_HANDLE idle[HSM_MAX_SESSIONS];
	size_t nidle;
	size_t nopen;
	CK_SESSION_HANDLE anchor;
	/* Held from "is the label free?" to "generated", so that two KEYGENs
	 * of one label cannot both pass the check. */
	pthread_mutex_t keygen_lock;
};

struct hsm_key {
	CK_OBJECT_HANDLE priv;
	enum hsm_keytype type;
};

/* common/p11key.h names the same types for both daemons. */
_Static_assert((int)HSM_KT_RSA == (int)P11_KT_RSA && (int)HSM_KT_P256 == (int)P11_KT_P256 &&
               (int)HSM_KT_P384 == (int)P11_KT_P384 && (int)HSM_KT_ED25519 == (int)P11_KT_ED25519,
               "enum hsm_keytype and enum p11_keytype differ");

static gpg_error_t
fail_ckr(char *err, size_t errlen, const char *step, CK_RV rv)
{
	char tmp[P11ERR_MAX_TEXT];

	snprintf(err, errlen, "%s: %s", step, p11err_name(rv, tmp, sizeof(tmp)));
	return gpg_error(SIGNET_ERR_HSM);
}

static void
set_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	snprintf(err, errlen, fmt, a, b);
}

gpg_error_t
hsm_check_module(const char *module, char **real, char *err, size_t errlen)
{
	struct stat st;
	char *rp = NULL;

	*real = NULL;
	if (module == NULL || module[0] != '/') {
		set_err(err, errlen, "PKCS#11 module %s%s: must be an absolute path",
		        module ? module : "(none)", "");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	rp = realpath(module, NULL);
	if (rp == NULL) {
		set_err(err, errlen, "PKCS#11 module %s: %s", module, strerror(errno));
		return gpg_error_from_syserror();
	}
	if (stat(rp, &st) != 0 || !S_ISREG(st.st_mode)) {
		set_err(err, errlen, "PKCS#11 module %s%s: not a regular file", module, "");
		free(rp);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	*real = rp;
	return 0;
}

static const char *
p11_reason(void)
{
	unsigned long e = ERR_get_error();
	const char *s = e ? ERR_reason_error_string(e) : NULL;

	return s ? s : "unknown error";
}

/* Load MODULE through libp11 and enumerate its slots. */
static gpg_error_t
load_module(struct hsm *h, const char *module, char *err, size_t errlen)
{
	if ((h->p11 = PKCS11_CTX_new()) == NULL) {
		snprintf(err, errlen, "PKCS11_CTX_new failed");
		return gpg_error(GPG_ERR_ENOMEM);
	}
	if (PKCS11_CTX_load(h->p11, module) != 0) {
		snprintf(err, errlen, "cannot load PKCS#11 module %s: %s", module, p11_reason());
		PKCS11_CTX_free(h->p11);
		h->p11 = NULL;
		return gpg_error(SIGNET_ERR_HSM);
	}
	if (PKCS11_enumerate_slots(h->p11, &h->slots, &h->nslots) != 0) {
		snprintf(err, errlen, "cannot list the slots of %s", module);
		return gpg_error(SIGNET_ERR_HSM);
	}
	return 0;
}

static PKCS11_SLOT *
find_token_slot(struct hsm *h, const char *token)
{
	unsigned int i;

	for (i = 0; i < h->nslots; i++) {
		PKCS11_SLOT *s = &h->slots[i];
		if (s->token != NULL && s->token->initialized && s->token->label != NULL &&
		    strcmp(s->token->label, token) == 0)
			return s;
	}
	return NULL;
}

static void
unload_module(struct hsm *h)
{
	if (h->p11 == NULL)
		return;
	if (h->slots != NULL)
		PKCS11_release_all_slots(h->p11, h->slots, h->nslots);
	h->slots = NULL;
	PKCS11_CTX_unload(h->p11);
	PKCS11_CTX_free(h->p11);
	h->p11 = NULL;
}

/* Our own handle on the module libp11 loaded: the same file gives the same
 * function list, already initialised (C_Initialize is not called again). */
static gpg_error_t
bind_function_list(struct hsm *h, const char *module, char *err, size_t errlen)
{
	CK_C_GetFunctionList getfl;
	CK_RV rv;

	h->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	if (h->dl == NULL) {
		snprintf(err, errlen, "dlopen %s: %s", module, dlerror());
		return gpg_error(SIGNET_ERR_HSM);
	}
	*(void **)(&getfl) = dlsym(h->dl, "C_GetFunctionList");
	if (getfl == NULL) {
		snprintf(err, errlen, "%s has no C_GetFunctionList", module);
		return gpg_error(SIGNET_ERR_HSM);
	}
	rv = getfl(&h->fn);
	if (rv != CKR_OK || h->fn == NULL)
		return fail_ckr(err, errlen, "C_GetFunctionList", rv);
	return 0;
}

gpg_error_t
hsm_open(const char *module, const char *token, const char *pin_file,
         struct hsm **hsmp, char *err, size_t errlen)
{
	gpg_error_t r;
	struct hsm *h = NULL;
	char *real = NULL;
	char pin[PINFILE_BUF];
	CK_SESSION_INFO info;
	CK_RV rv;
	int locks = 0;

	*hsmp = NULL;
	memset(pin, 0, sizeof(pin));
	if ((r = hsm_check_module(module, &real, err, errlen)) != 0)
		goto out;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	h->anchor = CK_INVALID_HANDLE;
	if (pthread_mutex_init(&h->lock, NULL) != 0 || pthread_cond_init(&h->cond, NULL) != 0 ||
	    pthread_mutex_init(&h->keygen_lock, NULL) != 0) {
		r = gpg_error(GPG_ERR_ENOMEM);
		snprintf(err, errlen, "cannot create the session pool lock");
		goto out;
	}
	locks = 1;
	if ((r = load_module(h, real, err, errlen)) != 0)
		goto out;
	if ((h->slot = find_token_slot(h, token)) == NULL) {
		snprintf(err, errlen, "no initialised token labelled \"%s\" in %s (run signet-policyd --init-token)",
		         token, real);
		r = gpg_error(SIGNET_ERR_HSM);
		goto out;
	}
	h->slot_id = PKCS11_get_slotid_from_slot(h->slot);
	if ((r = bind_function_list(h, real, err, errlen)) != 0)
		goto out;
	if ((r = pinfile_read(pin_file, pin, sizeof(pin), err, errlen)) != 0)
		goto out;
	if (PKCS11_login(h->slot, 0, pin) != 0) {
		snprintf(err, errlen, "login to token \"%s\" failed: %s (check %s)", token,
		         p11_reason(), pin_file);
		r = gpg_error(SIGNET_ERR_HSM);
		goto out;
	}
	rv = h->fn->C_OpenSession(h->slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h->anchor);
	if (rv != CKR_OK) {
		h->anchor = CK_INVALID_HANDLE;
		r = fail_ckr(err, errlen, "C_OpenSession", rv);
		goto out;
	}
	/* Should libp11 ever keep its login on a session of its own that it
	 * later closes, log in on ours too; "already logged in" is the usual
	 * answer. */
	rv = h->fn->C_GetSessionInfo(h->anchor, &info);
	if (rv != CKR_OK) {
		r = fail_ckr(err, errlen, "C_GetSessionInfo", rv);
		goto out;
	}
	if (info.state != CKS_RW_USER_FUNCTIONS) {
		rv = h->fn->C_Login(h->anchor, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
		if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
			r = fail_ckr(err, errlen, "C_Login", rv);
			goto out;
		}
	}
	*hsmp = h;
	h = NULL;
	r = 0; /* success */
out:
	explicit_bzero(pin, sizeof(pin));
	if (h != NULL) {
		if (h->fn != NULL && h->anchor != CK_INVALID_HANDLE)
			h->fn->C_CloseSession(h->anchor);
		unload_module(h);
		if (h->dl != NULL)
			dlclose(h->dl);
		if (locks) {
			pthread_mutex_destroy(&h->lock);
			pthread_cond_destroy(&h->cond);
			pthread_mutex_destroy(&h->keygen_lock);
		}
		free(h);
	}
	free(real);
	return r;
}

void
hsm_close(struct hsm *h)
{
	size_t i;

	if (h == NULL)
		return;
	if (h->fn != NULL) {
		for (i = 0; i < h->nidle; i++)
			h->fn->C_CloseSession(h->idle[i]);
		if (h->anchor != CK_INVALID_HANDLE)
			h->fn->C_CloseSession(h->anchor);
	}
	unload_module(h);
	if (h->dl != NULL)
		dlclose(h->dl);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->keygen_lock);
	free(h);
}

/* Take a session from the pool, opening one if fewer than HSM_MAX_SESSIONS
 * exist, else wait for one to come back. */
static gpg_error_t
session_get(struct hsm *h, CK_SESSION_HANDLE *s, char *err, size_t errlen)
{
	CK_RV rv;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		if (h->nidle > 0) {
			*s = h->idle[--h->nidle];
			pthread_mutex_unlock(&h->lock);
			return 0;
		}
		if (h->nopen < HSM_MAX_SESSIONS) {
			h->nopen++;
			break;
		}
		pthread_cond_wait(&h->cond, &h->lock);
	}
	pthread_mutex_unlock(&h->lock);

	rv = h->fn->C_OpenSession(h->slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, s);
	if (rv != CKR_OK) {
		pthread_mutex_lock(&h->lock);
		h->nopen--;
		pthread_cond_signal(&h->cond);
		pthread_mutex_unlock(&h->lock);
		return fail_ckr(err, errlen, "C_OpenSession", rv);
	}
	return 0;
}

/* Give S back; a session that failed in a way that may have left it
 * unusable (RV) is closed instead. */
static void
session_put(struct hsm *h, CK_SESSION_HANDLE s, CK_RV rv)
{
	int drop = (rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
	            rv == CKR_OPERATION_ACTIVE || rv == CKR_DEVICE_ERROR ||
	            rv == CKR_GENERAL_ERROR);

	if (drop)
		h->fn->C_CloseSession(s);
	pthread_mutex_lock(&h->lock);
	if (drop)
		h->nopen--;
	else
		h->idle[h->nidle++] = s;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

/* Count (up to 2) private keys of any type matching LABEL/ID; *FIRST
 * gets one. */
static CK_RV
find_private(struct hsm *h, CK_SESSION_HANDLE s, const char *label, const uint8_t *id, size_t id_len,
             CK_OBJECT_HANDLE *first, CK_ULONG *count)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[3];
	CK_ULONG n = 0, found = 0;
	CK_OBJECT_HANDLE objs[2];
	CK_RV rv, rv2;

	tmpl[n].type = CKA_CLASS; tmpl[n].pValue = &cls; tmpl[n].ulValueLen = sizeof(cls); n++;
	if (label != NULL) {
		tmpl[n].type = CKA_LABEL;
		tmpl[n].pValue = (void *)label;
		tmpl[n].ulValueLen = strlen(label);
		n++;
	}
	if (id_len > 0) {
		tmpl[n].type = CKA_ID;
		tmpl[n].pValue = (void *)id;
		tmpl[n].ulValueLen = id_len;
		n++;
	}
	rv = h->fn->C_FindObjectsInit(s, tmpl, n);
	if (rv != CKR_OK)
		return rv;
	rv = h->fn->C_FindObjects(s, objs, 2, &found);
	rv2 = h->fn->C_FindObjectsFinal(s);
	if (rv == CKR_OK)
		rv = rv2;
	if (rv == CKR_OK) {
		*count = found;
		if (found > 0)
			*first = objs[0];
	}
	return rv;
}

gpg_error_t
hsm_find_key(struct hsm *h, const char *label, const uint8_t *id, size_t id_len,
             struct hsm_key **keyp, char *err, size_t errlen)
{
	gpg_error_t r;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
	CK_ULONG count = 0;
	CK_RV rv;
	enum p11_keytype type = P11_KT_NONE;
	struct hsm_key *k;

	*keyp = NULL;
	if (label == NULL && id_len == 0) {
		snprintf(err, errlen, "a key needs an object label or an id");
		return gpg_error(GPG_ERR_INV_ARG);
	}
	if ((r = session_get(h, &s, err, errlen)) != 0)
		return r;
	rv = find_private(h, s, label, id, id_len, &obj, &count);
	if (rv == CKR_OK && count == 1)
		rv = p11key_type(h->fn, s, obj, &type);
	session_put(h, s, rv);
	if (rv != CKR_OK)
		return fail_ckr(err, errlen, "C_FindObjects", rv);
	if (count == 0) {
		snprintf(err, errlen, "no private key with %s%s on the token",
		         label ? "label " : "the given id", label ? label : "");
		return gpg_error(GPG_ERR_NOT_FOUND);
	}
	if (count > 1) {
		snprintf(err, errlen, "several private keys match %s%s; name the key by id too",
		         label ? "label " : "the given id", label ? label : "");
		return gpg_error(GPG_ERR_AMBIGUOUS);
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return gpg_error_from_syserror();
	k->priv = obj;
	k->type = (enum hsm_keytype)type;
	*keyp = k;
	return 0;
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
	gpg_error_t r;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE;
	uint8_t v[P11KEY_MAX_POINT];
	CK_ATTRIBUTE a = { CKA_EC_POINT, v, sizeof(v) };
	const uint8_t *point = NULL;
	size_t plen = 0;
	CK_RV rv;

	*q_len = 0;
	if ((r = want_type(key, WANT_ECDSA | WANT_EDDSA, "reading an EC point", err, errlen)) != 0)
		return r;
	if ((r = session_get(h, &s, err, errlen)) != 0)
		return r;
	/* The private object has no CKA_EC_POINT; its public half has. */
	rv = p11key_public_of(h->fn, s, key->priv, &pub);
	if (rv == CKR_OK)
		rv = h->fn->C_GetAttributeValue(s, pub, &a, 1);
	session_put(h, s, rv);
	if (rv == CKR_OBJECT_HANDLE_INVALID && pub == CK_INVALID_HANDLE) {
		snprintf(err, errlen, "the key has no single public key object with its label and CKA_ID");
		return gpg_error(GPG_ERR_NO_PUBKEY);
	}
	if (rv != CKR_OK)
		return fail_ckr(err, errlen, "C_GetAttributeValue(CKA_EC_POINT)", rv);
	if (p11key_point_unwrap((enum p11_keytype)key->type, v, a.ulValueLen, &point, &plen) != 0) {
		snprintf(err, errlen, "the token's CKA_EC_POINT is not a %s public key",
		         p11key_name((enum p11_keytype)key->type));
		return gpg_error(SIGNET_ERR_HSM);
	}
	if (plen > qmax) {
		snprintf(err, errlen, "no room for the EC point");
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	}
	memcpy(q, point, plen);
	*q_len = plen;
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
	rv = h->fn->C_GetAttributeValue(s, key->priv, a, 2);
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
	rv = p11sign_run(h->fn, s, key->priv, (enum p11_keytype)key->type, in, in_len, sig, sigmax, siglen);
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
	CK_OBJECT_HANDLE priv, obj;
	CK_ULONG count = 0;
	CK_RV rv;
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
	/* Within this daemon the check and the generation are one step; a
	 * second process writing the same token could still race, and then
	 * hsm_find_key() reports the ambiguous label, never a wrong key. */
	pthread_mutex_lock(&h->keygen_lock);
	rv = find_private(h, s, label, NULL, 0, &obj, &count);
	if (rv != CKR_OK) {
		r = fail_ckr(err, errlen, "C_FindObjects", rv);
	} else if (count > 0) {
		snprintf(err, errlen, "a key labelled %s already exists on the token", label);
		r = gpg_error(GPG_ERR_EEXIST);
	} else {
		rv = p11gen_keypair(h->fn, s, (enum p11_keytype)type, bits, label, id, id_len, &priv);
		r = rv == CKR_OK ? 0 : fail_ckr(err, errlen, "C_GenerateKeyPair", rv);
	}
	pthread_mutex_unlock(&h->keygen_lock);
	session_put(h, s, rv);
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
	CK_RV rv;
	const char *step = "C_FindObjects";

	*keyp = NULL;
	if (strlen(label) == 0 || strlen(label) > HSM_MAX_LABEL) {
		snprintf(err, errlen, "bad key label length");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if ((r = session_get(h, &s, err, errlen)) != 0)
		return r;
	/* The same lock as key pairs: two first uses make one key. */
	pthread_mutex_lock(&h->keygen_lock);
	rv = find_secret(h, s, label, &obj, &count);
	if (rv == CKR_OK && count == 0) {
		step = "C_GenerateKey(CKM_AES_KEY_GEN)";
		rv = gen_secret(h, s, label, &obj);
	}
	pthread_mutex_unlock(&h->keygen_lock);
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
	(*keyp)->priv = obj;
	return 0;
}

/* One CKM_AES_GCM operation (ENCRYPT 1: C_Encrypt, else C_Decrypt). */
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
	if (encrypt) {
		rv = h->fn->C_EncryptInit(s, &mech, key->priv);
		if (rv == CKR_OK)
			rv = h->fn->C_Encrypt(s, (CK_BYTE_PTR)in, inlen, out, &len);
	} else {
		rv = h->fn->C_DecryptInit(s, &mech, key->priv);
		if (rv == CKR_OK)
			rv = h->fn->C_Decrypt(s, (CK_BYTE_PTR)in, inlen, out, &len);
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
	gpg_error_t r;
	struct hsm h;
	char *real = NULL;
	char so_pin[PINFILE_BUF], pin[PINFILE_BUF];
	char label[33];
	PKCS11_SLOT *slot = NULL;
	unsigned int i;

	*created = 0;
	memset(&h, 0, sizeof(h));
	memset(so_pin, 0, sizeof(so_pin));
	memset(pin, 0, sizeof(pin));
	if (strlen(token) == 0 || strlen(token) > 32) {
		snprintf(err, errlen, "token label \"%s\" must be 1 to 32 characters", token);
		r = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	if ((r = hsm_check_module(module, &real, err, errlen)) != 0)
		goto out;
	if ((r = load_module(&h, real, err, errlen)) != 0)
		goto out;
	if (find_token_slot(&h, token) != NULL) {
		r = 0; /* already there: nothing to do */
		goto out;
	}
	if ((r = pinfile_read(so_pin_file, so_pin, sizeof(so_pin), err, errlen)) != 0 ||
	    (r = pinfile_read(pin_file, pin, sizeof(pin), err, errlen)) != 0)
		goto out;
	for (i = 0; i < h.nslots && slot == NULL; i++)
		if (h.slots[i].token != NULL && !h.slots[i].token->initialized)
			slot = &h.slots[i];
	if (slot == NULL) {
		snprintf(err, errlen, "no slot with an uninitialised token in %s", real);
		r = gpg_error(SIGNET_ERR_HSM);
		goto out;
	}
	/* libp11 0.4.12 hands LABEL to C_InitToken as is, and C_InitToken reads
	 * a 32-byte blank-padded field: pad it here. */
	memset(label, ' ', 32);
	memcpy(label, token, strlen(token));
	label[32] = '\0';
	if (PKCS11_init_token(slot->token, so_pin, label) != 0) {
		snprintf(err, errlen, "PKCS11_init_token: %s", p11_reason());
		r = gpg_error(SIGNET_ERR_HSM);
		goto out;
	}
	/* SoftHSM2 moves an initialised token to a new slot id: look again. */
	PKCS11_release_all_slots(h.p11, h.slots, h.nslots);
	h.slots = NULL;
	if (PKCS11_enumerate_slots(h.p11, &h.slots, &h.nslots) != 0 ||
	    (slot = find_token_slot(&h, token)) == NULL) {
		snprintf(err, errlen, "the new token \"%s\" is not listed after initialisation", token);
		r = gpg_error(SIGNET_ERR_HSM);
		goto out;
	}
	if (PKCS11_open_session(slot, 1) != 0 || PKCS11_login(slot, 1, so_pin) != 0) {
		snprintf(err, errlen, "SO login to the new token: %s", p11_reason());
		r = gpg_error(SIGNET_ERR_HSM);
		goto out;
	}
	if (PKCS11_init_pin(slot->token, pin) != 0) {
		snprintf(err, errlen, "PKCS11_init_pin: %s", p11_reason());
		r = gpg_error(SIGNET_ERR_HSM);
		goto out;
	}
	PKCS11_logout(slot);
	*created = 1;
	r = 0; /* success */
out:
	explicit_bzero(so_pin, sizeof(so_pin));
	explicit_bzero(pin, sizeof(pin));
	unload_module(&h);
	free(real);
	return r;
}
