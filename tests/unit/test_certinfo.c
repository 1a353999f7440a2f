/* test_certinfo.c — reading back a project certificate (agent/certinfo.c),
 * which `signet` treats as untrusted input: a certificate made by
 * pgpcert_build() with a software key parses to that key, and every kind of
 * damage (truncation, bad headers, bad versions and algorithms, trailing
 * bytes, bad user IDs, too many packets, oversize input) is refused with
 * the documented error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <gcrypt.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "hashalgo.h"
#include "pgpcert.h"
#include "pgpkey.h"
#include "softkey.h"
#include "../../agent/certinfo.h"

#define UID "Project acme <acme@signet.test>"

struct fixture {
	EVP_PKEY *pkey;
	struct pgpkey key;
	uint8_t cert[PGPCERT_MAX];
	size_t len;
	size_t pub_end;             /* offset just after the public-key packet */
	size_t uid_end;             /* ... and after the user ID packet */
};

static gpg_error_t
sign_soft(void *opaque, const struct pgpkey *signer, const struct hashalgo *algo,
          const uint8_t *digest, size_t digest_len, uint8_t *sig, size_t sigmax, size_t *siglen)
{
	struct fixture *fx = opaque;

	assert_string_equal(signer->fpr, fx->key.fpr);
	return softkey_pkcs1(fx->pkey, 0, algo, digest, digest_len, sig, sigmax, siglen) ? 0 :
	       gpg_error(GPG_ERR_GENERAL);
}

/* Length of the new-format packet at OFF (header + body). */
static size_t
packet_size(const uint8_t *p, size_t off)
{
	uint8_t l = p[off + 1];

	if (l < 192)
		return 2 + l;
	if (l < 224)
		return 3 + ((size_t)(l - 192) << 8) + p[off + 2] + 192;
	return 6 + (((size_t)p[off + 2] << 24) | ((size_t)p[off + 3] << 16) |
	            ((size_t)p[off + 4] << 8) | p[off + 5]);
}

static int
setup(void **state)
{
	struct fixture *fx;

	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	*state = fx;
	if (softkey_new(2048, 1577836800, &fx->pkey, &fx->key) != 0 ||
	    pgpcert_build(&fx->key, PGPCERT_PRIMARY_LEGACY, UID, NULL, 0, sign_soft, fx, fx->cert, sizeof(fx->cert), &fx->len) != 0)
		return -1;
	fx->pub_end = packet_size(fx->cert, 0);
	fx->uid_end = fx->pub_end + packet_size(fx->cert, fx->pub_end);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	EVP_PKEY_free(fx->pkey);
	free(fx);
	return 0;
}

/* A new-format packet TAG with BODY/LEN appended at OUT + *POS. */
static void
put_packet(uint8_t *out, size_t outmax, size_t *pos, int tag, const void *body, size_t len)
{
	assert_true(len < 8384);
	assert_true(*pos + 3 + len <= outmax);
	out[(*pos)++] = (uint8_t)(0xC0 | tag);
	if (len < 192) {
		out[(*pos)++] = (uint8_t)len;
	} else {
		out[(*pos)++] = (uint8_t)(((len - 192) >> 8) + 192);
		out[(*pos)++] = (uint8_t)((len - 192) & 0xff);
	}
	memcpy(out + *pos, body, len);
	*pos += len;
}

static void
assert_parses_as_key(const struct fixture *fx, const struct certinfo *ci)
{
	assert_string_equal(ci->key.fpr, fx->key.fpr);
	assert_string_equal(ci->key.grip, fx->key.grip);
	assert_int_equal(ci->key.created, 1577836800);
	assert_int_equal(ci->key.bits, 2048);
}

static void
test_good(void **state)
{
	struct fixture *fx = *state;
	struct certinfo ci;

	assert_int_equal(certinfo_parse(fx->cert, fx->len, &ci), 0);
	assert_parses_as_key(fx, &ci);
	assert_string_equal(ci.uid, UID);
}

