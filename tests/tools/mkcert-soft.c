/* mkcert-soft.c — test helper: an OpenPGP certificate for an RSA key made in
 * software (OpenSSL), through pgpkey/pgpcert, so that tests/e2e can check it
 * against real gpg without an HSM.
 *
 *   mkcert-soft BITS CREATED UID OUTPREFIX [EXPONENT]
 *
 * writes OUTPREFIX.pgp (binary) and OUTPREFIX.asc (armored) and prints
 * "fpr <40 hex>", "grip <40 hex>", "keyid <16 hex>", "bits <n>" and
 * "topbit <0|1>" lines.  Exit 0 on success, 1 on any failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "hashalgo.h"
#include "hex.h"
#include "pgpcert.h"
#include "pgpkey.h"

static gpg_error_t
sign_soft(void *opaque, const struct hashalgo *algo, const uint8_t *digest, size_t digest_len,
          uint8_t *sig, size_t sigmax, size_t *siglen)
{
	EVP_PKEY *pkey = opaque;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t di[HASHALGO_MAX_DIGESTINFO];
	size_t len = sigmax;
	gpg_error_t err = gpg_error(GPG_ERR_GENERAL);

	*siglen = 0;
	if (digest_len != algo->digest_len || algo->prefix_len + digest_len > sizeof(di))
		return gpg_error(GPG_ERR_INV_VALUE);
	/* The callback gets the bare digest: the DigestInfo is ours to add, and
	 * RSA_PKCS1_PADDING without a signature md signs it as given. */
	memcpy(di, algo->prefix, algo->prefix_len);
	memcpy(di + algo->prefix_len, digest, digest_len);
	if ((ctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL ||
	    EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_sign(ctx, sig, &len, di, algo->prefix_len + digest_len) <= 0)
		goto out;
	*siglen = len;
	err = 0; /* success */
out:
	EVP_PKEY_CTX_free(ctx);
	return err;
}

static EVP_PKEY *
make_key(unsigned int bits, unsigned long exponent)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *e = NULL;

	if ((ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) <= 0 ||
	    (e = BN_new()) == NULL || BN_set_word(e, exponent) != 1 ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0 ||
	    EVP_PKEY_keygen(ctx, &pkey) <= 0)
		pkey = NULL;
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static int
get_bn(EVP_PKEY *pkey, const char *name, uint8_t *out, size_t outmax, size_t *len)
{
	BIGNUM *bn = NULL;
	int n, ok = 0;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return 0;
	n = BN_num_bytes(bn);
	if (n > 0 && (size_t)n <= outmax && BN_bn2bin(bn, out) == n) {
		*len = (size_t)n;
		ok = 1;
	}
	BN_free(bn);
	return ok;
}

static int
write_file(const char *prefix, const char *ext, const void *data, size_t len)
{
	char path[4096];
	FILE *f;
	int ok;

	if ((size_t)snprintf(path, sizeof(path), "%s%s", prefix, ext) >= sizeof(path))
		return 0;
	if ((f = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "mkcert-soft: %s: %s\n", path, strerror(errno));
		return 0;
	}
	ok = fwrite(data, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	return ok;
}

int
main(int argc, char **argv)
{
	EVP_PKEY *pkey = NULL;
	uint8_t n[PGPKEY_MAX_MODULUS], e[16], cert[PGPCERT_MAX];
	size_t n_len = 0, e_len = 0, cert_len = 0;
	char keyid[17], *armored = NULL;
	unsigned long bits, created, exponent = 65537;
	struct pgpkey key;
	gpg_error_t err;
	int rc = 1;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: mkcert-soft BITS CREATED UID OUTPREFIX [EXPONENT]\n");
		return 1;
	}
	if (!gcry_check_version(GCRYPT_VERSION)) {
		fprintf(stderr, "mkcert-soft: libgcrypt version mismatch\n");
		return 1;
	}
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	bits = strtoul(argv[1], NULL, 10);
	created = strtoul(argv[2], NULL, 10);
	if (argc == 6)
		exponent = strtoul(argv[5], NULL, 10);
	if (bits < 1024 || bits > 4096 || created > UINT32_MAX || exponent < 3) {
		fprintf(stderr, "mkcert-soft: bad arguments\n");
		return 1;
	}

	if ((pkey = make_key((unsigned int)bits, exponent)) == NULL) {
		fprintf(stderr, "mkcert-soft: RSA key generation failed\n");
		goto out;
	}
	if (!get_bn(pkey, OSSL_PKEY_PARAM_RSA_N, n, sizeof(n), &n_len) ||
	    !get_bn(pkey, OSSL_PKEY_PARAM_RSA_E, e, sizeof(e), &e_len)) {
		fprintf(stderr, "mkcert-soft: cannot read n/e\n");
		goto out;
	}
	if ((err = pgpkey_from_rsa(n, n_len, e, e_len, (uint32_t)created, &key)) != 0) {
		fprintf(stderr, "mkcert-soft: pgpkey_from_rsa: %s\n", gpg_strerror(err));
		goto out;
	}
	if ((err = pgpcert_build(&key, argv[3], sign_soft, pkey, cert, sizeof(cert), &cert_len)) != 0) {
		fprintf(stderr, "mkcert-soft: pgpcert_build: %s\n", gpg_strerror(err));
		goto out;
	}
	if ((err = pgpcert_armor(cert, cert_len, &armored)) != 0) {
		fprintf(stderr, "mkcert-soft: pgpcert_armor: %s\n", gpg_strerror(err));
		goto out;
	}
	if (!write_file(argv[4], ".pgp", cert, cert_len) ||
	    !write_file(argv[4], ".asc", armored, strlen(armored)))
		goto out;
	if (hex_encode(key.keyid, sizeof(key.keyid), keyid, sizeof(keyid)) != 0)
		goto out;
	printf("fpr %s\ngrip %s\nkeyid %s\nbits %u\ntopbit %d\n", key.fpr, key.grip, keyid,
	       key.bits, (key.n[0] & 0x80) != 0);
	rc = 0;
out:
	free(armored);
	EVP_PKEY_free(pkey);
	return rc;
}
