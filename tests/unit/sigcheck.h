/* sigcheck.h — for unit tests of token signing: check a signature with
 * OpenSSL from the public key alone (RSA n/e, the SEC1 point of P-256 or
 * P-384, the 32 bytes of an Ed25519 key), so that a test proves the token
 * made a signature anyone can verify.
 *
 * Header-only, because each unit test is one .c file linked with the
 * common library (Makefile); include it from one test file only. */
#ifndef SIGNET_TEST_SIGCHECK_H
#define SIGNET_TEST_SIGCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

/* The public key from OpenSSL's parameters: RSA (N, E) or EC (CURVE, Q). */
static EVP_PKEY *
sigcheck_key(const char *type, const char *curve, const uint8_t *a, size_t alen, const uint8_t *b,
             size_t blen)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;
	BIGNUM *n = NULL, *e = NULL;
	int ok;

	if (curve != NULL) {
		ok = OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) &&
		     OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, a, alen);
	} else {
		n = BN_bin2bn(a, (int)alen, NULL);
		e = BN_bin2bn(b, (int)blen, NULL);
		ok = OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	}
	if (ok && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL && EVP_PKEY_fromdata_init(ctx) > 0)
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	return pkey;
}

/* 1 if SIG is a good signature by PKEY: RSA PKCS#1 v1.5 or ECDSA over
 * the hash IN (MD names the hash), or pure Ed25519 over the message IN
 * (MD NULL). */
static int
sigcheck_verify(EVP_PKEY *pkey, const EVP_MD *md, const uint8_t *in, size_t inlen, const uint8_t *sig,
                size_t siglen)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *mctx = NULL;
	ECDSA_SIG *es = NULL;
	unsigned char *der = NULL;
	int derlen, ok = 0;

	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		ok = (mctx = EVP_MD_CTX_new()) != NULL && EVP_DigestVerifyInit(mctx, NULL, NULL, NULL, pkey) == 1 &&
		     EVP_DigestVerify(mctx, sig, siglen, in, inlen) == 1;
		EVP_MD_CTX_free(mctx);
		return ok;
	}
	if (EVP_PKEY_is_a(pkey, "EC")) {
		/* The token's r || s becomes the DER OpenSSL reads. */
		if ((es = ECDSA_SIG_new()) == NULL ||
		    !ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)siglen / 2, NULL),
		                    BN_bin2bn(sig + siglen / 2, (int)siglen / 2, NULL)) ||
		    (derlen = i2d_ECDSA_SIG(es, &der)) <= 0)
			goto out;
		sig = der;
		siglen = (size_t)derlen;
	}
	ok = (ctx = EVP_PKEY_CTX_new(pkey, NULL)) != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
	     EVP_PKEY_CTX_set_signature_md(ctx, md) == 1 && EVP_PKEY_verify(ctx, sig, siglen, in, inlen) == 1;
out:
	EVP_PKEY_CTX_free(ctx);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	return ok;
}

#endif
