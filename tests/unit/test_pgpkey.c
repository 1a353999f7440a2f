/* test_pgpkey.c — S-expression, keygrip and fingerprint of RSA, P-256,
 * P-384 and Ed25519 public keys, checked against libgcrypt itself and
 * against keys made by gpg 2.2.40. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <gcrypt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "hex.h"
#include "pgpkey.h"
#include "../tools/ecsoft.h"

/* gpg --batch --faked-system-time '20200101T000000!' --quick-gen-key
 * 'Vector <v@example.org>' rsa2048 sign never; n and e from gpg --export. */
static const char vec_n[] =
    "ba86c50c0bb7933fcb9a7762e5ce7780c05174c0e6e89e61bf838be595b38f49"
    "9d9572175b5aa11de9fec4f5afde31d02ee650b56110071041cfdad0a0872beb"
    "7ee5cef147fa90c897b47188de5a14d4e31ab981a2308cd55785a12bc2d6a46d"
    "d14e334577d3ac48eb597b6bdc7e5769c2d339ea2128b45c2b68d4291119e9ca"
    "4c6fdce7b570fd7ef2c94d7f1922c473da9bf5ecbe6702625bec44cb5dcd2cc3"
    "0fe1de686e069b11a2803361ae7fc9130386d32ec8ce6b5b91bb88393c868e57"
    "f34c50dc130d2ba04c8c975f62415106d3d162c5baba1e48ce6c37710318cdae"
    "5e1b04eb5be46abd4a1a39f580bab08f272737ef7775fc43d73ea1a70a7ef59b";
static const uint8_t vec_e[] = { 0x01, 0x00, 0x01 };
static const uint32_t vec_created = 1577836800;   /* 2020-01-01T00:00:00Z */
static const char vec_fpr[] = "C218AF660169527A8851EE4836AC15E626660390";
static const char vec_grip[] = "45DBBBDB2E01A7F820DCABBCD246C8C69B7FA7D5";
static const uint8_t vec_keyid[] = { 0x36, 0xAC, 0x15, 0xE6, 0x26, 0x66, 0x03, 0x90 };

static void
vec_modulus(uint8_t *n, size_t *n_len)
{
	assert_int_equal(hex_decode(vec_n, strlen(vec_n), n, PGPKEY_MAX_MODULUS, n_len), 0);
	assert_int_equal(*n_len, 256);
}

/* A syntactically fine odd modulus of LEN bytes starting with TOP. */
static void
fake_modulus(uint8_t *n, size_t len, uint8_t top)
{
	for (size_t i = 0; i < len; i++)
		n[i] = (uint8_t)(0x5A ^ (i * 7));
	n[0] = top;
	n[len - 1] |= 1;
}

static int
memmem_has(const uint8_t *hay, size_t hay_len, const void *needle, size_t len)
{
	return memmem(hay, hay_len, needle, len) != NULL;
}

#define HAS(key, lit) memmem_has((key).sexp, (key).sexp_len, (lit), sizeof(lit) - 1)

static void
test_gpg_vector(void **state)
{
	uint8_t n[PGPKEY_MAX_MODULUS];
	size_t n_len;
	struct pgpkey key;

	(void)state;
	vec_modulus(n, &n_len);
	assert_int_equal(pgpkey_from_rsa(n, n_len, vec_e, sizeof(vec_e), vec_created, &key), 0);
	assert_string_equal(key.fpr, vec_fpr);
	assert_string_equal(key.grip, vec_grip);
	assert_memory_equal(key.keyid, vec_keyid, sizeof(vec_keyid));
	assert_int_equal(key.bits, 2048);
	assert_int_equal(key.created, vec_created);

	/* The creation time is part of the fingerprint, not of the grip. */
	assert_int_equal(pgpkey_from_rsa(n, n_len, vec_e, sizeof(vec_e), vec_created + 1, &key), 0);
	assert_string_not_equal(key.fpr, vec_fpr);
	assert_string_equal(key.grip, vec_grip);
}

