/* ecsoft.h — EC keys in software for the tests of the OpenPGP encoding:
 * keys of a type made by OpenSSL (libgcrypt's key generation and signing
 * leave its RNG pool allocated, which LeakSanitizer reports), their
 * keygrips as libgcrypt computes them on the S-expression gpg-agent
 * builds, and a pgpsig_sign_fn that signs as a card would (ECDSA r || s
 * over the hash cut to the curve's size, Ed25519 over the hash as the
 * message).  Header-only: included by tests/tools/mkcert-ec.c and unit
 * tests, each one .c file. */
#ifndef SIGNET_TEST_ECSOFT_H
#define SIGNET_TEST_ECSOFT_H

#include <stdio.h>
#include <string.h>
#include <gcrypt.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "hashalgo.h"
#include "hex.h"
#include "pgpkey.h"

#define ECSOFT_KEYS 2

struct ecsoft {
	struct pgpkey key[ECSOFT_KEYS];
	EVP_PKEY *pkey[ECSOFT_KEYS];
	char grip[ECSOFT_KEYS][PGPKEY_GRIP_HEX];     /* libgcrypt's */
};

static inline void
ecsoft_free(struct ecsoft *ek)
{
	for (size_t i = 0; i < ECSOFT_KEYS; i++) {
		EVP_PKEY_free(ek->pkey[i]);
		ek->pkey[i] = NULL;
	}
}

/* libgcrypt's keygrip of the public key Q of TYPE into HEX. */
static inline int
ecsoft_grip(enum pgpkey_type type, const uint8_t *q, size_t qlen, char *hex, size_t hexlen)
{
	gcry_sexp_t s = NULL;
	uint8_t grip[20];
	int ok;

	if (type == PGPKEY_ED25519)
		ok = gcry_sexp_build(&s, NULL, "(public-key(ecc(curve Ed25519)(flags eddsa)(q %b)))", (int)qlen,
		                     q) == 0;
	else
		ok = gcry_sexp_build(&s, NULL, "(public-key(ecc(curve %s)(q %b)))", pgpkey_curve_name(type),
		                     (int)qlen, q) == 0;
	ok = ok && gcry_pk_get_keygrip(s, grip) != NULL && hex_encode(grip, sizeof(grip), hex, hexlen) == 0;
	gcry_sexp_release(s);
	return ok;
}

/* Key I of TYPE created at CREATED: made by OpenSSL, its public point
 * through pgpkey_from_ec(). */
static inline int
ecsoft_make_key(struct ecsoft *ek, size_t i, enum pgpkey_type type, uint32_t created)
{
	uint8_t q[PGPKEY_MAX_Q];
	size_t qlen = sizeof(q);
	gpg_error_t err;
	EVP_PKEY *pk;

	if (type == PGPKEY_ED25519)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", type == PGPKEY_P256 ? "P-256" : "P-384");
	if ((ek->pkey[i] = pk) == NULL)
		return 0;
	if (type == PGPKEY_ED25519 ? EVP_PKEY_get_raw_public_key(pk, q, &qlen) != 1 :
	    EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, q, sizeof(q), &qlen) != 1)
		return 0;
	if (!ecsoft_grip(type, q, qlen, ek->grip[i], sizeof(ek->grip[i])))
		return 0;
	if ((err = pgpkey_from_ec(type, q, qlen, created, &ek->key[i])) != 0) {
		fprintf(stderr, "pgpkey_from_ec: %s\n", gpg_strerror(err));
		return 0;
	}
	return 1;
}

/* r || s of the DER ECDSA signature DER, each HALF bytes. */
static inline int
ecsoft_rs(const uint8_t *der, size_t derlen, size_t half, uint8_t *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	const BIGNUM *r, *s;
	int ok;

	if (es == NULL)
		return 0;
	ECDSA_SIG_get0(es, &r, &s);
	ok = BN_bn2binpad(r, out, (int)half) == (int)half && BN_bn2binpad(s, out + half, (int)half) == (int)half;
	ECDSA_SIG_free(es);
	return ok;
}

/* pgpsig_sign_fn over the keys of OPAQUE (a struct ecsoft). */
static inline gpg_error_t
ecsoft_sign(void *opaque, const struct pgpkey *signer, const struct hashalgo *algo,
            const uint8_t *digest, size_t digest_len, uint8_t *sig, size_t sigmax, size_t *siglen)
{
	struct ecsoft *ek = opaque;
	size_t half = pgpkey_sig_len(signer) / 2, len, i;
	uint8_t der[160];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *mctx = NULL;
	int ok;

	(void)algo;
	*siglen = 0;
	for (i = 0; i < ECSOFT_KEYS && strcmp(ek->key[i].fpr, signer->fpr) != 0; i++)
		;
	if (i == ECSOFT_KEYS || ek->pkey[i] == NULL)
		return gpg_error(GPG_ERR_NO_SECKEY);
	if (2 * half > sigmax)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	if (signer->type == PGPKEY_ED25519) {
		len = sigmax;
		ok = (mctx = EVP_MD_CTX_new()) != NULL &&
		     EVP_DigestSignInit(mctx, NULL, NULL, NULL, ek->pkey[i]) == 1 &&
		     EVP_DigestSign(mctx, sig, &len, digest, digest_len) == 1 && len == 2 * half;
	} else {
		/* without a signature md OpenSSL signs the bytes given */
		len = sizeof(der);
		ok = (ctx = EVP_PKEY_CTX_new(ek->pkey[i], NULL)) != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
		     EVP_PKEY_sign(ctx, der, &len, digest, digest_len < half ? digest_len : half) == 1 &&
		     ecsoft_rs(der, len, half, sig);
	}
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		return gpg_error(GPG_ERR_GENERAL);
	*siglen = 2 * half;
	return 0;
}

#endif
