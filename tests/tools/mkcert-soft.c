/* mkcert-soft.c — test helper: OpenPGP certificates for RSA keys made in
 * software (OpenSSL), through pgpkey/pgpcert/pgpsig, so that tests/e2e can
 * check them against real gpg without an HSM.
 *
 *   mkcert-soft BITS CREATED UID OUTPREFIX [EXPONENT]
 *
 * the certificate of the release before subkeys (one certify+sign primary,
 * PGPCERT_PRIMARY_LEGACY): writes OUTPREFIX.pgp (binary) and OUTPREFIX.asc
 * (armored) and prints "fpr <40 hex>", "grip <40 hex>", "keyid <16 hex>",
 * "bits <n>" and "topbit <0|1>" lines.
 *
 *   mkcert-soft subkeys|subkeys-legacy CREATED UID OUTPREFIX DATAFILE SUBCREATED:EXPIRES...
 *
 * a certify-only (subkeys-legacy: certify+sign, what an upgraded project
 * keeps) RSA-2048 primary with one RSA-2048 signing subkey per
 * SUBCREATED:EXPIRES (epoch seconds; EXPIRES 0 = never; binding made at
 * SUBCREATED).  Writes OUTPREFIX.pgp, and detached binary signatures over
 * DATAFILE made at the newest subkey's creation time + 60: OUTPREFIX.p.sig
 * by the primary, OUTPREFIX.sN.sig by subkey N (1 = first).  Also
 * OUTPREFIX.attack.pgp: the certificate plus an attacker's key bound as a
 * signing subkey by subkey 1 instead of the primary (what a signer could make
 * by having policyd sign the binding digest), with a correct back-signature,
 * and OUTPREFIX.a.sig, a signature over DATAFILE by that attacker's key.
 * Prints "fpr", "keyid", "subN-fpr", "subN-keyid" and "attacker-fpr" lines.
 *
 * Exit 0 on success, 1 on any failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "certtool.h"
#include "hashalgo.h"
#include "hex.h"
#include "pgpcert.h"
#include "pgpkey.h"
#include "pgpsig.h"
#include "pgpwrite.h"

#define MAX_SUBS  4
#define SUB_BITS  2048

/* The keys of one run, found by the fingerprint the callback is asked for. */
struct softkeys {
	size_t n;
	struct pgpkey key[MAX_SUBS + 2];
	EVP_PKEY *pkey[MAX_SUBS + 2];
};