/* The keygrip and the S-expression must be what libgcrypt makes of the key
 * when it holds it as numbers, the way gpg-agent builds it ("%m").  The key
 * comes from OpenSSL: libgcrypt's own key generation leaves its RNG pool
 * allocated, which LeakSanitizer reports. */
static void
test_grip_matches_gcrypt(void **state)
{
	EVP_PKEY *pkey = NULL;
	BIGNUM *bn = NULL;
	gcry_sexp_t pub = NULL;
	gcry_mpi_t nm = NULL, em = NULL;
	uint8_t n[PGPKEY_MAX_MODULUS], e[16], grip[20], canon[PGPKEY_MAX_SEXP];
	size_t n_len, e_len, canon_len;
	char griphex[PGPKEY_GRIP_HEX];
	struct pgpkey key;

	(void)state;
	assert_non_null(pkey = EVP_RSA_gen(2048));
	assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
	n_len = (size_t)BN_bn2bin(bn, n);
	BN_free(bn);
	bn = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &bn), 1);
	e_len = (size_t)BN_bn2bin(bn, e);
	BN_free(bn);
	EVP_PKEY_free(pkey);

	assert_int_equal(gcry_mpi_scan(&nm, GCRYMPI_FMT_USG, n, n_len, NULL), 0);
	assert_int_equal(gcry_mpi_scan(&em, GCRYMPI_FMT_USG, e, e_len, NULL), 0);
	assert_int_equal(gcry_sexp_build(&pub, NULL, "(public-key(rsa(n%m)(e%m)))", nm, em), 0);

	assert_int_equal(pgpkey_from_rsa(n, n_len, e, e_len, 0, &key), 0);
	assert_non_null(gcry_pk_get_keygrip(pub, grip));
	assert_int_equal(hex_encode(grip, sizeof(grip), griphex, sizeof(griphex)), 0);
	assert_string_equal(key.grip, griphex);
	canon_len = gcry_sexp_sprint(pub, GCRYSEXP_FMT_CANON, canon, sizeof(canon));
	assert_int_equal(canon_len, key.sexp_len);
	assert_memory_equal(canon, key.sexp, canon_len);
	/* A 2048-bit n always has its top bit set: prefixed. */
	assert_true(HAS(key, "(1:n257:\0"));

	gcry_sexp_release(pub);
	gcry_mpi_release(nm);
	gcry_mpi_release(em);
}

/* scd-protocol §5.2/§5.3: one 0x00 before a top-bit-set n (and only then);
 * the grip is SHA-1 over n exactly as stored. */
static void
test_top_bit(void **state)
{
	uint8_t n[257], expect[20], e[] = { 0x01, 0x00, 0x01 };
	char hexgrip[PGPKEY_GRIP_HEX];
	struct pgpkey key;

	(void)state;
	fake_modulus(n + 1, 256, 0xC3);
	n[0] = 0;
	assert_int_equal(pgpkey_from_rsa(n + 1, 256, e, sizeof(e), 0, &key), 0);
	assert_true(HAS(key, "(1:n257:\0\xC3"));
	assert_true(HAS(key, "(1:e3:\x01\x00\x01)"));
	gcry_md_hash_buffer(GCRY_MD_SHA1, expect, n, 257);
	assert_int_equal(hex_encode(expect, sizeof(expect), hexgrip, sizeof(hexgrip)), 0);
	assert_string_equal(key.grip, hexgrip);
	assert_int_equal(key.bits, 2048);

	fake_modulus(n, 256, 0x7F);
	assert_int_equal(pgpkey_from_rsa(n, 256, e, sizeof(e), 0, &key), 0);
	assert_true(HAS(key, "(1:n256:\x7F"));
	gcry_md_hash_buffer(GCRY_MD_SHA1, expect, n, 256);
	assert_int_equal(hex_encode(expect, sizeof(expect), hexgrip, sizeof(hexgrip)), 0);
	assert_string_equal(key.grip, hexgrip);
	assert_int_equal(key.bits, 2047);

	/* e = 0x80000001 has its top bit set too. */
	{
		uint8_t e2[] = { 0x80, 0x00, 0x00, 0x01 };

		assert_int_equal(pgpkey_from_rsa(n, 256, e2, sizeof(e2), 0, &key), 0);
		assert_true(HAS(key, "(1:e5:\0\x80\0\0\x01)"));
	}
}

