/* test_pgpcert.c — certificate layout, self-signature, user ID rules and
 * armor.  (Acceptance by real gpg is tests/e2e/005-pgpcert-gpg.sh.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <gcrypt.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <ctype.h>

#include "hashalgo.h"
#include "hex.h"
#include "pgpcert.h"
#include "pgpkey.h"
#include "softkey.h"
#include "../tools/ecsoft.h"

/* Keys come from OpenSSL: libgcrypt's own key generation leaves its RNG
 * pool allocated, which LeakSanitizer reports.  key[0] is the primary,
 * key[1] and key[2] subkeys. */
#define NKEYS 3
#define T0    1577836800u         /* 2020-01-01 */

struct fixture {
	EVP_PKEY *pkey[NKEYS];
	struct pgpkey key[NKEYS];
	int calls;
	int signer_idx[8];          /* which key each call asked for */
	gpg_error_t fail_with;      /* callback returns this */
	int corrupt;                /* callback flips a bit of the signature */
	int oversize;               /* callback claims one byte too many */
	int wrong_for_sub;          /* a subkey's signature is made by the primary */
	uint8_t last_sig[PGPKEY_MAX_MODULUS];
	size_t last_sig_len;
};

static int
setup(void **state)
{
	struct fixture *fx;

	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	*state = fx;
	for (int i = 0; i < NKEYS; i++) {
		if (softkey_new(2048, T0 + 86400u * (unsigned int)i, &fx->pkey[i], &fx->key[i]) != 0)
			return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	for (int i = 0; i < NKEYS; i++)
		EVP_PKEY_free(fx->pkey[i]);
	free(fx);
	return 0;
}

static void
reset(struct fixture *fx)
{
	fx->calls = 0;
	fx->fail_with = 0;
	fx->corrupt = 0;
	fx->oversize = 0;
	fx->wrong_for_sub = 0;
}

static int
pkcs1(EVP_PKEY *pkey, int sign, const uint8_t *digest, uint8_t *sig, size_t *siglen)
{
	return softkey_pkcs1(pkey, !sign, hashalgo_by_name("sha256"), digest, 32, sig,
	                     PGPKEY_MAX_MODULUS, siglen);
}

/* The HSM's callback, in software: the key SIGNER names, modulus-length
 * output. */
static gpg_error_t
sign_soft(void *opaque, const struct pgpkey *signer, const struct hashalgo *algo,
          const uint8_t *digest, size_t digest_len, uint8_t *sig, size_t sigmax, size_t *siglen)
{
	struct fixture *fx = opaque;
	size_t len = sigmax;
	int idx;

	*siglen = 0;
	for (idx = 0; idx < NKEYS && strcmp(signer->fpr, fx->key[idx].fpr) != 0; idx++)
		;
	assert_true(idx < NKEYS);
	if (fx->calls < 8)
		fx->signer_idx[fx->calls] = idx;
	fx->calls++;
	assert_string_equal(algo->name, "sha256");
	assert_int_equal(digest_len, 32);
	if (fx->fail_with)
		return fx->fail_with;
	if (fx->wrong_for_sub && idx > 0)
		idx = 0;
	assert_true(pkcs1(fx->pkey[idx], 1, digest, sig, &len));
	assert_int_equal(len, fx->key[idx].n_len);
	*siglen = len;
	if (fx->corrupt)
		sig[*siglen - 1] ^= 0x01;
	if (fx->oversize)
		*siglen += 1;
	memcpy(fx->last_sig, sig, len);
	fx->last_sig_len = len;
	return 0;
}

static gpg_error_t
build(struct fixture *fx, unsigned int flags, const char *uid, const struct pgpcert_subkey *subs,
      size_t nsubs, uint8_t *cert, size_t max, size_t *len)
{
	return pgpcert_build(&fx->key[0], flags, uid, subs, nsubs, sign_soft, fx, cert, max, len);
}

/* Read one new-format packet header at *OFF; returns the tag. */
static unsigned int
read_packet(const uint8_t *p, size_t len, size_t *off, size_t *plen)
{
	unsigned int tag;

	assert_true(*off + 2 <= len);
	assert_int_equal(p[*off] & 0xC0, 0xC0);
	tag = p[*off] & 0x3F;
	if (p[*off + 1] < 192) {
		*plen = p[*off + 1];
		*off += 2;
	} else if (p[*off + 1] < 224) {
		*plen = ((size_t)(p[*off + 1] - 192) << 8) + p[*off + 2] + 192;
		*off += 3;
	} else {
		assert_int_equal(p[*off + 1], 0xFF);
		*plen = ((size_t)p[*off + 2] << 24) | ((size_t)p[*off + 3] << 16) |
		        ((size_t)p[*off + 4] << 8) | p[*off + 5];
		*off += 6;
	}
	assert_true(*plen <= len - *off);
	return tag;
}

static void
test_layout(void **state)
{
	struct fixture *fx = *state;
	const char *uid = "Project acme <acme@signet.test>";
	uint8_t cert[PGPCERT_MAX], body[600], digest[32], fpr[20];
	size_t len = 0, off = 0, plen, body_len, hashed_len, sig_off, mpi_bits, i;
	gcry_md_hd_t md = NULL;
	const uint8_t *sig, *mpi;
	uint8_t hdr[6];

	reset(fx);
	assert_int_equal(build(fx, PGPCERT_PRIMARY_LEGACY, uid, NULL, 0, cert, sizeof(cert), &len), 0);
	assert_int_equal(fx->calls, 1);

	/* public key packet = pgpkey_packet_body */
	assert_int_equal(read_packet(cert, len, &off, &plen), 6);
	assert_int_equal(pgpkey_packet_body(&fx->key[0], body, sizeof(body), &body_len), 0);
	assert_int_equal(plen, body_len);
	assert_memory_equal(cert + off, body, body_len);
	off += plen;
	/* user ID */
	assert_int_equal(read_packet(cert, len, &off, &plen), 13);
	assert_int_equal(plen, strlen(uid));
	assert_memory_equal(cert + off, uid, plen);
	off += plen;
	/* signature */
	assert_int_equal(read_packet(cert, len, &off, &plen), 2);
	assert_int_equal(off + plen, len);
	sig = cert + off;
	sig_off = 0;
	assert_memory_equal(sig, "\x04\x13\x01\x08", 4);
	hashed_len = ((size_t)sig[4] << 8) | sig[5];
	assert_int_equal(hashed_len, 50);
	assert_int_equal(hex_decode(fx->key[0].fpr, 40, fpr, sizeof(fpr), &i), 0);
	{
		const uint8_t expect[] = {
			5, 2, 0x5E, 0x0B, 0xE1, 0x00,       /* creation time 2020-01-01 */
			2, 27, 0x03,                        /* key flags: certify, sign */
			4, 21, 10, 9, 8,
			4, 11, 9, 8, 7,
			4, 22, 2, 3, 1,
			2, 30, 0x01,
			22, 33, 4,
		};
		assert_memory_equal(sig + 6, expect, sizeof(expect));
		assert_memory_equal(sig + 6 + sizeof(expect), fpr, 20);
		assert_int_equal(sizeof(expect) + 20, hashed_len);
	}
	sig_off = 6 + hashed_len;
	assert_memory_equal(sig + sig_off, "\x00\x0A\x09\x10", 4);
	assert_memory_equal(sig + sig_off + 4, fx->key[0].keyid, 8);
	sig_off += 12;

	/* RFC 4880 §5.2.4, recomputed here from the packets themselves. */
	assert_int_equal(gcry_md_open(&md, GCRY_MD_SHA256, 0), 0);
	hdr[0] = 0x99;
	hdr[1] = (uint8_t)(body_len >> 8);
	hdr[2] = (uint8_t)body_len;
	gcry_md_write(md, hdr, 3);
	gcry_md_write(md, body, body_len);
	hdr[0] = 0xB4;
	hdr[1] = 0;
	hdr[2] = 0;
	hdr[3] = 0;
	hdr[4] = (uint8_t)strlen(uid);
	gcry_md_write(md, hdr, 5);
	gcry_md_write(md, uid, strlen(uid));
	gcry_md_write(md, sig, 6 + hashed_len);
	hdr[0] = 4;
	hdr[1] = 0xFF;
	hdr[2] = 0;
	hdr[3] = 0;
	hdr[4] = 0;
	hdr[5] = (uint8_t)(6 + hashed_len);
	gcry_md_write(md, hdr, 6);
	memcpy(digest, gcry_md_read(md, GCRY_MD_SHA256), 32);
	gcry_md_close(md);
	assert_memory_equal(sig + sig_off, digest, 2);
	sig_off += 2;

	/* MPI of the signature, leading zeros stripped */
	mpi_bits = ((size_t)sig[sig_off] << 8) | sig[sig_off + 1];
	mpi = sig + sig_off + 2;
	assert_int_equal(sig_off + 2 + (mpi_bits + 7) / 8, plen);
	for (i = 0; i < fx->last_sig_len && fx->last_sig[i] == 0; i++)
		;
	assert_int_equal((mpi_bits + 7) / 8, fx->last_sig_len - i);
	assert_memory_equal(mpi, fx->last_sig + i, fx->last_sig_len - i);
	assert_true(mpi[0] & (1u << ((mpi_bits - 1) % 8)));
	assert_true(mpi[0] < (2u << ((mpi_bits - 1) % 8)));

	/* and it verifies with the public key */
	{
		uint8_t full[PGPKEY_MAX_MODULUS] = { 0 };
		size_t flen = fx->key[0].n_len;

		memcpy(full + flen - (mpi_bits + 7) / 8, mpi, (mpi_bits + 7) / 8);
		assert_true(pkcs1(fx->pkey[0], 0, digest, full, &flen));
		full[flen - 1] ^= 1;
		assert_false(pkcs1(fx->pkey[0], 0, digest, full, &flen));
	}
}

/* About one signature in 256 starts with a zero byte: the MPI must drop it
 * and count the bits of what is left. */
static void
test_sig_leading_zero(void **state)
{
	struct fixture *fx = *state;
	uint8_t cert[PGPCERT_MAX];
	size_t len, mpi_off;
	unsigned int bits, want;
	char uid[64];
	int i;

	reset(fx);
	for (i = 0; i < 5000; i++) {
		snprintf(uid, sizeof(uid), "zero test %d", i);
		assert_int_equal(build(fx, PGPCERT_PRIMARY_LEGACY, uid, NULL, 0, cert, sizeof(cert), &len), 0);
		if (fx->last_sig[0] == 0 && fx->last_sig[1] != 0)
			break;
	}
	assert_true(i < 5000);
	/* The MPI ends the certificate: 2-byte bit count + n_len - 1 bytes. */
	mpi_off = len - (2 + fx->key[0].n_len - 1);
	bits = (unsigned int)(cert[mpi_off] << 8 | cert[mpi_off + 1]);
	for (want = 8; want > 0 && !(fx->last_sig[1] & (1u << (want - 1))); want--)
		;
	assert_int_equal(bits, 8 * (fx->key[0].n_len - 2) + want);
	assert_memory_equal(cert + mpi_off + 2, fx->last_sig + 1, fx->key[0].n_len - 1);
}

static gpg_error_t
build_uid(struct fixture *fx, const char *uid)
{
	uint8_t cert[PGPCERT_MAX];
	size_t len = 99;
	gpg_error_t err;

	reset(fx);
	err = build(fx, PGPCERT_PRIMARY_LEGACY, uid, NULL, 0, cert, sizeof(cert), &len);
	if (err) {
		assert_int_equal(len, 0);
		assert_int_equal(fx->calls, 0);
	}
	return err;
}

static void
test_uid_rules(void **state)
{
	struct fixture *fx = *state;
	static const char *const bad[] = {
		"", "a\nb", "tab\there", "del\x7f", "nel \xc2\x85", "overlong \xc0\xaf",
		"overlong3 \xe0\x80\xaf", "surrogate \xed\xa0\x80", "too big \xf4\x90\x80\x80",
		"truncated \xe2\x82", "lone \x80", "five \xf8\x88\x80\x80\x80", "ff \xff",
	};
	static const char *const good[] = {
		"a", "Project <p@x>", "Euro \xe2\x82\xac", "emoji \xf0\x9f\x98\x80", "\xc2\xa0nbsp",
	};
	char big[PGPCERT_MAX_UID + 2];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (gpg_err_code(build_uid(fx, bad[i])) != GPG_ERR_INV_USER_ID)
			fail_msg("uid %zu accepted", i);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (build_uid(fx, good[i]) != 0)
			fail_msg("uid %zu refused", i);
	}
	memset(big, 'u', sizeof(big));
	big[PGPCERT_MAX_UID] = '\0';
	assert_int_equal(build_uid(fx, big), 0);
	big[PGPCERT_MAX_UID] = 'u';
	big[PGPCERT_MAX_UID + 1] = '\0';
	assert_int_equal(gpg_err_code(build_uid(fx, big)), GPG_ERR_INV_USER_ID);
}

