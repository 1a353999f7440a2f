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

#include "pgpkey.h"

/* A new BITS-bit RSA key (*PKEY, EVP_PKEY_free() it) and KEY for it with
 * creation time CREATED.  0, or -1 (nothing to free then). */
static int
softkey_new(unsigned int bits, uint32_t created, EVP_PKEY **pkeyp, struct pgpkey *key)
{
	EVP_PKEY *pkey;
	BIGNUM *bn = NULL;
	uint8_t n[PGPKEY_MAX_MODULUS], e[16];
	size_t n_len = 0, e_len = 0;
	int ok;

	*pkeyp = NULL;
	if ((pkey = EVP_RSA_gen(bits)) == NULL)
		return -1;
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
	if (!ok || pgpkey_from_rsa(n, n_len, e, e_len, created, key) != 0) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	*pkeyp = pkey;
	return 0;
}

#endif