static void
test_leading_zeros(void **state)
{
	uint8_t n[PGPKEY_MAX_MODULUS], padded[PGPKEY_MAX_MODULUS + 3];
	uint8_t e_padded[] = { 0x00, 0x00, 0x01, 0x00, 0x01 };
	size_t n_len;
	struct pgpkey a, b;

	(void)state;
	vec_modulus(n, &n_len);
	memset(padded, 0, 3);
	memcpy(padded + 3, n, n_len);
	assert_int_equal(pgpkey_from_rsa(n, n_len, vec_e, sizeof(vec_e), vec_created, &a), 0);
	assert_int_equal(pgpkey_from_rsa(padded, n_len + 3, e_padded, sizeof(e_padded),
	                                 vec_created, &b), 0);
	assert_int_equal(b.n_len, 256);
	assert_int_equal(b.e_len, 3);
	assert_string_equal(a.fpr, b.fpr);
	assert_string_equal(a.grip, b.grip);
	assert_int_equal(a.sexp_len, b.sexp_len);
	assert_memory_equal(a.sexp, b.sexp, a.sexp_len);
}

static void
test_rsa_rejects(void **state)
{
	uint8_t n[PGPKEY_MAX_MODULUS + 1], e[17];
	uint8_t e3[] = { 3 }, e1[] = { 1 }, e_even[] = { 0x01, 0x00, 0x00 }, zero[] = { 0, 0 };
	struct pgpkey key;

	(void)state;
	fake_modulus(n, 256, 0xC0);
	/* Fine as a baseline, with e = 3. */
	assert_int_equal(pgpkey_from_rsa(n, 256, e3, 1, 0, &key), 0);
	assert_int_equal(key.e_len, 1);

	assert_int_equal(gpg_err_code(pgpkey_from_rsa(n, 256, e1, 1, 0, &key)), GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(pgpkey_from_rsa(n, 256, e_even, 3, 0, &key)), GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(pgpkey_from_rsa(n, 256, zero, 2, 0, &key)), GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(pgpkey_from_rsa(n, 256, e3, 0, 0, &key)), GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(pgpkey_from_rsa(NULL, 0, e3, 1, 0, &key)), GPG_ERR_INV_VALUE);
	assert_int_equal(gpg_err_code(pgpkey_from_rsa(zero, 2, e3, 1, 0, &key)), GPG_ERR_INV_VALUE);
	/* key is zeroed on failure */
	assert_int_equal(key.sexp_len, 0);
	assert_string_equal(key.fpr, "");

	memset(e, 0x11, sizeof(e));
	assert_int_equal(gpg_err_code(pgpkey_from_rsa(n, 256, e, 17, 0, &key)), GPG_ERR_INV_VALUE);
	assert_int_equal(pgpkey_from_rsa(n, 256, e, 16, 0, &key), 0);

	/* even modulus */
	n[255] &= 0xFE;
	assert_int_equal(gpg_err_code(pgpkey_from_rsa(n, 256, e3, 1, 0, &key)), GPG_ERR_INV_VALUE);

	/* 1023 bits is too small, 1024 is fine */
	fake_modulus(n, 128, 0x7F);
	assert_int_equal(gpg_err_code(pgpkey_from_rsa(n, 128, e3, 1, 0, &key)), GPG_ERR_INV_VALUE);
	fake_modulus(n, 128, 0x80);
	assert_int_equal(pgpkey_from_rsa(n, 128, e3, 1, 0, &key), 0);
	assert_int_equal(key.bits, 1024);

	/* 4096 bits is the maximum */
	fake_modulus(n, PGPKEY_MAX_MODULUS, 0xFF);
	assert_int_equal(pgpkey_from_rsa(n, PGPKEY_MAX_MODULUS, e3, 1, 0, &key), 0);
	assert_int_equal(key.bits, 4096);
	fake_modulus(n, PGPKEY_MAX_MODULUS + 1, 0x01);
	assert_int_equal(gpg_err_code(pgpkey_from_rsa(n, PGPKEY_MAX_MODULUS + 1, e3, 1, 0, &key)),
	                 GPG_ERR_INV_VALUE);
}