static void
test_sign_failures(void **state)
{
	struct fixture *fx = *state;
	uint8_t cert[PGPCERT_MAX];
	size_t len = 99;

	reset(fx);
	fx->fail_with = gpg_error(GPG_ERR_HARDWARE);
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_LEGACY, "x", NULL, 0, cert, sizeof(cert), &len)),
	                 GPG_ERR_HARDWARE);
	assert_int_equal(len, 0);

	reset(fx);
	fx->corrupt = 1;
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_LEGACY, "x", NULL, 0, cert, sizeof(cert), &len)),
	                 GPG_ERR_BAD_SIGNATURE);
	assert_int_equal(len, 0);

	reset(fx);
	fx->oversize = 1;
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_LEGACY, "x", NULL, 0, cert, sizeof(cert), &len)),
	                 GPG_ERR_BAD_SIGNATURE);

	/* output buffer too small */
	reset(fx);
	assert_int_equal(build(fx, PGPCERT_PRIMARY_LEGACY, "x", NULL, 0, cert, sizeof(cert), &len), 0);
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_LEGACY, "x", NULL, 0, cert, len - 1, &len)),
	                 GPG_ERR_BUFFER_TOO_SHORT);
	assert_int_equal(len, 0);

	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_LEGACY, NULL, NULL, 0, cert, sizeof(cert), &len)),
	                 GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(pgpcert_build(&fx->key[0], PGPCERT_PRIMARY_LEGACY, "x", NULL, 0, NULL, fx, cert, sizeof(cert), &len)),
	                 GPG_ERR_INV_VALUE);
}