/* Every prefix: refused, except where it ends on a packet boundary. */
static void
test_truncated(void **state)
{
	struct fixture *fx = *state;
	struct certinfo ci;
	gpg_error_t err;
	size_t i;

	for (i = 0; i < fx->len; i++) {
		err = certinfo_parse(fx->cert, i, &ci);
		if (i == fx->pub_end || i == fx->uid_end) {
			assert_int_equal(err, 0);
			assert_parses_as_key(fx, &ci);
			assert_string_equal(ci.uid, i == fx->pub_end ? "" : UID);
		} else {
			assert_int_equal(gpg_err_code(err), GPG_ERR_INV_DATA);
			assert_string_equal(ci.key.fpr, "");   /* zeroed on error */
		}
	}
}

static void
test_too_large(void **state)
{
	struct fixture *fx = *state;
	struct certinfo ci;
	uint8_t *big = calloc(1, PGPCERT_MAX + 1);

	assert_non_null(big);
	memcpy(big, fx->cert, fx->len);
	assert_int_equal(gpg_err_code(certinfo_parse(big, PGPCERT_MAX + 1, &ci)), GPG_ERR_TOO_LARGE);
	free(big);
}

static void
test_pubkey_packet(void **state)
{
	struct fixture *fx = *state;
	uint8_t c[PGPCERT_MAX];
	struct certinfo ci;
	size_t hl = fx->cert[1] < 192 ? 2 : 3, pos;

	/* Version 3 keys are refused. */
	memcpy(c, fx->cert, fx->len);
	c[hl] = 3;
	assert_int_equal(gpg_err_code(certinfo_parse(c, fx->len, &ci)), GPG_ERR_INV_DATA);
	/* DSA (17) is not RSA; RSA sign-only (3) is. */
	memcpy(c, fx->cert, fx->len);
	c[hl + 5] = 17;
	assert_int_equal(gpg_err_code(certinfo_parse(c, fx->len, &ci)), GPG_ERR_PUBKEY_ALGO);
	c[hl + 5] = 3;
	assert_int_equal(certinfo_parse(c, fx->len, &ci), 0);
	assert_parses_as_key(fx, &ci);
	/* An MPI bit count larger than the packet. */
	memcpy(c, fx->cert, fx->len);
	c[hl + 6] = 0xff;
	assert_int_equal(gpg_err_code(certinfo_parse(c, fx->len, &ci)), GPG_ERR_INV_DATA);
	/* A byte after the exponent, inside the packet. */
	{
		uint8_t body[PGPCERT_MAX];
		size_t blen = fx->pub_end - hl;

		memcpy(body, fx->cert + hl, blen);
		body[blen] = 0;
		pos = 0;
		put_packet(c, sizeof(c), &pos, 6, body, blen + 1);
		assert_int_equal(gpg_err_code(certinfo_parse(c, pos, &ci)), GPG_ERR_INV_DATA);
		pos = 0;
		put_packet(c, sizeof(c), &pos, 6, body, blen);      /* the same, without it */
		assert_int_equal(certinfo_parse(c, pos, &ci), 0);
	}
	/* Too short for version, time and algorithm. */
	pos = 0;
	put_packet(c, sizeof(c), &pos, 6, "\x04\x00\x00\x00\x00", 5);
	assert_int_equal(gpg_err_code(certinfo_parse(c, pos, &ci)), GPG_ERR_INV_DATA);
	/* The first packet must be the public key. */
	pos = 0;
	put_packet(c, sizeof(c), &pos, 13, UID, strlen(UID));
	memcpy(c + pos, fx->cert, fx->pub_end);
	assert_int_equal(gpg_err_code(certinfo_parse(c, pos + fx->pub_end, &ci)), GPG_ERR_INV_DATA);
	/* A 512-bit modulus: pgpkey_from_rsa refuses it. */
	{
		uint8_t body[6 + 2 + 64 + 2 + 3] = { 4, 0x5E, 0x0B, 0xE1, 0x00, 1, 0x02, 0x00 };

		memset(body + 8, 0xC5, 64);
		body[8 + 64] = 0;
		body[8 + 65] = 17;
		memcpy(body + 8 + 66, "\x01\x00\x01", 3);
		pos = 0;
		put_packet(c, sizeof(c), &pos, 6, body, sizeof(body));
		assert_int_equal(gpg_err_code(certinfo_parse(c, pos, &ci)), GPG_ERR_INV_VALUE);
	}
}