static void
test_sexp_roundtrip(void **state)
{
	uint8_t n[PGPKEY_MAX_MODULUS];
	size_t n_len;
	struct pgpkey a, b;

	(void)state;
	vec_modulus(n, &n_len);
	assert_int_equal(pgpkey_from_rsa(n, n_len, vec_e, sizeof(vec_e), vec_created, &a), 0);
	assert_int_equal(pgpkey_from_sexp(a.sexp, a.sexp_len, vec_created, &b), 0);
	assert_int_equal(memcmp(&a, &b, sizeof(a)), 0);
	assert_string_equal(b.fpr, vec_fpr);

	/* 4096 bits with top bit set: the largest sexp we make must fit. */
	fake_modulus(n, PGPKEY_MAX_MODULUS, 0xE1);
	assert_int_equal(pgpkey_from_rsa(n, PGPKEY_MAX_MODULUS, vec_e, sizeof(vec_e), 7, &a), 0);
	assert_int_equal(pgpkey_from_sexp(a.sexp, a.sexp_len, 7, &b), 0);
	assert_int_equal(memcmp(&a, &b, sizeof(a)), 0);
}

static gpg_error_t
sexp_try(const char *s, size_t len)
{
	struct pgpkey key;
	gpg_error_t err;

	err = pgpkey_from_sexp((const uint8_t *)s, len, 0, &key);
	if (err)
		assert_int_equal(key.sexp_len, 0);
	return err;
}

#define TRY(lit) sexp_try((lit), sizeof(lit) - 1)