static void
test_armor(void **state)
{
	uint8_t data[PGPCERT_MAX + 1];
	char *a = NULL, *p, *line;
	size_t i, lines = 0;

	(void)state;
	/* CRC-24/OPENPGP check value of "123456789" is 0x21CF02. */
	assert_int_equal(pgpcert_armor((const uint8_t *)"123456789", 9, &a), 0);
	assert_string_equal(a, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
	                       "MTIzNDU2Nzg5\n"
	                       "=Ic8C\n"
	                       "-----END PGP PUBLIC KEY BLOCK-----\n");
	free(a);

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 7);
	/* 48 bytes = exactly one 64-character line; 49 spill onto a second */
	assert_int_equal(pgpcert_armor(data, 48, &a), 0);
	assert_non_null(strstr(a, "\n\n"));
	p = strstr(a, "\n\n") + 2;
	assert_int_equal(strchr(p, '\n') - p, 64);
	assert_int_equal(p[65], '=');
	free(a);
	assert_int_equal(pgpcert_armor(data, 49, &a), 0);
	p = strstr(a, "\n\n") + 2;
	assert_int_equal(strchr(p, '\n') - p, 64);
	assert_memory_equal(strchr(p, '\n') + 1, "1w==\n=", 6);
	free(a);

	assert_int_equal(pgpcert_armor(data, PGPCERT_MAX, &a), 0);
	for (p = a; (line = strchr(p, '\n')) != NULL; p = line + 1) {
		assert_true(line - p <= 64);
		lines++;
	}
	assert_int_equal(lines, 2 + (PGPCERT_MAX + 47) / 48 + 2);
	free(a);

	a = (char *)1;
	assert_int_equal(gpg_err_code(pgpcert_armor(data, 0, &a)), GPG_ERR_NO_DATA);
	assert_null(a);
	assert_int_equal(gpg_err_code(pgpcert_armor(data, PGPCERT_MAX + 1, &a)), GPG_ERR_TOO_LARGE);
	assert_null(a);
}

/* A fixed key, and the SHA-256 of the certificate the release before
 * subkeys made for it (pgpcert_build(key, uid) at commit e0a2a87): an
 * upgrade rebuilds that certificate with PGPCERT_PRIMARY_LEGACY and no
 * subkeys, and its self-signature must not change. */