/* The public-key packet of the fixture, then a user ID packet UID/LEN. */
static size_t
with_uid(const struct fixture *fx, uint8_t *c, size_t cmax, const void *uid, size_t len)
{
	size_t pos = fx->pub_end;

	memcpy(c, fx->cert, fx->pub_end);
	put_packet(c, cmax, &pos, 13, uid, len);
	return pos;
}

static void
test_user_id(void **state)
{
	struct fixture *fx = *state;
	uint8_t c[PGPCERT_MAX];
	char uid[PGPCERT_MAX_UID + 2];
	struct certinfo ci;
	size_t len;

	memset(uid, 'u', sizeof(uid));
	len = with_uid(fx, c, sizeof(c), uid, PGPCERT_MAX_UID);
	assert_int_equal(certinfo_parse(c, len, &ci), 0);
	assert_int_equal(strlen(ci.uid), PGPCERT_MAX_UID);
	len = with_uid(fx, c, sizeof(c), uid, PGPCERT_MAX_UID + 1);
	assert_int_equal(gpg_err_code(certinfo_parse(c, len, &ci)), GPG_ERR_INV_DATA);
	len = with_uid(fx, c, sizeof(c), "a\0b", 3);
	assert_int_equal(gpg_err_code(certinfo_parse(c, len, &ci)), GPG_ERR_INV_DATA);
	len = with_uid(fx, c, sizeof(c), "a\x1b[2Jb", 6);      /* a terminal escape */
	assert_int_equal(gpg_err_code(certinfo_parse(c, len, &ci)), GPG_ERR_INV_DATA);
	len = with_uid(fx, c, sizeof(c), "a\x7f", 2);
	assert_int_equal(gpg_err_code(certinfo_parse(c, len, &ci)), GPG_ERR_INV_DATA);
	/* UTF-8 is fine; the first user ID wins. */
	len = with_uid(fx, c, sizeof(c), "J\xc3\xb6rg <j@x>", 11);
	put_packet(c, sizeof(c), &len, 13, "second", 6);
	assert_int_equal(certinfo_parse(c, len, &ci), 0);
	assert_string_equal(ci.uid, "J\xc3\xb6rg <j@x>");
}