static void
test_sexp_rejects(void **state)
{
	uint8_t n[PGPKEY_MAX_MODULUS], big[PGPKEY_MAX_SEXP + 1];
	size_t n_len;
	struct pgpkey a, key;
	char buf[PGPKEY_MAX_SEXP + 64];
	size_t off;

	(void)state;
	vec_modulus(n, &n_len);
	assert_int_equal(pgpkey_from_rsa(n, n_len, vec_e, sizeof(vec_e), 0, &a), 0);

	assert_int_equal(gpg_err_code(pgpkey_from_sexp(a.sexp, 0, 0, &key)), GPG_ERR_NO_DATA);
	assert_int_equal(gpg_err_code(pgpkey_from_sexp(NULL, 5, 0, &key)), GPG_ERR_NO_DATA);
	/* every truncation fails */
	for (size_t i = 1; i < a.sexp_len; i++)
		assert_int_not_equal(pgpkey_from_sexp(a.sexp, i, 0, &key), 0);
	/* trailing garbage */
	memcpy(buf, a.sexp, a.sexp_len);
	buf[a.sexp_len] = ')';
	assert_int_not_equal(sexp_try(buf, a.sexp_len + 1), 0);
	/* too large */
	memset(big, '(', sizeof(big));
	assert_int_equal(gpg_err_code(pgpkey_from_sexp(big, sizeof(big), 0, &key)), GPG_ERR_TOO_LARGE);

	/* advanced (non-canonical) syntax */
	assert_int_equal(gpg_err_code(TRY("(public-key(rsa(n #00C1#)(e #010001#)))")),
	                 GPG_ERR_INV_SEXP);
	/* other algorithms and curves */
	assert_int_equal(gpg_err_code(TRY("(10:public-key(3:dsa(1:p1:\x01)(1:q1:\x01)))")),
	                 GPG_ERR_WRONG_PUBKEY_ALGO);
	assert_int_equal(gpg_err_code(TRY("(10:public-key(3:ecc(5:curve10:NIST P-521)(1:q1:\x04)))")),
	                 GPG_ERR_WRONG_PUBKEY_ALGO);
	assert_int_equal(gpg_err_code(TRY("(10:public-key(3:ecc(5:curve7:ed25519)"
	                                       "(5:flags5:eddsa)(1:q1:\x40)))")),
	                 GPG_ERR_WRONG_PUBKEY_ALGO);
	/* Ed25519 with a point of one byte */
	assert_int_equal(gpg_err_code(TRY("(10:public-key(3:ecc(5:curve7:Ed25519)"
	                                       "(5:flags5:eddsa)(1:q1:\x40)))")),
	                 GPG_ERR_INV_VALUE);
	/* a private key, or something else at the top */
	assert_int_equal(gpg_err_code(TRY("(11:private-key(3:rsa(1:n1:\x01)(1:e1:\x03)))")),
	                 GPG_ERR_INV_SEXP);
	/* e before n, missing e, extra element, nested n */
	assert_int_equal(gpg_err_code(TRY("(10:public-key(3:rsa(1:e1:\x03)(1:n1:\x01)))")),
	                 GPG_ERR_INV_SEXP);
	assert_int_equal(gpg_err_code(TRY("(10:public-key(3:rsa(1:n1:\x01)))")),
	                 GPG_ERR_INV_SEXP);
	assert_int_equal(gpg_err_code(TRY("(10:public-key(3:rsa(1:n1:\x01)(1:e1:\x03)(1:x1:\x01)))")), GPG_ERR_INV_SEXP);
	assert_int_equal(gpg_err_code(TRY("(10:public-key(3:rsa(1:n1:\x01)(1:e1:\x03)1:x))")), GPG_ERR_INV_SEXP);
	assert_int_equal(gpg_err_code(TRY("(10:public-key(3:rsa(1:x(1:n1:\x01))(1:e1:\x03)))")), GPG_ERR_INV_SEXP);
	/* well-formed but a toy modulus */
	assert_int_equal(gpg_err_code(TRY("(10:public-key(3:rsa(1:n1:\x01)(1:e1:\x03)))")),
	                 GPG_ERR_INV_VALUE);

	/* n without the 0x00 prefix is accepted; the sexp comes back prefixed. */
	off = (size_t)snprintf(buf, sizeof(buf), "(10:public-key(3:rsa(1:n256:");
	memcpy(buf + off, n, n_len);
	off += n_len;
	memcpy(buf + off, ")(1:e3:\x01\x00\x01)))", 13);
	off += 13;
	assert_int_equal(pgpkey_from_sexp((uint8_t *)buf, off, 0, &key), 0);
	assert_int_equal(key.sexp_len, a.sexp_len);
	assert_memory_equal(key.sexp, a.sexp, a.sexp_len);
}

static void
test_packet_body(void **state)
{
	uint8_t n[PGPKEY_MAX_MODULUS], body[600];
	size_t n_len, len = 99;
	struct pgpkey key;

	(void)state;
	vec_modulus(n, &n_len);
	assert_int_equal(pgpkey_from_rsa(n, n_len, vec_e, sizeof(vec_e), vec_created, &key), 0);
	assert_int_equal(pgpkey_packet_body(&key, body, sizeof(body), &len), 0);
	assert_int_equal(len, 6 + 2 + 256 + 2 + 3);
	assert_memory_equal(body, "\x04\x5e\x0b\xe1\x00\x01\x08\x00", 8);
	assert_memory_equal(body + 8, n, 256);
	assert_memory_equal(body + 264, "\x00\x11\x01\x00\x01", 5);
	assert_int_equal(gpg_err_code(pgpkey_packet_body(&key, body, len - 1, &len)),
	                 GPG_ERR_BUFFER_TOO_SHORT);
	assert_int_equal(len, 0);
}