static const char legacy_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDQY70H5Vh2wfkZ\n"
	"elz4bFf5JbVud2lsx2XCPpgo0o9CTGsg1zaL0Yy9wbATM6GUwxcTwho3F8WdfDyn\n"
	"+PDJl7yyHvY50KXSMkDNq3MXVku3c3pfGzFSQqrEx5rxLRZlD5gw8ycl4auX3AxF\n"
	"rh0cDMBYvArrbHatXyW705J71vdC5hvoIGglhdp/BaT8c8XWDi1Rei+WpeEVVFE6\n"
	"rFBNgMQlpW7fpOU00hUCFYrhhsosz9a43iVAdkCQ2xMRWayL3OWxxqX4gJvkRaTK\n"
	"oXhgLcy30rt4Rxm2kGwEFJaTQ31bBNFjMngyoNHiulq48MzLq68OEl7Np5+6OW2Q\n"
	"KMNLwBI/AgMBAAECggEACtNLlBftbwnnk1PAdaVHMqmrUahBYUXAewU+aUx65bJL\n"
	"lGKpsjy6B3eC2pSBjdVOoxefvgHtoZ89FWrAs3A+/K/QEbPNkWxL4oNIEMvKVibZ\n"
	"Egy7FK9i6KMH4QR7F9fmC5DuFTEydUqYlpwTZgwhh9qI5K73QU1ii+3TO7ywjpiG\n"
	"kkWJJaibLy8+bLXGnSyrvJFSLjRubU0Aqrv9+GGKHaEt0HyZp+fvTlNjg8r7WNz9\n"
	"ELuMDDIY9nbR7FAafTykfrnK89H92nRo6f+VCADiRksmqMNq0lUvR9COhGlhRRjJ\n"
	"htuWFmWlvREwRTCAeimCjKYruTGEujVjO2rLocwL4QKBgQDvfsxpTQ0tuGcXh1y+\n"
	"yEiGQaGj98s5iy9FxGxi2PGqIUK8Sdd3pYTPHvSt5vVY8AUGvXi9C6w7VuZTCN4H\n"
	"L1zPSCG6e6tCZKNmOFmb0zXXJ6gfJ/JSHFJQgO39DKVJD+zm3Hs/64cm8PELk3ai\n"
	"KUEApfFAe9h+iGHL5WeQtg/vIQKBgQDewCt4wk66Zt1LU8N/5S7k5DqK+rvG9Blk\n"
	"XJit7Og+vKpTHPid1ZB7JJu0n4uarmxy1j3VaHl5n3wvH4c0BHmkFtVU8IZE+XeB\n"
	"k6JuYlbyWqIsbkC75BVOTmn8mNxDhaDMb/+ZR68k+BuyczU8+Db4FeM0jL5UYpjs\n"
	"dnRrk0S1XwKBgQDeSXY4lkeRFAK7l+vBN+v4kJoSsj9x3Xm266Ud6fYDznM+h9rx\n"
	"NjOaekTn0+IM9lnz85BJBriJKxMEJsrNKGygB3cmuvot2XK/wbWKJ/NlC23D3TPQ\n"
	"enD8P26k3EPdGGbtr97FaTo8Lo3MDMajpF6s11igXVKHvtXmhbomWpVXgQKBgC/x\n"
	"uOmjGQLyBQujmd67W56UqS0kzqoB/D0n2Q0Ggu6N+TMudyyxvQlkVcdI1+mRRXJq\n"
	"PqDifdL5yubxqE4/8FarO3uu0ZejAl/3gOy1afV8II/jozdN3nAeXJ2r4Sz/ZB7c\n"
	"tG0virkwVfXQ6lKXMm2veFnlOUo8dqHe1SwaZJ2NAoGBAMnCg6g56shcgF6e1bio\n"
	"41Wo+lJf4whHyI77URZDICiClnsPxHNYM5/qlRQDJ1MM5AgAUld/5tOSb58vbgUj\n"
	"jJnemlMeGvy2x92MCCXKAAnP88706oxgc/0FwaYfTA/LMM6esNGQHhsMINb76kxX\n"
	"ZtbuwsAIaY6GMjDgD4ZRQzq9\n"
	"-----END PRIVATE KEY-----\n";
static const char legacy_sha256[] =
	"da7c34933de7cba7ea03ff9b6a7fc2d442a2ab7b69fe19701d50ea7c053484fb";

/* A callback for one key, whichever SIGNER is asked for. */
static gpg_error_t
sign_one(void *opaque, const struct pgpkey *signer, const struct hashalgo *algo,
         const uint8_t *digest, size_t digest_len, uint8_t *sig, size_t sigmax, size_t *siglen)
{
	(void)signer;
	return softkey_pkcs1(opaque, 0, algo, digest, digest_len, sig, sigmax, siglen) ? 0 :
	       gpg_error(GPG_ERR_GENERAL);
}

static void
test_legacy_bytes(void **state)
{
	BIO *bio = BIO_new_mem_buf(legacy_pem, -1);
	EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	uint8_t cert[PGPCERT_MAX], digest[32];
	char hexd[65];
	size_t len = 0;
	struct pgpkey key;

	(void)state;
	assert_non_null(pkey);
	assert_int_equal(softkey_pub(pkey, T0, &key), 0);
	assert_int_equal(pgpcert_build(&key, PGPCERT_PRIMARY_LEGACY, "Project acme <acme@signet.test>",
	                               NULL, 0, sign_one, pkey, cert, sizeof(cert), &len), 0);
	assert_int_equal(len, 636);
	gcry_md_hash_buffer(GCRY_MD_SHA256, digest, cert, len);
	assert_int_equal(hex_encode(digest, sizeof(digest), hexd, sizeof(hexd)), 0);
	for (size_t i = 0; hexd[i] != '\0'; i++)
		hexd[i] = (char)tolower((unsigned char)hexd[i]);
	assert_string_equal(hexd, legacy_sha256);
	EVP_PKEY_free(pkey);
	BIO_free(bio);
}