static gpg_error_t
sign_pkey(EVP_PKEY *pkey, const struct hashalgo *algo, const uint8_t *digest, size_t digest_len,
          uint8_t *sig, size_t sigmax, size_t *siglen)
{
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

static gpg_error_t
sign_soft(void *opaque, const struct pgpkey *signer, const struct hashalgo *algo,
          const uint8_t *digest, size_t digest_len, uint8_t *sig, size_t sigmax, size_t *siglen)
{
	struct softkeys *sk = opaque;

	for (size_t i = 0; i < sk->n; i++) {
		if (strcmp(sk->key[i].fpr, signer->fpr) == 0)
			return sign_pkey(sk->pkey[i], algo, digest, digest_len, sig, sigmax, siglen);
	}
	return gpg_error(GPG_ERR_NO_SECKEY);
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

/* A new key pair of BITS into slot sk->n, created at CREATED. */
static int
add_key(struct softkeys *sk, unsigned int bits, unsigned long exponent, uint32_t created)
{
	uint8_t n[PGPKEY_MAX_MODULUS], e[16];
	size_t n_len = 0, e_len = 0;
	EVP_PKEY *pkey;
	gpg_error_t err;

	if (sk->n >= sizeof(sk->key) / sizeof(sk->key[0]))
		return 0;
	if ((pkey = make_key(bits, exponent)) == NULL) {
		fprintf(stderr, "mkcert-soft: RSA key generation failed\n");
		return 0;
	}
	sk->pkey[sk->n] = pkey;
	if (!get_bn(pkey, OSSL_PKEY_PARAM_RSA_N, n, sizeof(n), &n_len) ||
	    !get_bn(pkey, OSSL_PKEY_PARAM_RSA_E, e, sizeof(e), &e_len)) {
		fprintf(stderr, "mkcert-soft: cannot read n/e\n");
		return 0;
	}
	if ((err = pgpkey_from_rsa(n, n_len, e, e_len, created, &sk->key[sk->n])) != 0) {
		fprintf(stderr, "mkcert-soft: pgpkey_from_rsa: %s\n", gpg_strerror(err));
		return 0;
	}
	sk->n++;
	return 1;
}

static void
free_keys(struct softkeys *sk)
{
	for (size_t i = 0; i < sk->n; i++)
		EVP_PKEY_free(sk->pkey[i]);
	sk->n = 0;
}

static int
init_gcrypt(void)
{
	if (!gcry_check_version(GCRYPT_VERSION)) {
		fprintf(stderr, "mkcert-soft: libgcrypt version mismatch\n");
		return 0;
	}
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return 1;
}

static int
legacy_main(int argc, char **argv)
{
	static uint8_t cert[PGPCERT_MAX];
	struct softkeys sk = { 0 };
	size_t cert_len = 0;
	char keyid[17], *armored = NULL;
	unsigned long bits, created, exponent = 65537;
	const struct pgpkey *key = &sk.key[0];
	gpg_error_t err;
	int rc = 1;

	bits = strtoul(argv[1], NULL, 10);
	created = strtoul(argv[2], NULL, 10);
	if (argc == 6)
		exponent = strtoul(argv[5], NULL, 10);
	if (bits < 1024 || bits > 4096 || created > UINT32_MAX || exponent < 3) {
		fprintf(stderr, "mkcert-soft: bad arguments\n");
		return 1;
	}
	if (!add_key(&sk, (unsigned int)bits, exponent, (uint32_t)created))
		goto out;
	if ((err = pgpcert_build(key, PGPCERT_PRIMARY_LEGACY, argv[3], NULL, 0, sign_soft, &sk, cert,
	                         sizeof(cert), &cert_len)) != 0) {
		fprintf(stderr, "mkcert-soft: pgpcert_build: %s\n", gpg_strerror(err));
		goto out;
	}
	if ((err = pgpcert_armor(cert, cert_len, &armored)) != 0) {
		fprintf(stderr, "mkcert-soft: pgpcert_armor: %s\n", gpg_strerror(err));
		goto out;
	}
	if (!certtool_write(argv[4], ".pgp", cert, cert_len) ||
	    !certtool_write(argv[4], ".asc", armored, strlen(armored)))
		goto out;
	if (hex_encode(key->keyid, sizeof(key->keyid), keyid, sizeof(keyid)) != 0)
		goto out;
	printf("fpr %s\ngrip %s\nkeyid %s\nbits %u\ntopbit %d\n", key->fpr, key->grip, keyid,
	       key->bits, (key->n[0] & 0x80) != 0);
	rc = 0;
out:
	free(armored);
	free_keys(&sk);
	return rc;
}

/* CERT plus ATTACKER as a signing subkey whose binding BINDER made (not the
 * primary): public-subkey packet, 0x18 by BINDER over primary + ATTACKER with
 * ATTACKER's correct 0x19 back-signature embedded. */
static int
attack_cert(struct softkeys *sk, const struct pgpkey *primary, const struct pgpkey *binder,
            const struct pgpkey *attacker, uint32_t when, const uint8_t *cert, size_t cert_len,
            const char *prefix)
{
	static uint8_t out[PGPCERT_MAX];
	uint8_t phf[PGPKEY_MAX_HASH_FORM], ahf[PGPKEY_MAX_HASH_FORM];
	uint8_t back[PGPSIG_MAX], subs[PGPSIG_MAX_SUBS], sig[PGPSIG_MAX], flags = 0x02;
	size_t phf_len = 0, ahf_len = 0, back_len = 0, sig_len = 0;
	struct pgpsig_chunk covered[2];
	struct pgpsig_spec spec = { 0 };
	struct pgpwrite w, sw;

	if (pgpkey_hash_form(primary, phf, sizeof(phf), &phf_len) != 0 ||
	    pgpkey_hash_form(attacker, ahf, sizeof(ahf), &ahf_len) != 0)
		return 0;
	covered[0].data = phf;
	covered[0].len = phf_len;
	covered[1].data = ahf;
	covered[1].len = ahf_len;
	spec.type = PGPSIG_PRIMARY_BINDING;
	spec.created = when;
	spec.signer = attacker;
	spec.covered = covered;
	spec.ncovered = 2;
	if (pgpsig_make(&spec, sign_soft, sk, back, sizeof(back), &back_len) != 0)
		return 0;
	pgpwrite_init(&sw, subs, sizeof(subs));
	pgpwrite_subpacket(&sw, PGPSIG_SUB_KEY_FLAGS, &flags, 1);
	pgpwrite_subpacket(&sw, PGPSIG_SUB_EMBEDDED_SIG, back, back_len);
	if (pgpwrite_done(&sw) != 0)
		return 0;
	spec.type = PGPSIG_SUBKEY_BINDING;
	spec.signer = binder;
	spec.subs = subs;
	spec.subs_len = sw.len;
	if (pgpsig_make(&spec, sign_soft, sk, sig, sizeof(sig), &sig_len) != 0)
		return 0;
	pgpwrite_init(&w, out, sizeof(out));
	pgpwrite_bytes(&w, cert, cert_len);
	pgpwrite_packet(&w, 14, ahf + 3, ahf_len - 3);
	pgpwrite_packet(&w, 2, sig, sig_len);
	return pgpwrite_done(&w) == 0 && certtool_write(prefix, ".attack.pgp", out, w.len);
}

static int
print_key(const char *label, const struct pgpkey *key)
{
	char keyid[17];

	if (hex_encode(key->keyid, sizeof(key->keyid), keyid, sizeof(keyid)) != 0)
		return 0;
	printf("%sfpr %s\n%skeyid %s\n", label, key->fpr, label, keyid);
	return 1;
}

static int
subkeys_main(int argc, char **argv, unsigned int primary_flags)
{
	static uint8_t cert[PGPCERT_MAX], data[1 << 16];
	struct pgpcert_subkey subs[MAX_SUBS];
	struct softkeys sk = { 0 };
	size_t nsubs = (size_t)argc - 6, cert_len = 0, data_len;
	unsigned long created, sc, se;
	uint32_t when = 0;
	char label[32], ext[32], *end;
	gpg_error_t err;
	FILE *f = NULL;
	int rc = 1;

	created = strtoul(argv[2], &end, 10);
	if (*end != '\0' || created > UINT32_MAX || nsubs < 1 || nsubs > MAX_SUBS) {
		fprintf(stderr, "mkcert-soft: bad arguments\n");
		return 1;
	}
	if ((f = fopen(argv[5], "rb")) == NULL) {
		fprintf(stderr, "mkcert-soft: %s: %s\n", argv[5], strerror(errno));
		return 1;
	}
	data_len = fread(data, 1, sizeof(data), f);
	fclose(f);
	if (!add_key(&sk, SUB_BITS, 65537, (uint32_t)created))
		goto out;
	for (size_t i = 0; i < nsubs; i++) {
		sc = strtoul(argv[6 + i], &end, 10);
		if (*end != ':' || sc > UINT32_MAX || (se = strtoul(end + 1, &end, 10)) > UINT32_MAX ||
		    *end != '\0') {
			fprintf(stderr, "mkcert-soft: %s: want SUBCREATED:EXPIRES\n", argv[6 + i]);
			goto out;
		}
		if (!add_key(&sk, SUB_BITS, 65537, (uint32_t)sc))
			goto out;
		subs[i].sigtime = (uint32_t)sc;
		subs[i].expires = (uint32_t)se;
		if (sc + 60 > when)
			when = (uint32_t)(sc + 60);
	}
	for (size_t i = 0; i < nsubs; i++)
		subs[i].key = &sk.key[1 + i];
	if ((err = pgpcert_build(&sk.key[0], primary_flags, argv[3], subs, nsubs, sign_soft, &sk,
	                         cert, sizeof(cert), &cert_len)) != 0) {
		fprintf(stderr, "mkcert-soft: pgpcert_build: %s\n", gpg_strerror(err));
		goto out;
	}
	if (!certtool_write(argv[4], ".pgp", cert, cert_len) || !print_key("", &sk.key[0]) ||
	    !certtool_data_sig(sign_soft, &sk, &sk.key[0], data, data_len, when, argv[4], ".p.sig"))
		goto out;
	for (size_t i = 0; i < nsubs; i++) {
		snprintf(label, sizeof(label), "sub%zu-", i + 1);
		snprintf(ext, sizeof(ext), ".s%zu.sig", i + 1);
		if (!print_key(label, &sk.key[1 + i]) ||
		    !certtool_data_sig(sign_soft, &sk, &sk.key[1 + i], data, data_len, when, argv[4], ext))
			goto out;
	}
	/* the attacker's key: made now, bound by subkey 1 */
	if (!add_key(&sk, SUB_BITS, 65537, when) || !print_key("attacker-", &sk.key[sk.n - 1]) ||
	    !attack_cert(&sk, &sk.key[0], &sk.key[1], &sk.key[sk.n - 1], when, cert, cert_len, argv[4]) ||
	    !certtool_data_sig(sign_soft, &sk, &sk.key[sk.n - 1], data, data_len, when, argv[4], ".a.sig")) {
		fprintf(stderr, "mkcert-soft: cannot make the attack certificate\n");
		goto out;
	}
	rc = 0;
out:
	free_keys(&sk);
	return rc;
}

int
main(int argc, char **argv)
{
	if (!init_gcrypt())
		return 1;
	if (argc >= 7 && strcmp(argv[1], "subkeys") == 0)
		return subkeys_main(argc, argv, PGPCERT_PRIMARY_CERTIFY);
	if (argc >= 7 && strcmp(argv[1], "subkeys-legacy") == 0)
		return subkeys_main(argc, argv, PGPCERT_PRIMARY_LEGACY);
	if (argc == 5 || argc == 6)
		return legacy_main(argc, argv);
	fprintf(stderr, "usage: mkcert-soft BITS CREATED UID OUTPREFIX [EXPONENT]\n"
	                "       mkcert-soft subkeys|subkeys-legacy CREATED UID OUTPREFIX DATAFILE "
	                "SUBCREATED:EXPIRES...\n");
	return 1;
}