/* A subkey has the same kind of fingerprint as a primary key, over its own
 * creation time (RFC 4880 §12.2): gpg --quick-gen-key 'Vec <v@example.org>'
 * rsa1024 cert never (2020-01-01), then --quick-add-key FPR rsa1024 sign
 * never at 2020-01-02; this is the subkey, as gpg --list-keys showed it. */
static const char sub_n[] =
    "D263F96AE828580DD7E2107CBFC2278B079CAA1BCB9FFE33670235F47BC9EBCC"
    "0653AE3680039611379C4ECF9889CEB4A7222A0E7774AB5D78B385D1EB251734"
    "6FF337BE28E211F9159D03C65357E5293D1C8BD4D8791CCC921D33C0C26DD861"
    "DB557F6D457CA92DC5729FE784E3C67E7F14DC757F6AF2B7AA9F1CABA624124B";
static const char sub_fpr[] = "3D947D6E63963EF536E23EC5926195BB980FEA2C";

static void
test_subkey_vector(void **state)
{
	uint8_t n[PGPKEY_MAX_MODULUS], hf[PGPKEY_MAX_HASH_FORM], body[PGPKEY_MAX_BODY], sha1[20];
	char hexfpr[41];
	size_t n_len = 0, hf_len = 0, body_len = 0;
	struct pgpkey key;

	(void)state;
	assert_int_equal(hex_decode(sub_n, strlen(sub_n), n, sizeof(n), &n_len), 0);
	assert_int_equal(pgpkey_from_rsa(n, n_len, vec_e, sizeof(vec_e), 1577923200, &key), 0);
	assert_string_equal(key.fpr, sub_fpr);

	/* the hash form: 0x99, length, body; its SHA-1 is the fingerprint */
	assert_int_equal(pgpkey_hash_form(&key, hf, sizeof(hf), &hf_len), 0);
	assert_int_equal(pgpkey_packet_body(&key, body, sizeof(body), &body_len), 0);
	assert_int_equal(hf_len, 3 + body_len);
	assert_int_equal(hf[0], 0x99);
	assert_int_equal((size_t)hf[1] << 8 | hf[2], body_len);
	assert_memory_equal(hf + 3, body, body_len);
	gcry_md_hash_buffer(GCRY_MD_SHA1, sha1, hf, hf_len);
	assert_int_equal(hex_encode(sha1, sizeof(sha1), hexfpr, sizeof(hexfpr)), 0);
	assert_string_equal(hexfpr, sub_fpr);

	/* too small a buffer: nothing claimed */
	assert_int_equal(gpg_err_code(pgpkey_hash_form(&key, hf, hf_len - 1, &hf_len)),
	                 GPG_ERR_BUFFER_TOO_SHORT);
	assert_int_equal(hf_len, 0);
	assert_int_equal(gpg_err_code(pgpkey_hash_form(&key, hf, 2, &hf_len)), GPG_ERR_BUFFER_TOO_SHORT);
	memset(&key, 0, sizeof(key));
	assert_int_equal(gpg_err_code(pgpkey_hash_form(&key, hf, sizeof(hf), &hf_len)), GPG_ERR_INV_VALUE);
}

/* gpg --batch --faked-system-time '20200101T000000!' --quick-gen-key
 * 'Vec <algo> <v@example.org>' nistp256|ed25519 sign never: the point
 * from the exported key packet, fingerprint and keygrip as gpg lists
 * them. */