/* A parsed v4 signature packet body. */
struct sigview {
	unsigned int type;
	const uint8_t *hashed;          /* version .. end of hashed subpackets */
	size_t hashed_len;
	const uint8_t *subs;            /* hashed subpackets */
	size_t subs_len;
	const uint8_t *unhashed;
	size_t unhashed_len;
	const uint8_t *left16;
	const uint8_t *mpi;             /* without the bit count */
	size_t mpi_len;
};

static void
parse_sig(const uint8_t *p, size_t len, struct sigview *v)
{
	size_t off, bits;

	memset(v, 0, sizeof(*v));
	assert_true(len > 10);
	assert_int_equal(p[0], 4);
	assert_int_equal(p[2], 1);      /* RSA */
	assert_int_equal(p[3], 8);      /* SHA-256 */
	v->type = p[1];
	v->subs_len = ((size_t)p[4] << 8) | p[5];
	v->subs = p + 6;
	v->hashed = p;
	v->hashed_len = 6 + v->subs_len;
	off = v->hashed_len;
	assert_true(off + 2 <= len);
	v->unhashed_len = ((size_t)p[off] << 8) | p[off + 1];
	v->unhashed = p + off + 2;
	off += 2 + v->unhashed_len;
	assert_true(off + 4 <= len);
	v->left16 = p + off;
	bits = ((size_t)p[off + 2] << 8) | p[off + 3];
	v->mpi = p + off + 4;
	v->mpi_len = (bits + 7) / 8;
	assert_int_equal(off + 4 + v->mpi_len, len);
}

/* The first subpacket TYPE in AREA, or NULL. */
static const uint8_t *
find_sub(const uint8_t *area, size_t len, unsigned int type, size_t *sublen)
{
	size_t off = 0, l;

	while (off < len) {
		if (area[off] < 192) {
			l = area[off];
			off += 1;
		} else {
			assert_true(area[off] < 255);
			l = ((size_t)(area[off] - 192) << 8) + area[off + 1] + 192;
			off += 2;
		}
		assert_true(l >= 1 && off + l <= len);
		if (area[off] == type) {
			*sublen = l - 1;
			return area + off + 1;
		}
		off += l;
	}
	return NULL;
}

/* The signature V verifies with PKEY over COVER (hash forms) per §5.2.4. */
static void
check_sig(EVP_PKEY *pkey, const struct sigview *v, const uint8_t *cover1, size_t len1,
          const uint8_t *cover2, size_t len2)
{
	uint8_t digest[32], full[PGPKEY_MAX_MODULUS] = { 0 }, trailer[6];
	size_t flen = (size_t)EVP_PKEY_get_size(pkey);
	gcry_md_hd_t md = NULL;

	trailer[0] = 4;
	trailer[1] = 0xFF;
	trailer[2] = 0;
	trailer[3] = 0;
	trailer[4] = (uint8_t)(v->hashed_len >> 8);
	trailer[5] = (uint8_t)v->hashed_len;
	assert_int_equal(gcry_md_open(&md, GCRY_MD_SHA256, 0), 0);
	gcry_md_write(md, cover1, len1);
	if (len2 > 0)
		gcry_md_write(md, cover2, len2);
	gcry_md_write(md, v->hashed, v->hashed_len);
	gcry_md_write(md, trailer, sizeof(trailer));
	memcpy(digest, gcry_md_read(md, GCRY_MD_SHA256), 32);
	gcry_md_close(md);
	assert_memory_equal(v->left16, digest, 2);
	assert_true(v->mpi_len <= flen);
	memcpy(full + flen - v->mpi_len, v->mpi, v->mpi_len);
	assert_true(pkcs1(pkey, 0, digest, full, &flen));
}

static void
expect_issuer(const struct sigview *v, const struct pgpkey *key)
{
	uint8_t fpr[20];
	const uint8_t *p;
	size_t l = 0, n = 0;

	assert_int_equal(hex_decode(key->fpr, 40, fpr, sizeof(fpr), &n), 0);
	assert_non_null(p = find_sub(v->subs, v->subs_len, 33, &l));
	assert_int_equal(l, 21);
	assert_int_equal(p[0], 4);
	assert_memory_equal(p + 1, fpr, 20);
	assert_non_null(p = find_sub(v->unhashed, v->unhashed_len, 16, &l));
	assert_int_equal(l, 8);
	assert_memory_equal(p, key->keyid, 8);
}

