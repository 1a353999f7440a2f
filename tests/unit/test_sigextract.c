/* test_sigextract.c — finding the signature in each kind of container
 * (common/sigextract.c) and matching it with audit records
 * (agent/sigmatch.c).  The OpenPGP packets are built here byte by byte
 * (sigextract reads, never checks, a signature), the containers around
 * them as gpg, git and rpm write them; the RFC 3161 tokens are OpenSSL's.
 * tests/e2e/520-audit-receipts.sh reads the real tools' output. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "hashalgo.h"
#include "pgparmor.h"
#include "pgpwrite.h"
#include "sigextract.h"
#include "../../agent/sigmatch.h"
#include "tsafixture.h"
#include "tsclient.h"

#define CREATED 1796388397u   /* 2026-12-04T12:46:37Z */
#define MAXPKT  4096

static const uint8_t fpr[20] = { 0xca, 0x23, 0x58, 0x3f, 0x75, 0xdc, 0xaf, 0x0f, 0x42, 0xfe,
                                 0x13, 0x46, 0x4e, 0x6d, 0x2c, 0xa4, 0x0f, 0xb1, 0x4c, 0xe5 };

struct pkt {
	uint8_t b[MAXPKT];
	size_t len;
};

/* A v4 signature packet (with its header) of ALGO with the NCOMP
 * components COMP (each LEN bytes, written as MPIs as given: a leading
 * zero byte stays, as a sloppy writer's would).  TIME_HASHED 0 puts the
 * creation time in the unhashed area. */
static void
make_sig(struct pkt *p, unsigned algo, const uint8_t *const *comp, const size_t *len, size_t ncomp,
         int time_hashed)
{
	uint8_t body[MAXPKT], hashed[64], unhashed[64], t[4] = { CREATED >> 24, (CREATED >> 16) & 0xff,
	                                                          (CREATED >> 8) & 0xff, CREATED & 0xff };
	uint8_t fsub[21];
	struct pgpwrite w, hw, uw;

	fsub[0] = 4;
	memcpy(fsub + 1, fpr, 20);
	pgpwrite_init(&hw, hashed, sizeof(hashed));
	pgpwrite_init(&uw, unhashed, sizeof(unhashed));
	pgpwrite_subpacket(&hw, 33, fsub, sizeof(fsub));
	pgpwrite_subpacket(time_hashed ? &hw : &uw, 2, t, 4);
	pgpwrite_subpacket(&uw, 16, fpr + 12, 8);
	pgpwrite_init(&w, body, sizeof(body));
	pgpwrite_u8(&w, 4);
	pgpwrite_u8(&w, 0);
	pgpwrite_u8(&w, algo);
	pgpwrite_u8(&w, 8);
	pgpwrite_u16(&w, (unsigned)hw.len);
	pgpwrite_bytes(&w, hashed, hw.len);
	pgpwrite_u16(&w, (unsigned)uw.len);
	pgpwrite_bytes(&w, unhashed, uw.len);
	pgpwrite_u8(&w, 0x93);
	pgpwrite_u8(&w, 0xab);
	for (size_t i = 0; i < ncomp; i++) {
		/* an MPI as written: bit count from the first byte, zeros kept */
		size_t bits = len[i] * 8;
		pgpwrite_u16(&w, (unsigned)bits);
		pgpwrite_bytes(&w, comp[i], len[i]);
	}
	assert_int_equal(pgpwrite_done(&w), 0);
	pgpwrite_init(&hw, p->b, sizeof(p->b));
	pgpwrite_packet(&hw, 2, body, w.len);
	assert_int_equal(pgpwrite_done(&hw), 0);
	p->len = hw.len;
}

static void
make_rsa(struct pkt *p)
{
	static uint8_t s[384];
	const uint8_t *c[1] = { s };
	size_t l[1] = { sizeof(s) };

	for (size_t i = 0; i < sizeof(s); i++)
		s[i] = (uint8_t)(i * 7 + 1);
	s[0] = 0x5a;
	make_sig(p, 1, c, l, 1, 1);
}

/* ECDSA P-256 whose r has a leading zero byte in the packet (the record
 * pads r to 32 bytes too). */
