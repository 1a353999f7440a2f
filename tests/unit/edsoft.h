/* edsoft.h — a software Ed25519 key (OpenSSL) that signs like the audit
 * key in the HSM, for tests and test tools that make signed checkpoints
 * (note_sign_fn).  Header-only: each user is one .c file. */
#ifndef SIGNET_TEST_EDSOFT_H
#define SIGNET_TEST_EDSOFT_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>
#include <openssl/evp.h>

#include "signednote.h"

/* note_sign_fn over the EVP_PKEY CTX. */
static gpg_error_t __attribute__((unused))
edsoft_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[NOTE_ED25519_SIG])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t siglen = NOTE_ED25519_SIG;
	int ok;

	ok = md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, ctx) == 1 &&
	     EVP_DigestSign(md, sig, &siglen, msg, len) == 1 && siglen == NOTE_ED25519_SIG;
	EVP_MD_CTX_free(md);
	return ok ? 0 : gpg_error(GPG_ERR_GENERAL);
}

/* The key of the 32-byte SEED, its public key into PUB; NULL on failure. */
static EVP_PKEY * __attribute__((unused))
edsoft_key(const uint8_t seed[32], uint8_t pub[NOTE_ED25519_PUB])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	size_t publen = NOTE_ED25519_PUB;

	if (k != NULL && EVP_PKEY_get_raw_public_key(k, pub, &publen) != 1) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

#endif
