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

#include "hashalgo.h"
#include "hex.h"
#include "pgpcert.h"
#include "pgpkey.h"
#include "softkey.h"

/* Keys come from OpenSSL: libgcrypt's own key generation leaves its RNG
 * pool allocated, which LeakSanitizer reports. */
struct fixture {
	EVP_PKEY *pkey;
	struct pgpkey key;
	int calls;
	gpg_error_t fail_with;      /* callback returns this */
	int corrupt;                /* callback flips a bit of the signature */
	int oversize;               /* callback claims one byte too many */
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
	return softkey_new(2048, 1577836800, &fx->pkey, &fx->key);
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	EVP_PKEY_free(fx->pkey);
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
}

/* EVP_PKEY_{sign,verify} with RSA_PKCS1_PADDING and no signature md: the
 * input is the DigestInfo as given. */
static int
pkcs1(EVP_PKEY *pkey, int sign, const uint8_t *digest, uint8_t *sig, size_t *siglen)
{
	const struct hashalgo *algo = hashalgo_by_name("sha256");
	uint8_t di[HASHALGO_MAX_DIGESTINFO];
	EVP_PKEY_CTX *ctx;
	int ok;

	memcpy(di, algo->prefix, algo->prefix_len);
	memcpy(di + algo->prefix_len, digest, 32);
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	if (sign)
		ok = ctx != NULL && EVP_PKEY_sign_init(ctx) > 0 &&
		     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
		     EVP_PKEY_sign(ctx, sig, siglen, di, algo->prefix_len + 32) > 0;
	else
		ok = ctx != NULL && EVP_PKEY_verify_init(ctx) > 0 &&
		     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
		     EVP_PKEY_verify(ctx, sig, *siglen, di, algo->prefix_len + 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* The project key's callback, in software: modulus-length output. */
static gpg_error_t
sign_soft(void *opaque, const struct hashalgo *algo, const uint8_t *digest, size_t digest_len,
          uint8_t *sig, size_t sigmax, size_t *siglen)
{
	struct fixture *fx = opaque;
	size_t len = sigmax;

	fx->calls++;
	*siglen = 0;
	assert_string_equal(algo->name, "sha256");
	assert_int_equal(digest_len, 32);
	if (fx->fail_with)
		return fx->fail_with;
	assert_true(pkcs1(fx->pkey, 1, digest, sig, &len));
	assert_int_equal(len, fx->key.n_len);
	*siglen = len;
	if (fx->corrupt)
		sig[*siglen - 1] ^= 0x01;
	if (fx->oversize)
		*siglen += 1;
	memcpy(fx->last_sig, sig, len);
	fx->last_sig_len = len;
	return 0;
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
	assert_int_equal(pgpcert_build(&fx->key, uid, sign_soft, fx, cert, sizeof(cert), &len), 0);
	assert_int_equal(fx->calls, 1);

	/* public key packet = pgpkey_packet_body */
	assert_int_equal(read_packet(cert, len, &off, &plen), 6);
	assert_int_equal(pgpkey_packet_body(&fx->key, body, sizeof(body), &body_len), 0);
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
	assert_int_equal(hex_decode(fx->key.fpr, 40, fpr, sizeof(fpr), &i), 0);
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
	assert_memory_equal(sig + sig_off + 4, fx->key.keyid, 8);
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
		size_t flen = fx->key.n_len;

		memcpy(full + flen - (mpi_bits + 7) / 8, mpi, (mpi_bits + 7) / 8);
		assert_true(pkcs1(fx->pkey, 0, digest, full, &flen));
		full[flen - 1] ^= 1;
		assert_false(pkcs1(fx->pkey, 0, digest, full, &flen));
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
		assert_int_equal(pgpcert_build(&fx->key, uid, sign_soft, fx, cert, sizeof(cert), &len), 0);
		if (fx->last_sig[0] == 0 && fx->last_sig[1] != 0)
			break;
	}
	assert_true(i < 5000);
	/* The MPI ends the certificate: 2-byte bit count + n_len - 1 bytes. */
	mpi_off = len - (2 + fx->key.n_len - 1);
	bits = (unsigned int)(cert[mpi_off] << 8 | cert[mpi_off + 1]);
	for (want = 8; want > 0 && !(fx->last_sig[1] & (1u << (want - 1))); want--)
		;
	assert_int_equal(bits, 8 * (fx->key.n_len - 2) + want);
	assert_memory_equal(cert + mpi_off + 2, fx->last_sig + 1, fx->key.n_len - 1);
}

static gpg_error_t
build_uid(struct fixture *fx, const char *uid)
{
	uint8_t cert[PGPCERT_MAX];
	size_t len = 99;
	gpg_error_t err;

	reset(fx);
	err = pgpcert_build(&fx->key, uid, sign_soft, fx, cert, sizeof(cert), &len);
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
	static const char *bad[] = {
		"", "a\nb", "tab\there", "del\x7f", "nel \xc2\x85", "overlong \xc0\xaf",
		"overlong3 \xe0\x80\xaf", "surrogate \xed\xa0\x80", "too big \xf4\x90\x80\x80",
		"truncated \xe2\x82", "lone \x80", "five \xf8\x88\x80\x80\x80", "ff \xff",
	};
	static const char *good[] = {
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
	assert_int_equal(gpg_err_code(pgpcert_build(&fx->key, "x", sign_soft, fx, cert, sizeof(cert), &len)),
	                 GPG_ERR_HARDWARE);
	assert_int_equal(len, 0);

	reset(fx);
	fx->corrupt = 1;
	assert_int_equal(gpg_err_code(pgpcert_build(&fx->key, "x", sign_soft, fx, cert, sizeof(cert), &len)),
	                 GPG_ERR_BAD_SIGNATURE);
	assert_int_equal(len, 0);

	reset(fx);
	fx->oversize = 1;
	assert_int_equal(gpg_err_code(pgpcert_build(&fx->key, "x", sign_soft, fx, cert, sizeof(cert), &len)),
	                 GPG_ERR_BAD_SIGNATURE);

	/* output buffer too small */
	reset(fx);
	assert_int_equal(pgpcert_build(&fx->key, "x", sign_soft, fx, cert, sizeof(cert), &len), 0);
	assert_int_equal(gpg_err_code(pgpcert_build(&fx->key, "x", sign_soft, fx, cert, len - 1, &len)),
	                 GPG_ERR_BUFFER_TOO_SHORT);
	assert_int_equal(len, 0);

	assert_int_equal(gpg_err_code(pgpcert_build(&fx->key, NULL, sign_soft, fx, cert, sizeof(cert), &len)),
	                 GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(pgpcert_build(&fx->key, "x", NULL, fx, cert, sizeof(cert), &len)),
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_sig_leading_zero),
		cmocka_unit_test(test_uid_rules),
		cmocka_unit_test(test_sign_failures),
		cmocka_unit_test(test_armor),
	};

	/* Programs initialise libgcrypt once at start-up (pgpkey.h). */
	if (!gcry_check_version(GCRYPT_VERSION)) {
		fprintf(stderr, "libgcrypt version mismatch\n");
		return 1;
	}
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