static void
make_ec(struct pkt *p, uint8_t r[32], uint8_t s[32])
{
	const uint8_t *c[2] = { r, s };
	size_t l[2] = { 32, 32 };

	for (int i = 0; i < 32; i++) {
		r[i] = (uint8_t)(0x10 + i);
		s[i] = (uint8_t)(0xf0 - i);
	}
	r[0] = 0;
	make_sig(p, 19, c, l, 2, 1);
}

static char *
armor(const struct pkt *p, int with_crc, int crlf, const char *before)
{
	char *out = malloc(MAXPKT * 2 + 512), b64[MAXPKT * 2];
	const char *nl = crlf ? "\r\n" : "\n";
	uint32_t c = pgparmor_crc24(p->b, p->len);
	uint8_t crc[3] = { (uint8_t)(c >> 16), (uint8_t)(c >> 8), (uint8_t)c };
	char crc64[8];
	size_t off = 0, n;

	assert_non_null(out);
	n = (size_t)EVP_EncodeBlock((unsigned char *)b64, p->b, (int)p->len);
	EVP_EncodeBlock((unsigned char *)crc64, crc, 3);
	off += (size_t)sprintf(out + off, "%s-----BEGIN PGP SIGNATURE-----%sComment: test%s%s", before, nl, nl, nl);
	for (size_t i = 0; i < n; i += 64)
		off += (size_t)sprintf(out + off, "%.*s%s", (int)(n - i < 64 ? n - i : 64), b64 + i, nl);
	if (with_crc)
		off += (size_t)sprintf(out + off, "=%s%s", crc64, nl);
	sprintf(out + off, "-----END PGP SIGNATURE-----%s", nl);
	return out;
}

static gpg_error_t
parse_text(const char *s, struct sigextract *sx, char *why, size_t whylen)
{
	return sigextract_parse((const uint8_t *)s, strlen(s), sx, why, whylen);
}

static void
assert_rsa(const struct sigextract *sx)
{
	char v[SIGEXTRACT_MAX_VALUE];

	assert_int_equal(sx->kind, SIGEXTRACT_OPENPGP);
	assert_int_equal(sx->created, CREATED);
	assert_int_equal(sx->pk_algo, 1);
	assert_int_equal(sx->hash_algo, 8);
	assert_int_equal(sx->ncomp, 1);
	assert_int_equal(sx->comp_len[0], 384);
	assert_true(sx->has_fpr);
	assert_memory_equal(sx->issuer_fpr, fpr, 20);
	assert_true(sx->has_keyid);
	assert_memory_equal(sx->keyid, fpr + 12, 8);
	assert_int_equal(sigextract_value(sx, v, sizeof(v)), 0);
	assert_int_equal(strlen(v), 768);
	assert_memory_equal(v, "5a08", 4);
}

static void
test_binary_and_armor(void **state)
{
	struct pkt p;
	struct sigextract sx;
	char why[SIGEXTRACT_MAX_WHY], *a;
	size_t pos;

	(void)state;
	make_rsa(&p);
	assert_int_equal(sigextract_parse(p.b, p.len, &sx, why, sizeof(why)), 0);
	assert_string_equal(sx.container, "binary signature");
	assert_rsa(&sx);
	for (int crc = 0; crc < 2; crc++)
		for (int crlf = 0; crlf < 2; crlf++) {
			a = armor(&p, crc, crlf, "");
			assert_int_equal(parse_text(a, &sx, why, sizeof(why)), 0);
			assert_string_equal(sx.container, "armored signature");
			assert_rsa(&sx);
			free(a);
		}
	/* one character of the base64 changed: the checksum catches it */
	a = armor(&p, 1, 0, "");
	pos = strlen("-----BEGIN PGP SIGNATURE-----\nComment: test\n\n") + 10;
	a[pos] = a[pos] == 'A' ? 'B' : 'A';
	assert_int_equal(gpg_err_code(parse_text(a, &sx, why, sizeof(why))), GPG_ERR_CHECKSUM);
	assert_non_null(strstr(why, "checksum"));
	free(a);
	/* no END line */
	a = armor(&p, 1, 0, "");
	*strstr(a, "-----END") = '\0';
	assert_int_equal(gpg_err_code(parse_text(a, &sx, why, sizeof(why))), GPG_ERR_INV_DATA);
	assert_non_null(strstr(why, "END"));
	free(a);
}