static uint32_t
sub_u32(const struct sigview *v, unsigned int type)
{
	const uint8_t *p;
	size_t l = 0;

	if ((p = find_sub(v->subs, v->subs_len, type, &l)) == NULL)
		return 0;
	assert_int_equal(l, 4);
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
test_certify_only(void **state)
{
	struct fixture *fx = *state;
	uint8_t legacy[PGPCERT_MAX], cert[PGPCERT_MAX];
	size_t llen = 0, len = 0, off = 0, plen, hdr, loff, lplen;
	struct sigview v;
	const uint8_t *fl;
	size_t l = 0;

	reset(fx);
	assert_int_equal(build(fx, PGPCERT_PRIMARY_LEGACY, "u", NULL, 0, legacy, sizeof(legacy), &llen), 0);
	assert_int_equal(build(fx, PGPCERT_PRIMARY_CERTIFY, "u", NULL, 0, cert, sizeof(cert), &len), 0);
	/* The same packets; only the signature MPIs may differ in length
	 * (one whose top byte is zero is a byte shorter: 1 in 256 each). */
	assert_true(len <= llen + 2 && llen <= len + 2);
	assert_memory_not_equal(cert, legacy, len < llen ? len : llen);
	(void)read_packet(cert, len, &off, &plen);
	off += plen;
	(void)read_packet(cert, len, &off, &plen);
	off += plen;
	hdr = off;
	assert_int_equal(read_packet(cert, len, &off, &plen), 2);
	parse_sig(cert + off, plen, &v);
	assert_int_equal(v.type, 0x13);
	assert_non_null(fl = find_sub(v.subs, v.subs_len, 27, &l));
	assert_int_equal(l, 1);
	assert_int_equal(fl[0], 0x01);
	/* The same layout as the legacy one, the flag byte aside: the key and
	 * user id packets, then the signature's body up to the flags (its
	 * header holds its length, which follows the MPI's). */
	assert_memory_equal(cert, legacy, hdr);
	loff = hdr;
	assert_int_equal(read_packet(legacy, llen, &loff, &lplen), 2);
	assert_memory_equal(cert + off, legacy + loff, (size_t)(fl - (cert + off)));
}

static void
test_subkeys(void **state)
{
	struct fixture *fx = *state;
	struct pgpcert_subkey subs[2] = {
		{ &fx->key[1], T0 + 86400 * 1 + 60, T0 + 86400 * 30 },
		{ &fx->key[2], T0 + 86400 * 2 + 60, 0 },
	};
	uint8_t cert[PGPCERT_MAX], phf[PGPKEY_MAX_HASH_FORM], hf[PGPKEY_MAX_HASH_FORM];
	size_t len = 0, off = 0, plen, phf_len = 0, hf_len = 0, l = 0;
	struct sigview v, back;
	const uint8_t *p;
	int i;

	reset(fx);
	assert_int_equal(build(fx, PGPCERT_PRIMARY_CERTIFY, "Project <p@x>", subs, 2, cert,
	                       sizeof(cert), &len), 0);
	/* self-sig by the primary, then per subkey: back-sig by it, binding by
	 * the primary */
	assert_int_equal(fx->calls, 5);
	assert_int_equal(fx->signer_idx[0], 0);
	assert_int_equal(fx->signer_idx[1], 1);
	assert_int_equal(fx->signer_idx[2], 0);
	assert_int_equal(fx->signer_idx[3], 2);
	assert_int_equal(fx->signer_idx[4], 0);
	assert_int_equal(pgpkey_hash_form(&fx->key[0], phf, sizeof(phf), &phf_len), 0);

	assert_int_equal(read_packet(cert, len, &off, &plen), 6);
	off += plen;
	assert_int_equal(read_packet(cert, len, &off, &plen), 13);
	off += plen;
	assert_int_equal(read_packet(cert, len, &off, &plen), 2);
	off += plen;
	for (i = 0; i < 2; i++) {
		const struct pgpkey *k = subs[i].key;

		assert_int_equal(pgpkey_hash_form(k, hf, sizeof(hf), &hf_len), 0);
		assert_int_equal(read_packet(cert, len, &off, &plen), 14);
		assert_int_equal(plen, hf_len - 3);
		assert_memory_equal(cert + off, hf + 3, plen);
		off += plen;

		assert_int_equal(read_packet(cert, len, &off, &plen), 2);
		parse_sig(cert + off, plen, &v);
		off += plen;
		assert_int_equal(v.type, 0x18);
		assert_int_equal(sub_u32(&v, 2), subs[i].sigtime);
		assert_non_null(p = find_sub(v.subs, v.subs_len, 27, &l));
		assert_int_equal(l, 1);
		assert_int_equal(p[0], 0x02);
		if (subs[i].expires != 0)
			assert_int_equal(sub_u32(&v, 9), subs[i].expires - k->created);
		else
			assert_null(find_sub(v.subs, v.subs_len, 9, &l));
		expect_issuer(&v, &fx->key[0]);
		check_sig(fx->pkey[0], &v, phf, phf_len, hf, hf_len);

		/* the back-signature, in the hashed area */
		assert_non_null(p = find_sub(v.subs, v.subs_len, 32, &l));
		parse_sig(p, l, &back);
		assert_int_equal(back.type, 0x19);
		assert_int_equal(sub_u32(&back, 2), subs[i].sigtime);
		assert_null(find_sub(back.subs, back.subs_len, 27, &l));
		expect_issuer(&back, k);
		check_sig(fx->pkey[1 + i], &back, phf, phf_len, hf, hf_len);
	}
	assert_int_equal(off, len);
}

static void
test_subkey_errors(void **state)
{
	struct fixture *fx = *state;
	struct pgpcert_subkey subs[2] = {
		{ &fx->key[1], T0 + 86400 * 1, T0 + 86400 * 30 },
		{ &fx->key[2], T0 + 86400 * 2, 0 },
	};
	struct pgpcert_subkey many[PGPCERT_MAX_SUBKEYS + 1];
	uint8_t cert[PGPCERT_MAX];
	size_t len = 99;

	/* the subkey's back-signature comes back made by another key */
	reset(fx);
	fx->wrong_for_sub = 1;
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_CERTIFY, "x", subs, 2, cert, sizeof(cert),
	                                    &len)), GPG_ERR_BAD_SIGNATURE);
	assert_int_equal(len, 0);
	assert_int_equal(fx->calls, 2);

	/* a failing or corrupt signature for the binding */
	reset(fx);
	fx->corrupt = 1;
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_CERTIFY, "x", subs, 2, cert, sizeof(cert),
	                                    &len)), GPG_ERR_BAD_SIGNATURE);

	/* output buffer one byte short */
	reset(fx);
	assert_int_equal(build(fx, PGPCERT_PRIMARY_CERTIFY, "x", subs, 2, cert, sizeof(cert), &len), 0);
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_CERTIFY, "x", subs, 2, cert, len - 1, &len)),
	                 GPG_ERR_BUFFER_TOO_SHORT);
	assert_int_equal(len, 0);

	/* times: expiry at or before the subkey's creation, a binding older
	 * than the subkey or the primary */
	reset(fx);
	subs[0].expires = fx->key[1].created;
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_CERTIFY, "x", subs, 2, cert, sizeof(cert),
	                                    &len)), GPG_ERR_INV_TIME);
	subs[0].expires = fx->key[1].created - 1;
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_CERTIFY, "x", subs, 2, cert, sizeof(cert),
	                                    &len)), GPG_ERR_INV_TIME);
	subs[0].expires = 0;
	subs[0].sigtime = fx->key[1].created - 1;
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_CERTIFY, "x", subs, 2, cert, sizeof(cert),
	                                    &len)), GPG_ERR_INV_TIME);
	subs[0].sigtime = fx->key[1].created;
	assert_int_equal(fx->calls, 0);

	/* the primary as its own subkey, a subkey twice */
	subs[1].key = &fx->key[0];
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_CERTIFY, "x", subs, 2, cert, sizeof(cert),
	                                    &len)), GPG_ERR_DUP_KEY);
	subs[1].key = &fx->key[1];
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_CERTIFY, "x", subs, 2, cert, sizeof(cert),
	                                    &len)), GPG_ERR_DUP_KEY);
	subs[1].key = NULL;
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_CERTIFY, "x", subs, 2, cert, sizeof(cert),
	                                    &len)), GPG_ERR_INV_VALUE);
	subs[1].key = &fx->key[2];

	/* flags other than the two kinds of primary */
	assert_int_equal(gpg_err_code(build(fx, 0x02, "x", subs, 2, cert, sizeof(cert), &len)),
	                 GPG_ERR_INV_FLAG);
	assert_int_equal(gpg_err_code(build(fx, 0, "x", NULL, 0, cert, sizeof(cert), &len)),
	                 GPG_ERR_INV_FLAG);
	/* too many, or none given */
	for (size_t i = 0; i < PGPCERT_MAX_SUBKEYS + 1; i++)
		many[i] = subs[0];
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_CERTIFY, "x", many, PGPCERT_MAX_SUBKEYS + 1,
	                                    cert, sizeof(cert), &len)), GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(build(fx, PGPCERT_PRIMARY_CERTIFY, "x", NULL, 1, cert, sizeof(cert),
	                                    &len)), GPG_ERR_INV_VALUE);
	assert_int_equal(fx->calls, 0);
}

