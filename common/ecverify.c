/* ecverify.c — EC signature checks through OpenSSL 3 (no deprecated API:
 * the key from OSSL_PARAMs, the signature as an ECDSA_SIG). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "ecverify.h"

/* The public key of KEY as an EVP_PKEY, or NULL. */
static EVP_PKEY *
public_key(const struct pgpkey *key)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[3];
	const char *group = key->type == PGPKEY_P256 ? "prime256v1" : "secp384r1";

	if (key->type == PGPKEY_ED25519) {
		/* q is 0x40 || A */
		if (key->q_len != 33)
			return NULL;
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key->q + 1, 32);
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)key->q, key->q_len);
	params[2] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* r || s as the DER ECDSA-Sig-Value OpenSSL checks; *DER is
 * OPENSSL_malloc'd. */
static int
der_of(const uint8_t *sig, size_t half, unsigned char **der)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)half, NULL), *s = BN_bin2bn(sig + half, (int)half, NULL);
	int len = -1;

	if (es != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(es, r, s) == 1) {
		r = s = NULL;   /* es owns them now */
		*der = NULL;
		len = i2d_ECDSA_SIG(es, der);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return len;
}

/* KEY's SIG over DIGEST with its key already made (PKEY). */
static gpg_error_t
verify_with(EVP_PKEY *pkey, const struct pgpkey *key, const uint8_t *digest, size_t digest_len,
            const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *der = NULL;
	int derlen, ok = 0;

	if (key->type == PGPKEY_ED25519) {
		ok = sig_len == 64 && (md = EVP_MD_CTX_new()) != NULL &&
		     EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1 &&
		     EVP_DigestVerify(md, sig, sig_len, digest, digest_len) == 1;
	} else if ((derlen = der_of(sig, sig_len / 2, &der)) > 0) {
		/* No digest set: the input is the digest itself. */
		ok = (pctx = EVP_PKEY_CTX_new(pkey, NULL)) != NULL && EVP_PKEY_verify_init(pctx) == 1 &&
		     EVP_PKEY_verify(pctx, der, (size_t)derlen, digest, digest_len) == 1;
	}
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(pctx);
	return ok ? 0 : gpg_error(GPG_ERR_BAD_SIGNATURE);
}

static int
checkable(const struct pgpkey *key, size_t sig_len, gpg_error_t *err)
{
	if (key->type != PGPKEY_P256 && key->type != PGPKEY_P384 && key->type != PGPKEY_ED25519) {
		*err = gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
		return 0;
	}
	if (sig_len == 0 || sig_len % 2 != 0) {
		*err = gpg_error(GPG_ERR_BAD_SIGNATURE);
		return 0;
	}
	return 1;
}

struct vc_entry {
	enum pgpkey_type type;
	uint8_t q[PGPKEY_MAX_Q];
	size_t q_len;
	EVP_PKEY *pkey;
};

struct ecverify_cache {
	pthread_mutex_t lock;
	struct vc_entry v[ECVERIFY_CACHE_MAX];
	size_t n;
};

gpg_error_t
ecverify_cache_new(struct ecverify_cache **out)
{
	struct ecverify_cache *vc;

	*out = NULL;
	if ((vc = calloc(1, sizeof(*vc))) == NULL)
		return gpg_error_from_syserror();
	if (pthread_mutex_init(&vc->lock, NULL) != 0) {
		free(vc);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	*out = vc;
	return 0;
}

static void
empty_locked(struct ecverify_cache *vc)
{
	size_t i;

	for (i = 0; i < vc->n; i++)
		EVP_PKEY_free(vc->v[i].pkey);
	vc->n = 0;
}

void
ecverify_cache_free(struct ecverify_cache *vc)
{
	if (vc == NULL)
		return;
	empty_locked(vc);
	pthread_mutex_destroy(&vc->lock);
	free(vc);
}

/* KEY's EVP_PKEY with a reference for the caller, from VC or made and
 * kept there; NULL when KEY's point is not a valid key. */
static EVP_PKEY *
cached_key(struct ecverify_cache *vc, const struct pgpkey *key)
{
	struct vc_entry *e;
	EVP_PKEY *pkey = NULL;
	size_t i;

	if (key->q_len > sizeof(e->q))
		return NULL;
	pthread_mutex_lock(&vc->lock);
	for (i = 0; i < vc->n && pkey == NULL; i++) {
		e = &vc->v[i];
		if (e->type == key->type && e->q_len == key->q_len && memcmp(e->q, key->q, key->q_len) == 0 &&
		    EVP_PKEY_up_ref(e->pkey) == 1)
			pkey = e->pkey;
	}
	pthread_mutex_unlock(&vc->lock);
	if (pkey != NULL || (pkey = public_key(key)) == NULL)
		return pkey;
	/* Made outside the lock; two threads may both make it, and both
	 * entries are correct (the second is only a duplicate). */
	pthread_mutex_lock(&vc->lock);
	if (vc->n == ECVERIFY_CACHE_MAX)
		empty_locked(vc);
	if (EVP_PKEY_up_ref(pkey) == 1) {
		e = &vc->v[vc->n++];
		e->type = key->type;
		memcpy(e->q, key->q, key->q_len);
		e->q_len = key->q_len;
		e->pkey = pkey;
	}
	pthread_mutex_unlock(&vc->lock);
	return pkey;
}

gpg_error_t
ecverify_digest_cached(struct ecverify_cache *vc, const struct pgpkey *key, const uint8_t *digest,
                       size_t digest_len, const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY *pkey;
	gpg_error_t err;

	if (!checkable(key, sig_len, &err))
		return err;
	if ((pkey = vc != NULL ? cached_key(vc, key) : public_key(key)) == NULL)
		return gpg_error(GPG_ERR_BAD_SIGNATURE);
	err = verify_with(pkey, key, digest, digest_len, sig, sig_len);
	EVP_PKEY_free(pkey);
	return err;
}

gpg_error_t
ecverify_digest(const struct pgpkey *key, const uint8_t *digest, size_t digest_len, const uint8_t *sig,
                size_t sig_len)
{
	return ecverify_digest_cached(NULL, key, digest, digest_len, sig, sig_len);
}