static const struct {
	enum pgpkey_type type;
	const char *q;
	const char *fpr, *grip;
} ec_vec[] = {
	{ PGPKEY_P256,
	  "04f9b810b768584609a2112390e7ae361732ebeba91a133446b59da404ac287fcc016f3345dfa4594a85f52afb02b4"
	  "04485b31006de4c5ac6b9c27c21b2e5f18e8",
	  "E83CF0ABDF8646CD42317B4CC4CA99F04BFA5A8E", "EE61D1F10266AF91589844ADC6C1DC3CCC6905A4" },
	{ PGPKEY_ED25519, "40941d659995bf4b1762abd0148e4586e3bc72e00e8020959583b5501ec68edca8",
	  "74DFDDFF0DFC68687B869F49119CE7ADBA2675C6", "B3B1125C611324D308E5A9F364267635AC79C1E2" },
};

static void
test_ec_gpg_vector(void **state)
{
	uint8_t q[PGPKEY_MAX_Q];
	struct pgpkey key, again;
	size_t q_len = 0;
	char name[PGPKEY_NAME_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(ec_vec) / sizeof(ec_vec[0]); i++) {
		assert_int_equal(hex_decode(ec_vec[i].q, strlen(ec_vec[i].q), q, sizeof(q), &q_len), 0);
		assert_int_equal(pgpkey_from_ec(ec_vec[i].type, q, q_len, vec_created, &key), 0);
		assert_string_equal(key.fpr, ec_vec[i].fpr);
		assert_string_equal(key.grip, ec_vec[i].grip);
		assert_int_equal(key.algo, ec_vec[i].type == PGPKEY_ED25519 ? 22 : 19);
		/* the S-expression READKEY sends parses back to the same key */
		assert_int_equal(pgpkey_from_sexp(key.sexp, key.sexp_len, vec_created, &again), 0);
		assert_memory_equal(&key, &again, sizeof(key));
		assert_int_equal(pgpkey_name(&key, name, sizeof(name)), 0);
		assert_string_equal(name, ec_vec[i].type == PGPKEY_ED25519 ? "ed25519" : "nistp256");
	}
	/* Ed25519 as the token gives it: 32 bytes without the prefix */
	assert_int_equal(hex_decode(ec_vec[1].q, strlen(ec_vec[1].q), q, sizeof(q), &q_len), 0);
	assert_int_equal(pgpkey_from_ec(PGPKEY_ED25519, q + 1, 32, vec_created, &again), 0);
	assert_string_equal(again.fpr, ec_vec[1].fpr);
	assert_int_equal(again.q_len, 33);
	assert_int_equal(again.q[0], 0x40);
	/* A point on which libgcrypt 1.10's gcry_mpi_ec_curve_point() aborts
	 * the process (found by fuzz/pgpkey_sexp): an answer, not a crash. */
	assert_int_equal(hex_decode("40941d659995bf4b1762abd0148e4586e3bc72e00e80209595"
	                            "0000000000000000", 66, q, sizeof(q), &q_len), 0);
	(void)pgpkey_from_ec(PGPKEY_ED25519, q, q_len, vec_created, &again);
}

/* The S-expressions of scd-protocol §5.2, byte for byte, and keygrips
 * equal to libgcrypt's own for keys of every curve (made by OpenSSL). */
