/* softkey.h — for unit tests: an RSA key pair made in software by OpenSSL,
 * and the struct pgpkey of its public half, for the tests that build or
 * read certificates.  OpenSSL rather than libgcrypt: libgcrypt's key
 * generation leaves its RNG pool allocated, which LeakSanitizer reports.
 *
 * Header-only, because each unit test is one .c file linked with the
 * common library (Makefile); include it from one test file only. */
#ifndef SIGNET_TEST_SOFTKEY_H
#define SIGNET_TEST_SOFTKEY_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <string.h>

#include "hashalgo.h"
#include "pgpkey.h"

/* KEY for the public half of the RSA key PKEY, with creation time
 * CREATED.  0, or -1. */
static int
softkey_pub(EVP_PKEY *pkey, uint32_t created, struct pgpkey *key)
{
	BIGNUM *bn = NULL;
	uint8_t n[PGPKEY_MAX_MODULUS], e[16];
	size_t n_len = 0, e_len = 0;
	int ok;

	ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &bn) == 1 &&
	     BN_num_bytes(bn) <= (int)sizeof(n);
	if (ok)
		n_len = (size_t)BN_bn2bin(bn, n);
	BN_free(bn);
	bn = NULL;
	ok = ok && EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &bn) == 1 &&
	     BN_num_bytes(bn) <= (int)sizeof(e);
	if (ok)
		e_len = (size_t)BN_bn2bin(bn, e);
	BN_free(bn);
	return ok && pgpkey_from_rsa(n, n_len, e, e_len, created, key) == 0 ? 0 : -1;
}

/* A new BITS-bit RSA key (*PKEY, EVP_PKEY_free() it) and KEY for it with
 * creation time CREATED.  0, or -1 (nothing to free then). */
static int
softkey_new(unsigned int bits, uint32_t created, EVP_PKEY **pkeyp, struct pgpkey *key)
{
	EVP_PKEY *pkey;

	*pkeyp = NULL;
	if ((pkey = EVP_RSA_gen(bits)) == NULL)
		return -1;
	if (softkey_pub(pkey, created, key) != 0) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	*pkeyp = pkey;
	return 0;
}

/* PKCS#1 v1.5 signature by PKEY of the bare DIGEST of ALGO (the DigestInfo
 * is added here, as the HSM callbacks do): *SIGLEN bytes into SIG (SIGMAX).
 * With VERIFY set, check SIG (*SIGLEN bytes) instead.  1 if it worked. */
static int
softkey_pkcs1(EVP_PKEY *pkey, int verify, const struct hashalgo *algo, const uint8_t *digest,
              size_t digest_len, uint8_t *sig, size_t sigmax, size_t *siglen)
{
	uint8_t di[HASHALGO_MAX_DIGESTINFO];
	EVP_PKEY_CTX *ctx;
	int ok;

	if (algo->prefix_len + digest_len > sizeof(di))
		return 0;
	memcpy(di, algo->prefix, algo->prefix_len);
	memcpy(di + algo->prefix_len, digest, digest_len);
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	if (!verify) {
		*siglen = sigmax;
		ok = ctx != NULL && EVP_PKEY_sign_init(ctx) > 0 &&
		     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
		     EVP_PKEY_sign(ctx, sig, siglen, di, algo->prefix_len + digest_len) > 0;
	} else {
		ok = ctx != NULL && EVP_PKEY_verify_init(ctx) > 0 &&
		     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
		     EVP_PKEY_verify(ctx, sig, *siglen, di, algo->prefix_len + digest_len) == 1;
	}
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

#endif