/* PGPCERT_MAX holds an RSA-4096 primary with PGPCERT_MAX_SUBKEYS RSA-4096
 * subkeys (one modulus, told apart by creation time: a key's fingerprint
 * covers it). */
static void
test_max_size(void **state)
{
	static struct pgpkey keys[PGPCERT_MAX_SUBKEYS + 1];
	struct pgpcert_subkey subs[PGPCERT_MAX_SUBKEYS];
	uint8_t *cert = malloc(PGPCERT_MAX);
	EVP_PKEY *pkey = NULL;
	size_t len = 0;
	char uid[PGPCERT_MAX_UID + 1];

	(void)state;
	assert_non_null(cert);
	assert_int_equal(softkey_new(4096, T0, &pkey, &keys[0]), 0);
	for (size_t i = 1; i <= PGPCERT_MAX_SUBKEYS; i++) {
		keys[i] = keys[0];
		assert_int_equal(pgpkey_from_rsa(keys[0].n, keys[0].n_len, keys[0].e, keys[0].e_len,
		                                 T0 + (uint32_t)i, &keys[i]), 0);
		subs[i - 1].key = &keys[i];
		subs[i - 1].sigtime = T0 + (uint32_t)i;
		subs[i - 1].expires = T0 + 1000000;
	}
	memset(uid, 'u', PGPCERT_MAX_UID);
	uid[PGPCERT_MAX_UID] = '\0';
	assert_int_equal(pgpcert_build(&keys[0], PGPCERT_PRIMARY_CERTIFY, uid, subs, PGPCERT_MAX_SUBKEYS,
	                               sign_one, pkey, cert, PGPCERT_MAX, &len), 0);
	assert_true(len <= PGPCERT_MAX);
	EVP_PKEY_free(pkey);
	free(cert);
}

/* pgpsig on its own: a data signature (type 0x00) over the bytes given,
 * and its argument checks. */