static void
test_ec_grip_matches_gcrypt(void **state)
{
	static const struct {
		enum pgpkey_type type;
		const char *prefix;     /* canonical start of the S-expression */
	} t[] = {
		{ PGPKEY_P256, "(10:public-key(3:ecc(5:curve10:NIST P-256)(1:q65:\x04" },
		{ PGPKEY_P384, "(10:public-key(3:ecc(5:curve10:NIST P-384)(1:q97:\x04" },
		{ PGPKEY_ED25519, "(10:public-key(3:ecc(5:curve7:Ed25519)(5:flags5:eddsa)(1:q33:\x40" },
	};
	uint8_t bad[PGPKEY_MAX_Q];
	struct ecsoft ek;
	struct pgpkey key;
	const struct pgpkey *k = &ek.key[0];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&ek, 0, sizeof(ek));
		assert_true(ecsoft_make_key(&ek, 0, t[i].type, 7));
		assert_string_equal(k->grip, ek.grip[0]);
		assert_memory_equal(k->sexp, t[i].prefix, strlen(t[i].prefix));
		assert_int_equal(k->sexp_len, strlen(t[i].prefix) + k->q_len - 1 + 3);
		memcpy(bad, k->q, k->q_len);
		/* a point off the curve is refused */
		bad[k->q_len - 1] ^= 0x01;
		if (t[i].type != PGPKEY_ED25519)
			assert_int_equal(gpg_err_code(pgpkey_from_ec(t[i].type, bad, k->q_len, 7, &key)),
			                 GPG_ERR_INV_VALUE);
		/* the wrong length for the curve */
		assert_int_equal(gpg_err_code(pgpkey_from_ec(t[i].type, bad, k->q_len - 2, 7, &key)),
		                 GPG_ERR_INV_VALUE);
		/* a compressed NIST point is not what a token gives; an Ed25519
		 * point with another prefix is no point */
		bad[0] = 0x02;
		assert_int_equal(gpg_err_code(pgpkey_from_ec(t[i].type, bad, k->q_len, 7, &key)),
		                 GPG_ERR_INV_VALUE);
		ecsoft_free(&ek);
	}
	assert_int_equal(gpg_err_code(pgpkey_from_ec(PGPKEY_RSA, (const uint8_t *)"\x04", 1, 7, &key)),
	                 GPG_ERR_WRONG_PUBKEY_ALGO);
}

/* The names gpg uses, both ways; anything else is no type. */
static void
test_names(void **state)
{
	unsigned int bits;

	(void)state;
	assert_int_equal(pgpkey_type_by_name("nistp256", &bits), PGPKEY_P256);
	assert_int_equal(bits, 256);
	assert_int_equal(pgpkey_type_by_name("nistp384", &bits), PGPKEY_P384);
	assert_int_equal(pgpkey_type_by_name("ed25519", &bits), PGPKEY_ED25519);
	assert_int_equal(bits, 255);
	assert_int_equal(pgpkey_type_by_name("rsa3072", &bits), PGPKEY_RSA);
	assert_int_equal(bits, 3072);
	assert_int_equal(pgpkey_type_by_name("rsa512", &bits), PGPKEY_NONE);
	assert_int_equal(pgpkey_type_by_name("rsa09999", &bits), PGPKEY_NONE);
	assert_int_equal(pgpkey_type_by_name("nistp521", &bits), PGPKEY_NONE);
	assert_int_equal(pgpkey_type_by_name("p256", &bits), PGPKEY_NONE);
	assert_int_equal(bits, 0);
	assert_string_equal(pgpkey_curve_name(PGPKEY_P384), "NIST P-384");
	assert_null(pgpkey_curve_name(PGPKEY_RSA));
	assert_int_equal(pgpkey_type_algo(PGPKEY_ED25519), 22);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpg_vector),
		cmocka_unit_test(test_grip_matches_gcrypt),
		cmocka_unit_test(test_top_bit),
		cmocka_unit_test(test_leading_zeros),
		cmocka_unit_test(test_rsa_rejects),
		cmocka_unit_test(test_sexp_roundtrip),
		cmocka_unit_test(test_sexp_rejects),
		cmocka_unit_test(test_packet_body),
		cmocka_unit_test(test_subkey_vector),
		cmocka_unit_test(test_ec_gpg_vector),
		cmocka_unit_test(test_ec_grip_matches_gcrypt),
		cmocka_unit_test(test_names),
	};

	/* Programs initialise libgcrypt once at start-up (pgpkey.h). */
	if (!gcry_check_version(GCRYPT_VERSION)) {
		fprintf(stderr, "libgcrypt version mismatch\n");
		return 1;
	}
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