static void
test_headers(void **state)
{
	struct fixture *fx = *state;
	uint8_t c[PGPCERT_MAX];
	struct certinfo ci;
	size_t body = fx->pub_end - 3, pos;

	assert_int_equal(fx->cert[1] >= 192 && fx->cert[1] < 224, 1);
	/* Old format, 2-byte length: the same key. */
	c[0] = 0x80 | (6 << 2) | 1;
	c[1] = (uint8_t)(body >> 8);
	c[2] = (uint8_t)body;
	memcpy(c + 3, fx->cert + 3, fx->len - 3);
	assert_int_equal(certinfo_parse(c, fx->len, &ci), 0);
	assert_parses_as_key(fx, &ci);
	assert_string_equal(ci.uid, UID);
	/* Old format, 4-byte length. */
	c[0] = 0x80 | (6 << 2) | 2;
	c[1] = 0;
	c[2] = 0;
	c[3] = (uint8_t)(body >> 8);
	c[4] = (uint8_t)body;
	memcpy(c + 5, fx->cert + 3, fx->pub_end - 3);
	assert_int_equal(certinfo_parse(c, fx->pub_end + 2, &ci), 0);
	/* Old format, indeterminate length: refused. */
	c[0] = 0x80 | (6 << 2) | 3;
	assert_int_equal(gpg_err_code(certinfo_parse(c, fx->pub_end + 2, &ci)), GPG_ERR_INV_DATA);
	/* New format, 5-byte length. */
	c[0] = 0xC6;
	c[1] = 0xff;
	c[2] = 0;
	c[3] = 0;
	c[4] = (uint8_t)(body >> 8);
	c[5] = (uint8_t)body;
	memcpy(c + 6, fx->cert + 3, body);
	assert_int_equal(certinfo_parse(c, body + 6, &ci), 0);
	/* ... claiming more than there is (and 4 GiB). */
	c[2] = 0xff;
	assert_int_equal(gpg_err_code(certinfo_parse(c, body + 6, &ci)), GPG_ERR_INV_DATA);
	/* New format, partial body length: refused. */
	memcpy(c, fx->cert, fx->len);
	c[1] = 0xE0 | 8;
	assert_int_equal(gpg_err_code(certinfo_parse(c, fx->len, &ci)), GPG_ERR_INV_DATA);
	/* Not a packet tag (bit 7 clear). */
	c[0] = 0x46;
	assert_int_equal(gpg_err_code(certinfo_parse(c, fx->len, &ci)), GPG_ERR_INV_DATA);
	/* Empty input. */
	assert_int_equal(gpg_err_code(certinfo_parse(c, 0, &ci)), GPG_ERR_INV_DATA);
	/* A damaged header after the user ID. */
	pos = fx->uid_end;
	memcpy(c, fx->cert, fx->uid_end);
	c[pos++] = 0xC2;
	c[pos++] = 200;
	assert_int_equal(gpg_err_code(certinfo_parse(c, pos, &ci)), GPG_ERR_INV_DATA);
}

static void
test_packet_limit(void **state)
{
	struct fixture *fx = *state;
	uint8_t c[PGPCERT_MAX];
	struct certinfo ci;
	size_t pos = fx->pub_end, i;

	memcpy(c, fx->cert, fx->pub_end);
	for (i = 1; i < CERTINFO_MAX_PACKETS; i++)
		put_packet(c, sizeof(c), &pos, 12, "", 0);       /* trust packets */
	assert_int_equal(certinfo_parse(c, pos, &ci), 0);
	put_packet(c, sizeof(c), &pos, 12, "", 0);
	assert_int_equal(gpg_err_code(certinfo_parse(c, pos, &ci)), GPG_ERR_TOO_LARGE);
}

static void
test_read_file(void **state)
{
	struct fixture *fx = *state;
	char dir[] = "/tmp/sgciXXXXXX", path[64], link[64];
	uint8_t buf[PGPCERT_MAX];
	size_t len = 0;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.pgp", dir);
	snprintf(link, sizeof(link), "%s/l.pgp", dir);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(fx->cert, 1, fx->len, f), fx->len);
	assert_int_equal(fclose(f), 0);

	assert_int_equal(certinfo_read_file(path, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, fx->len);
	assert_memory_equal(buf, fx->cert, len);
	assert_int_equal(gpg_err_code(certinfo_read_file(path, buf, fx->len - 1, &len)), GPG_ERR_TOO_LARGE);
	assert_int_equal(len, 0);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(gpg_err_code(certinfo_read_file(link, buf, sizeof(buf), &len)), GPG_ERR_ELOOP);
	assert_int_equal(gpg_err_code(certinfo_read_file("/nonexistent/p.pgp", buf, sizeof(buf), &len)),
	                 GPG_ERR_ENOENT);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_pubkey_packet),
		cmocka_unit_test(test_user_id),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_packet_limit),
		cmocka_unit_test(test_read_file),
	};

	/* Programs initialise libgcrypt once at start-up (pgpkey.h). */
	if (!gcry_check_version(GCRYPT_VERSION)) {
		fprintf(stderr, "libgcrypt version mismatch\n");
		return 1;
	}
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