static void
test_pgpsig(void **state)
{
	struct fixture *fx = *state;
	static const char data[] = "signet release 1.0\n";
	struct pgpsig_chunk covered = { data, sizeof(data) - 1 };
	uint8_t out[PGPSIG_MAX], subs[PGPSIG_MAX_SUBS + 1];
	struct pgpsig_spec spec;
	struct sigview v;
	size_t len = 0;

	reset(fx);
	memset(&spec, 0, sizeof(spec));
	spec.type = PGPSIG_BINARY;
	spec.created = T0 + 5;
	spec.signer = &fx->key[2];
	spec.covered = &covered;
	spec.ncovered = 1;
	assert_int_equal(pgpsig_make(&spec, sign_soft, fx, out, sizeof(out), &len), 0);
	assert_int_equal(fx->calls, 1);
	assert_int_equal(fx->signer_idx[0], 2);
	parse_sig(out, len, &v);
	assert_int_equal(v.type, 0x00);
	assert_int_equal(sub_u32(&v, 2), T0 + 5);
	expect_issuer(&v, &fx->key[2]);
	check_sig(fx->pkey[2], &v, (const uint8_t *)data, sizeof(data) - 1, NULL, 0);

	/* one byte short, a signature by another key, bad arguments */
	assert_int_equal(gpg_err_code(pgpsig_make(&spec, sign_soft, fx, out, len - 1, &len)),
	                 GPG_ERR_BUFFER_TOO_SHORT);
	assert_int_equal(len, 0);
	fx->wrong_for_sub = 1;
	assert_int_equal(gpg_err_code(pgpsig_make(&spec, sign_soft, fx, out, sizeof(out), &len)),
	                 GPG_ERR_BAD_SIGNATURE);
	fx->wrong_for_sub = 0;
	memset(subs, 0, sizeof(subs));
	spec.subs = subs;
	spec.subs_len = sizeof(subs);
	assert_int_equal(gpg_err_code(pgpsig_make(&spec, sign_soft, fx, out, sizeof(out), &len)),
	                 GPG_ERR_INV_VALUE);
	spec.subs = NULL;
	spec.subs_len = 1;
	assert_int_equal(gpg_err_code(pgpsig_make(&spec, sign_soft, fx, out, sizeof(out), &len)),
	                 GPG_ERR_INV_VALUE);
	spec.subs_len = 0;
	spec.ncovered = 9;
	assert_int_equal(gpg_err_code(pgpsig_make(&spec, sign_soft, fx, out, sizeof(out), &len)),
	                 GPG_ERR_INV_VALUE);
	spec.ncovered = 1;
	spec.signer = NULL;
	assert_int_equal(gpg_err_code(pgpsig_make(&spec, sign_soft, fx, out, sizeof(out), &len)),
	                 GPG_ERR_INV_VALUE);
}

/* What a test callback does to the EC signature it hands back. */
struct ecbad {
	struct ecsoft ek;
	int corrupt;         /* flip a bit of s */
	int shorten;         /* drop the last byte */
};

static gpg_error_t
sign_ecbad(void *opaque, const struct pgpkey *signer, const struct hashalgo *algo,
           const uint8_t *digest, size_t digest_len, uint8_t *sig, size_t sigmax, size_t *siglen)
{
	struct ecbad *b = opaque;
	gpg_error_t err = ecsoft_sign(&b->ek, signer, algo, digest, digest_len, sig, sigmax, siglen);

	if (err == 0 && b->corrupt)
		sig[*siglen - 1] ^= 0x01;
	if (err == 0 && b->shorten)
		(*siglen)--;
	return err;
}

/* Certificates of EC keys: key packets and every signature carry the
 * key's algorithm (19 ECDSA, 22 EdDSA) and two MPIs; a P-384 signer
 * hashes with SHA-384 (gpg refuses a shorter ECDSA hash), the others
 * with SHA-256; a bad or short signature from the token is caught.
 * (gpg itself reads them in tests/e2e/005-pgpcert-gpg.sh.) */
static void
test_ec(void **state)
{
	static const struct {
		enum pgpkey_type type;
		unsigned int algo, hash;
	} t[] = {
		{ PGPKEY_P256, 19, 8 },
		{ PGPKEY_P384, 19, 9 },
		{ PGPKEY_ED25519, 22, 8 },
	};
	static uint8_t cert[PGPCERT_MAX];
	struct ecbad b;
	struct pgpcert_subkey sub;
	size_t len = 0, off, plen, nsig;
	unsigned int tag;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&b, 0, sizeof(b));
		assert_true(ecsoft_make_key(&b.ek, 0, t[i].type, T0));
		assert_true(ecsoft_make_key(&b.ek, 1, t[i].type, T0 + 10));
		sub = (struct pgpcert_subkey){ &b.ek.key[1], T0 + 10, 0 };
		assert_int_equal(pgpcert_build(&b.ek.key[0], PGPCERT_PRIMARY_CERTIFY, "EC <ec@signet.test>", &sub, 1,
		                               sign_ecbad, &b, cert, sizeof(cert), &len), 0);
		for (off = 0, nsig = 0; off < len; off += plen) {
			tag = read_packet(cert, len, &off, &plen);
			if (tag == 6 || tag == 14)
				assert_int_equal(cert[off + 5], t[i].algo);
			if (tag == 2) {
				assert_int_equal(cert[off + 2], t[i].algo);
				assert_int_equal(cert[off + 3], t[i].hash);
				nsig++;
			}
		}
		assert_int_equal(nsig, 2);
		b.corrupt = 1;
		assert_int_equal(gpg_err_code(pgpcert_build(&b.ek.key[0], PGPCERT_PRIMARY_CERTIFY, "EC <e@x>", &sub, 1,
		                                            sign_ecbad, &b, cert, sizeof(cert), &len)),
		                 GPG_ERR_BAD_SIGNATURE);
		assert_int_equal(len, 0);
		b.corrupt = 0;
		b.shorten = 1;
		assert_int_equal(gpg_err_code(pgpcert_build(&b.ek.key[0], PGPCERT_PRIMARY_CERTIFY, "EC <e@x>", &sub, 1,
		                                            sign_ecbad, &b, cert, sizeof(cert), &len)),
		                 GPG_ERR_BAD_SIGNATURE);
		ecsoft_free(&b.ek);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_sig_leading_zero),
		cmocka_unit_test(test_uid_rules),
		cmocka_unit_test(test_sign_failures),
		cmocka_unit_test(test_armor),
		cmocka_unit_test(test_legacy_bytes),
		cmocka_unit_test(test_certify_only),
		cmocka_unit_test(test_subkeys),
		cmocka_unit_test(test_subkey_errors),
		cmocka_unit_test(test_max_size),
		cmocka_unit_test(test_pgpsig),
		cmocka_unit_test(test_ec),
	};

	/* Programs initialise libgcrypt once at start-up (pgpkey.h). */
	if (!gcry_check_version(GCRYPT_VERSION)) {
		fprintf(stderr, "libgcrypt version mismatch\n");
		return 1;
	}
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