static void
test_clearsigned_and_git(void **state)
{
	struct pkt p;
	struct sigextract sx;
	char why[SIGEXTRACT_MAX_WHY], *a, *text, *commit, *q;
	const char *line;
	size_t off = 0;

	(void)state;
	make_rsa(&p);
	/* a dash-escaped armor line in the signed text is not the signature */
	a = armor(&p, 1, 0, "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhello\n"
	                    "- -----BEGIN PGP SIGNATURE-----\n");
	assert_int_equal(parse_text(a, &sx, why, sizeof(why)), 0);
	assert_string_equal(sx.container, "clearsigned text");
	assert_rsa(&sx);
	free(a);
	/* a signed tag: the armor after the message */
	a = armor(&p, 1, 0, "object 2f1d\ntype commit\ntag v1\ntagger t <t@x> 1 +0000\n\nmsg\n");
	assert_int_equal(parse_text(a, &sx, why, sizeof(why)), 0);
	assert_string_equal(sx.container, "git tag");
	assert_rsa(&sx);
	/* a signed commit: the armor indented in the gpgsig header */
	text = a + strlen("object 2f1d\ntype commit\ntag v1\ntagger t <t@x> 1 +0000\n\nmsg\n");
	commit = calloc(1, strlen(text) * 2 + 256);
	assert_non_null(commit);
	off += (size_t)sprintf(commit, "tree aaff\nauthor t <t@x> 1 +0000\ncommitter t <t@x> 1 +0000\ngpgsig");
	for (line = text; *line != '\0'; line = q + 1) {
		q = strchr(line, '\n');
		off += (size_t)sprintf(commit + off, " %.*s\n", (int)(q - line), line);
	}
	sprintf(commit + off, "\nsigned commit\n");
	assert_int_equal(parse_text(commit, &sx, why, sizeof(why)), 0);
	assert_string_equal(sx.container, "git commit");
	assert_rsa(&sx);
	/* an unsigned commit */
	assert_int_equal(gpg_err_code(parse_text("tree aaff\nauthor t\n\nmsg\n", &sx, why, sizeof(why))),
	                 GPG_ERR_NOT_FOUND);
	assert_non_null(strstr(why, "gpgsig"));
	free(commit);
	free(a);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* An RPM's lead and signature header: a SHA256 string entry (tag 273)
 * first, then TAG (BIN) holding P; COUNT_EXTRA added to its count. */
static size_t
make_rpm(uint8_t *out, const struct pkt *p, uint32_t tag, uint32_t count_extra)
{
	static const char sha[] = "0123456789abcdef";
	uint8_t *h = out + 96, *idx = h + 16, *data = idx + 32;
	size_t dl = sizeof(sha) + p->len;

	memset(out, 0, 96);
	memcpy(out, "\xed\xab\xee\xdb", 4);
	memcpy(h, "\x8e\xad\xe8\x01\0\0\0\0", 8);
	put32(h + 8, 2);
	put32(h + 12, (uint32_t)dl);
	put32(idx, 273);
	put32(idx + 4, 6);
	put32(idx + 8, 0);
	put32(idx + 12, 1);
	put32(idx + 16, tag);
	put32(idx + 20, 7);
	put32(idx + 24, sizeof(sha));
	put32(idx + 28, (uint32_t)p->len + count_extra);
	memcpy(data, sha, sizeof(sha));
	memcpy(data + sizeof(sha), p->b, p->len);
	/* then the main header and the payload, which are not read */
	memset(data + dl, 0x8e, 64);
	return 96 + 16 + 32 + dl + 64;
}

static void
test_rpm(void **state)
{
	struct pkt p;
	struct sigextract sx;
	char why[SIGEXTRACT_MAX_WHY];
	uint8_t rpm[MAXPKT * 2], r[32], s[32];
	size_t n;

	(void)state;
	make_rsa(&p);
	n = make_rpm(rpm, &p, 268, 0);
	assert_int_equal(sigextract_parse(rpm, n, &sx, why, sizeof(why)), 0);
	assert_string_equal(sx.container, "RPM package");
	assert_rsa(&sx);
	make_ec(&p, r, s);
	n = make_rpm(rpm, &p, 267, 0);   /* DSAHEADER: where rpm puts ECDSA and EdDSA */
	assert_int_equal(sigextract_parse(rpm, n, &sx, why, sizeof(why)), 0);
	assert_int_equal(sx.pk_algo, 19);
	n = make_rpm(rpm, &p, 1000, 0);  /* RPMSIGTAG_SIZE: not a signature */
	assert_int_equal(gpg_err_code(sigextract_parse(rpm, n, &sx, why, sizeof(why))), GPG_ERR_NOT_FOUND);
	assert_non_null(strstr(why, "not signed"));
	n = make_rpm(rpm, &p, 268, 1000);   /* the entry runs past the data */
	assert_int_equal(gpg_err_code(sigextract_parse(rpm, n, &sx, why, sizeof(why))), GPG_ERR_INV_DATA);
	n = make_rpm(rpm, &p, 268, 0);
	put32(rpm + 96 + 8, 100000);   /* more index entries than the limit */
	assert_int_equal(gpg_err_code(sigextract_parse(rpm, n, &sx, why, sizeof(why))), GPG_ERR_INV_DATA);
	assert_int_equal(gpg_err_code(sigextract_parse(rpm, 100, &sx, why, sizeof(why))), GPG_ERR_INV_DATA);
}

static void
test_rfc3161(void **state)
{
	const struct hashalgo *sha256 = hashalgo_by_name("sha256");
	uint8_t digest[32], *q = NULL, *resp = NULL, *tok = NULL;
	size_t ql = 0, rl = 0, tl = 0;
	struct sigextract sx, sx2;
	char why[SIGEXTRACT_MAX_WHY], err[256];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	(void)state;
	memset(digest, 0x42, sizeof(digest));
	assert_int_equal(tsafixture_make("tsa", "P-256", &key, &cert), 0);
	assert_int_equal(tsclient_make_query(sha256, digest, sizeof(digest), 1, &q, &ql, err, sizeof(err)), 0);
	assert_int_equal(tsafixture_reply(key, cert, EVP_sha256(), "1.2.3.4", q, ql, &resp, &rl), 0);
	assert_int_equal(tsclient_check_reply(q, ql, resp, rl, &tok, &tl, err, sizeof(err)), 0);

	assert_int_equal(sigextract_parse(resp, rl, &sx, why, sizeof(why)), 0);
	assert_string_equal(sx.container, "RFC 3161 time-stamp response");
	assert_int_equal(sx.kind, SIGEXTRACT_RFC3161);
	assert_string_equal(sx.hash, "SHA256");
	assert_int_equal(sx.imprint_len, 32);
	assert_memory_equal(sx.imprint, digest, 32);
	assert_true(strlen(sx.serial) > 0 && strlen(sx.serial) % 2 == 0);
	assert_true(sx.created > 1700000000);

	assert_int_equal(sigextract_parse(tok, tl, &sx2, why, sizeof(why)), 0);
	assert_string_equal(sx2.container, "RFC 3161 time-stamp token");
	assert_string_equal(sx2.serial, sx.serial);
	assert_string_equal(sx2.gen_time, sx.gen_time);
	/* a DER cut short: neither form, and not OpenPGP either */
	assert_int_not_equal(sigextract_parse(resp, rl - 1, &sx, why, sizeof(why)), 0);
	free(q);
	free(resp);
	free(tok);
	EVP_PKEY_free(key);
	X509_free(cert);
}

static void
expect_fail(const uint8_t *b, size_t n, gpg_err_code_t code, const char *words)
{
	struct sigextract sx;
	char why[SIGEXTRACT_MAX_WHY];

	assert_int_equal(gpg_err_code(sigextract_parse(b, n, &sx, why, sizeof(why))), code);
	assert_non_null(strstr(why, words));
}

static void
test_malformed(void **state)
{
	static const uint8_t compressed[] = { 0xc8, 0x03, 0x01, 0x00, 0x00 };
	uint8_t r[32], s[32], one[4] = { 1, 2, 3, 4 }, big[1100];
	const uint8_t *c[1] = { one }, *cb[1] = { big };
	size_t l[1] = { sizeof(one) }, lb[1] = { sizeof(big) };
	struct pkt p;

	(void)state;
	expect_fail(compressed, sizeof(compressed), GPG_ERR_NOT_SUPPORTED, "compressed");
	make_ec(&p, r, s);
	for (size_t n = 1; n < p.len; n++)   /* every truncation is refused */
		assert_int_not_equal(sigextract_parse(p.b, n, &(struct sigextract){ 0 }, (char[160]){ 0 }, 160), 0);
	p.b[2] = 5;   /* version 5 */
	expect_fail(p.b, p.len, GPG_ERR_NOT_SUPPORTED, "version 5");
	make_sig(&p, 1, c, l, 1, 0);   /* creation time not in the hashed area */
	expect_fail(p.b, p.len, GPG_ERR_INV_DATA, "creation time");
	make_sig(&p, 99, c, l, 1, 1);
	expect_fail(p.b, p.len, GPG_ERR_NOT_SUPPORTED, "algorithm 99");
	memset(big, 0xff, sizeof(big));
	make_sig(&p, 1, cb, lb, 1, 1);
	expect_fail(p.b, p.len, GPG_ERR_TOO_LARGE, "8192");
	make_sig(&p, 19, c, l, 1, 1);   /* ECDSA with one MPI */
	expect_fail(p.b, p.len, GPG_ERR_INV_DATA, "truncated");
	expect_fail((const uint8_t *)"", 0, GPG_ERR_NO_DATA, "empty");
	expect_fail((const uint8_t *)"hello\n", 6, GPG_ERR_NOT_FOUND, "no OpenPGP signature");
}

static json_t *
record(const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o = json_loads(line, 0, NULL);
	assert_non_null(o);
	return o;
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void
test_match(void **state)
{
	struct pkt p;
	struct sigextract sx;
	char why[SIGEXTRACT_MAX_WHY], rh[200], sh[200], needle[SIGMATCH_NEEDLE], line[512];
	uint8_t r[32], s[32];
	const char *w = NULL;
	json_t *rec;

	(void)state;
	make_ec(&p, r, s);
	assert_int_equal(sigextract_parse(p.b, p.len, &sx, why, sizeof(why)), 0);
	hex(r, 32, rh);   /* the record keeps r padded: "00…" */
	hex(s, 32, sh);
	rec = record("{\"digest\":\"93ab00\",\"event\":\"sign\",\"seq\":3,\"signature\":\"%s%s\"}", rh, sh);
	assert_true(sigmatch_record(rec, &sx, &w));
	snprintf(line, sizeof(line), "{\"signature\":\"%s%s\"}", rh, sh);
	sigmatch_needle(&sx, needle, sizeof(needle));
	assert_true(sigmatch_maybe(line, strlen(line), needle));
	json_decref(rec);
	/* another digest start: not this signature */
	rec = record("{\"digest\":\"93ac00\",\"event\":\"sign\",\"signature\":\"%s%s\"}", rh, sh);
	assert_false(sigmatch_record(rec, &sx, &w));
	assert_non_null(strstr(w, "digest"));
	json_decref(rec);
	/* s and r swapped */
	rec = record("{\"event\":\"sign\",\"signature\":\"%s%s\"}", sh, rh);
	assert_false(sigmatch_record(rec, &sx, &w));
	assert_false(sigmatch_maybe(sh, 64, needle));
	json_decref(rec);
	/* a deny record has no signature */
	rec = record("{\"event\":\"deny\",\"signature\":\"%s%s\"}", rh, sh);
	assert_false(sigmatch_record(rec, &sx, &w));
	json_decref(rec);
	/* RFC 3161: serial and imprint */
	memset(&sx, 0, sizeof(sx));
	sx.kind = SIGEXTRACT_RFC3161;
	strcpy(sx.serial, "0A1C");
	strcpy(sx.hash, "SHA256");
	sx.imprint_len = 2;
	memcpy(sx.imprint, "\x42\x43", 2);
	rec = record("{\"digest\":\"4243\",\"event\":\"timestamp\",\"hash\":\"SHA256\",\"serial\":\"0A1C\"}");
	assert_true(sigmatch_record(rec, &sx, &w));
	json_decref(rec);
	rec = record("{\"digest\":\"4244\",\"event\":\"timestamp\",\"hash\":\"SHA256\",\"serial\":\"0A1C\"}");
	assert_false(sigmatch_record(rec, &sx, &w));
	assert_non_null(strstr(w, "imprint"));
	json_decref(rec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary_and_armor),
		cmocka_unit_test(test_clearsigned_and_git),
		cmocka_unit_test(test_rpm),
		cmocka_unit_test(test_rfc3161),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
