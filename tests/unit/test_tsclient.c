/* test_tsclient.c — the parts of common/tsclient.c that need no network:
 * the query built, replies checked (made in-process by OpenSSL's
 * TS_RESP_CTX with a software P-256 key and a self-signed certificate with
 * critical EKU timeStamping), the PKIStatus/failInfo named, tokens
 * verified.  The HTTP path is tests/e2e/210-tsclient.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "hashalgo.h"
#include "tsafixture.h"
#include "tsclient.h"

#define POLICY "1.3.6.1.4.1.99999.1.7"

struct fixture {
	EVP_PKEY *key;
	X509 *cert;
	char ca_path[64];     /* the certificate, PEM: its own trust anchor */
	EVP_PKEY *key2;
	X509 *cert2;          /* a second, unrelated TSA */
	char ca2_path[64];
};

/* A self-signed TSA (tsafixture.c) and its certificate in a PEM file. */
static int
make_tsa(const char *cn, EVP_PKEY **keyp, X509 **certp, char *path, size_t pathlen)
{
	if (tsafixture_make(cn, "P-256", keyp, certp) != 0)
		return -1;
	if (tsafixture_write_pem(*certp, path, pathlen) != 0) {
		EVP_PKEY_free(*keyp);
		X509_free(*certp);
		return -1;
	}
	return 0;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || make_tsa("Test TSA", &fx->key, &fx->cert, fx->ca_path, sizeof(fx->ca_path)) != 0 ||
	    make_tsa("Other TSA", &fx->key2, &fx->cert2, fx->ca2_path, sizeof(fx->ca2_path)) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	unlink(fx->ca_path);
	unlink(fx->ca2_path);
	EVP_PKEY_free(fx->key);
	X509_free(fx->cert);
	EVP_PKEY_free(fx->key2);
	X509_free(fx->cert2);
	free(fx);
	return 0;
}

/* RESP as DER in *OUT (malloc), *OUTLEN bytes; RESP is freed. */
static void
resp_der(TS_RESP *resp, uint8_t **out, size_t *outlen)
{
	unsigned char *der = NULL;
	int n = i2d_TS_RESP(resp, &der);

	assert_true(n > 0);
	*out = malloc((size_t)n);
	assert_non_null(*out);
	memcpy(*out, der, (size_t)n);
	*outlen = (size_t)n;
	OPENSSL_free(der);
	TS_RESP_free(resp);
}

/* The DER TimeStampResp TS_RESP_CTX makes for QUERY, signed by KEY/CERT;
 * MD is the one imprint algorithm it accepts. */
static void
make_reply(EVP_PKEY *key, X509 *cert, const EVP_MD *md, const uint8_t *query, size_t query_len,
           uint8_t **out, size_t *outlen)
{
	assert_int_equal(tsafixture_reply(key, cert, md, POLICY, query, query_len, out, outlen), 0);
}

static void
fill(uint8_t *d, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = (uint8_t)(seed + i * 7);
}

static void
test_query(void **state)
{
	const struct hashalgo *sha256 = hashalgo_by_name("sha256");
	uint8_t digest[32], *q1 = NULL, *q2 = NULL;
	size_t l1 = 0, l2 = 0;
	const unsigned char *p;
	TS_REQ *req, *req2;
	TS_MSG_IMPRINT *imp;
	ASN1_OCTET_STRING *msg;
	char err[256];

	(void)state;
	fill(digest, sizeof(digest), 1);
	assert_int_equal(tsclient_make_query(sha256, digest, sizeof(digest), 1, &q1, &l1, err, sizeof(err)), 0);
	assert_int_equal(tsclient_make_query(sha256, digest, sizeof(digest), 0, &q2, &l2, err, sizeof(err)), 0);
	p = q1;
	req = d2i_TS_REQ(NULL, &p, (long)l1);
	assert_non_null(req);
	assert_ptr_equal(p, q1 + l1);
	assert_int_equal(TS_REQ_get_version(req), 1);
	imp = TS_REQ_get_msg_imprint(req);
	assert_int_equal(OBJ_obj2nid(TS_MSG_IMPRINT_get_algo(imp)->algorithm), NID_sha256);
	msg = TS_MSG_IMPRINT_get_msg(imp);
	assert_int_equal(ASN1_STRING_length(msg), 32);
	assert_memory_equal(ASN1_STRING_get0_data(msg), digest, 32);
	assert_int_equal(TS_REQ_get_cert_req(req), 1);
	assert_non_null(TS_REQ_get_nonce(req));
	assert_null(TS_REQ_get_policy_id(req)); /* the TSA's default policy */
	p = q2;
	req2 = d2i_TS_REQ(NULL, &p, (long)l2);
	assert_non_null(req2);
	assert_int_equal(TS_REQ_get_cert_req(req2), 0);
	/* A fresh nonce each time, positive. */
	assert_int_not_equal(ASN1_INTEGER_cmp(TS_REQ_get_nonce(req), TS_REQ_get_nonce(req2)), 0);
	assert_int_equal(ASN1_STRING_type(TS_REQ_get_nonce(req)), V_ASN1_INTEGER);
	TS_REQ_free(req);
	TS_REQ_free(req2);
	free(q1);
	free(q2);
}

static void
test_query_bad_args(void **state)
{
	uint8_t digest[64], *q = (uint8_t *)"x";
	size_t l = 5;
	char err[256] = "";

	(void)state;
	fill(digest, sizeof(digest), 2);
	assert_int_equal(gpg_err_code(tsclient_make_query(hashalgo_by_name("sha256"), digest, 31, 0, &q, &l,
	                                                  err, sizeof(err))),
	                 GPG_ERR_INV_ARG);
	assert_null(q);
	assert_int_equal(l, 0);
	assert_non_null(strstr(err, "32 bytes"));
	assert_int_equal(gpg_err_code(tsclient_make_query(NULL, digest, 32, 0, &q, &l, err, sizeof(err))),
	                 GPG_ERR_INV_ARG);
	assert_int_equal(gpg_err_code(tsclient_request("ftp://x/", NULL, hashalgo_by_name("sha256"), digest, 32,
	                                               0, 5, &q, &l, err, sizeof(err))),
	                 GPG_ERR_INV_ARG);
	assert_non_null(strstr(err, "not a usable"));
	assert_int_equal(gpg_err_code(tsclient_request("http://127.0.0.1/", NULL, hashalgo_by_name("sha256"),
	                                               digest, 32, 0, 0, &q, &l, err, sizeof(err))),
	                 GPG_ERR_INV_ARG);
}

static void
test_granted_and_verified(void **state)
{
	struct fixture *fx = *state;
	const struct hashalgo *sha256 = hashalgo_by_name("sha256"), *sha384 = hashalgo_by_name("sha384");
	uint8_t digest[32], other[48], *q = NULL, *resp = NULL, *tok = NULL;
	size_t ql = 0, rl = 0, tl = 0;
	struct tsclient_info info;
	char err[512];

	fill(digest, sizeof(digest), 3);
	fill(other, sizeof(other), 3);
	assert_int_equal(tsclient_make_query(sha256, digest, sizeof(digest), 1, &q, &ql, err, sizeof(err)), 0);
	make_reply(fx->key, fx->cert, EVP_sha256(), q, ql, &resp, &rl);
	assert_int_equal(tsclient_check_reply(q, ql, resp, rl, &tok, &tl, err, sizeof(err)), 0);
	assert_non_null(tok);

	assert_int_equal(tsclient_verify(tok, tl, sha256, digest, sizeof(digest), fx->ca_path, NULL, &info, err,
	                                 sizeof(err)),
	                 0);
	assert_string_equal(info.policy, POLICY);
	assert_string_equal(info.serial, "01"); /* TS_RESP_CTX's default serial */
	assert_true(info.gen_time > time(NULL) - 300 && info.gen_time <= time(NULL) + 5);
	assert_true(strlen(info.gen_time_str) >= 15);

	/* Another digest → refused. */
	other[0] ^= 1;
	assert_int_equal(gpg_err_code(tsclient_verify(tok, tl, sha256, other, 32, fx->ca_path, NULL, &info, err,
	                                              sizeof(err))),
	                 GPG_ERR_BAD_SIGNATURE);
	assert_non_null(strstr(err, "does not verify"));
	assert_string_equal(info.serial, "");
	/* Another TSA's certificate as the CA → refused. */
	assert_int_equal(gpg_err_code(tsclient_verify(tok, tl, sha256, digest, 32, fx->ca2_path, NULL, &info, err,
	                                              sizeof(err))),
	                 GPG_ERR_BAD_SIGNATURE);
	/* The right length for SHA-384 but the token is SHA-256 → refused. */
	assert_int_not_equal(tsclient_verify(tok, tl, sha384, other, 48, fx->ca_path, NULL, &info, err,
	                                     sizeof(err)),
	                     0);
	/* A digest of the wrong length → bad argument. */
	assert_int_equal(gpg_err_code(tsclient_verify(tok, tl, sha256, digest, 31, fx->ca_path, NULL, &info, err,
	                                              sizeof(err))),
	                 GPG_ERR_INV_ARG);
	/* Trailing bytes, truncation → not a token. */
	assert_int_equal(gpg_err_code(tsclient_verify(tok, tl - 1, sha256, digest, 32, fx->ca_path, NULL, &info,
	                                              err, sizeof(err))),
	                 GPG_ERR_INV_VALUE);
	/* A missing CA file → a clear error. */
	assert_int_equal(gpg_err_code(tsclient_verify(tok, tl, sha256, digest, 32, "/nonexistent/ca.pem", NULL,
	                                              &info, err, sizeof(err))),
	                 GPG_ERR_INV_VALUE);
	assert_non_null(strstr(err, "/nonexistent/ca.pem"));
	free(q);
	free(resp);
	free(tok);
}

static void
test_no_cert_needs_untrusted(void **state)
{
	struct fixture *fx = *state;
	const struct hashalgo *sha256 = hashalgo_by_name("sha256");
	uint8_t digest[32], *q = NULL, *resp = NULL, *tok = NULL;
	size_t ql = 0, rl = 0, tl = 0;
	struct tsclient_info info;
	char err[512];

	fill(digest, sizeof(digest), 4);
	assert_int_equal(tsclient_make_query(sha256, digest, sizeof(digest), 0, &q, &ql, err, sizeof(err)), 0);
	make_reply(fx->key, fx->cert, EVP_sha256(), q, ql, &resp, &rl);
	assert_int_equal(tsclient_check_reply(q, ql, resp, rl, &tok, &tl, err, sizeof(err)), 0);
	assert_int_equal(gpg_err_code(tsclient_verify(tok, tl, sha256, digest, 32, fx->ca_path, NULL, &info, err,
	                                              sizeof(err))),
	                 GPG_ERR_BAD_SIGNATURE);
	assert_int_equal(tsclient_verify(tok, tl, sha256, digest, 32, fx->ca_path, fx->ca_path, &info, err,
	                                 sizeof(err)),
	                 0);
	/* The wrong untrusted certificate does not help. */
	assert_int_not_equal(tsclient_verify(tok, tl, sha256, digest, 32, fx->ca_path, fx->ca2_path, &info, err,
	                                     sizeof(err)),
	                     0);
	free(q);
	free(resp);
	free(tok);
}

static void
test_echo_mismatch(void **state)
{
	struct fixture *fx = *state;
	const struct hashalgo *sha256 = hashalgo_by_name("sha256");
	uint8_t d1[32], d2[32], *qa = NULL, *qb = NULL, *qc = NULL, *resp = NULL, *tok = (uint8_t *)"x";
	size_t la = 0, lb = 0, lc = 0, rl = 0, tl = 1;
	char err[512];

	fill(d1, sizeof(d1), 5);
	fill(d2, sizeof(d2), 6);
	assert_int_equal(tsclient_make_query(sha256, d1, 32, 1, &qa, &la, err, sizeof(err)), 0);
	assert_int_equal(tsclient_make_query(sha256, d1, 32, 1, &qb, &lb, err, sizeof(err)), 0);
	assert_int_equal(tsclient_make_query(sha256, d2, 32, 1, &qc, &lc, err, sizeof(err)), 0);
	make_reply(fx->key, fx->cert, EVP_sha256(), qa, la, &resp, &rl);
	/* Same digest, another nonce: a replayed reply. */
	assert_int_equal(gpg_err_code(tsclient_check_reply(qb, lb, resp, rl, &tok, &tl, err, sizeof(err))),
	                 GPG_ERR_INV_RESPONSE);
	assert_non_null(strstr(err, "nonce"));
	assert_null(tok);
	assert_int_equal(tl, 0);
	/* Another digest. */
	assert_int_equal(gpg_err_code(tsclient_check_reply(qc, lc, resp, rl, &tok, &tl, err, sizeof(err))),
	                 GPG_ERR_INV_RESPONSE);
	assert_non_null(strstr(err, "imprint"));
	/* Not DER, trailing bytes. */
	assert_int_equal(gpg_err_code(tsclient_check_reply(qa, la, qa, la, &tok, &tl, err, sizeof(err))),
	                 GPG_ERR_INV_RESPONSE);
	assert_int_equal(gpg_err_code(tsclient_check_reply(qa, la, resp, rl - 1, &tok, &tl, err, sizeof(err))),
	                 GPG_ERR_INV_RESPONSE);
	free(qa);
	free(qb);
	free(qc);
	free(resp);
}

static void
test_rejection_named(void **state)
{
	struct fixture *fx = *state;
	const struct hashalgo *sha256 = hashalgo_by_name("sha256");
	uint8_t d[32], *q = NULL, *resp = NULL, *tok = NULL;
	size_t ql = 0, rl = 0, tl = 0;
	char err[512];

	fill(d, sizeof(d), 7);
	assert_int_equal(tsclient_make_query(sha256, d, 32, 1, &q, &ql, err, sizeof(err)), 0);
	/* A TSA that takes SHA-512 imprints only: rejection, badAlg. */
	make_reply(fx->key, fx->cert, EVP_sha512(), q, ql, &resp, &rl);
	assert_int_equal(gpg_err_code(tsclient_check_reply(q, ql, resp, rl, &tok, &tl, err, sizeof(err))),
	                 GPG_ERR_NOT_OPERATIONAL);
	assert_non_null(strstr(err, "PKIStatus rejection (2), failInfo badAlg"));
	assert_null(tok);
	free(q);
	free(resp);
}

struct status_spec {
	int status;
	const int *bits;      /* -1 ends */
	const char *text;     /* may be NULL */
};

/* TS_RESP_CTX's serial callback, used to answer with a chosen status:
 * set it and fail the token. */
static ASN1_INTEGER *
status_serial_cb(TS_RESP_CTX *ctx, void *data)
{
	const struct status_spec *sp = data;
	const int *b;

	TS_RESP_CTX_set_status_info(ctx, sp->status, sp->text);
	for (b = sp->bits; *b >= 0; b++)
		TS_RESP_CTX_add_failure_info(ctx, *b);
	return NULL;
}

/* The DER TimeStampResp answering QUERY with only the status of SP. */
static void
status_reply(struct fixture *fx, const struct status_spec *sp, const uint8_t *query, size_t query_len,
             uint8_t **out, size_t *outlen)
{
	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	ASN1_OBJECT *pol = OBJ_txt2obj(POLICY, 1);
	BIO *in = BIO_new_mem_buf(query, (int)query_len);
	TS_RESP *resp;

	assert_non_null(ctx);
	assert_int_equal(TS_RESP_CTX_set_signer_cert(ctx, fx->cert), 1);
	assert_int_equal(TS_RESP_CTX_set_signer_key(ctx, fx->key), 1);
	assert_int_equal(TS_RESP_CTX_set_def_policy(ctx, pol), 1);
	assert_int_equal(TS_RESP_CTX_add_md(ctx, EVP_sha256()), 1);
	TS_RESP_CTX_set_serial_cb(ctx, status_serial_cb, (void *)sp);
	resp = TS_RESP_create_response(ctx, in);
	assert_non_null(resp);
	assert_null(TS_RESP_get_token(resp));
	resp_der(resp, out, outlen);
	BIO_free(in);
	ASN1_OBJECT_free(pol);
	TS_RESP_CTX_free(ctx);
	ERR_clear_error();
}

static void
test_status_mapping(void **state)
{
	static const int b14[] = { 14, -1 }, b15[] = { 15, -1 }, b5[] = { 5, -1 }, b25[] = { 25, -1 },
	                 b02[] = { 0, 2, -1 }, b9[] = { 9, -1 }, none[] = { -1 };
	static const struct {
		struct status_spec spec;
		const char *want;
	} cases[] = {
		{ { 2, b14, "Time is not available." },
		  "PKIStatus rejection (2), failInfo timeNotAvailable: Time is not available." },
		{ { 2, b15, NULL }, "PKIStatus rejection (2), failInfo unacceptedPolicy" },
		{ { 2, b5, NULL }, "failInfo badDataFormat" },
		{ { 2, b25, "x\ny" }, "failInfo systemFailure: x?y" },
		{ { 2, b02, NULL }, "failInfo badAlg,badRequest" },
		{ { 2, b9, NULL }, "failInfo bit 9" },
		{ { 3, none, NULL }, "PKIStatus waiting (3)" },
		{ { 5, none, NULL }, "PKIStatus revocationNotification (5)" },
		{ { 42, none, NULL }, "PKIStatus unknown (42)" },
	};
	/* PKIStatus granted and no token: OpenSSL's parser refuses it. */
	static const uint8_t granted_no_token[] = { 0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00 };
	struct fixture *fx = *state;
	const struct hashalgo *sha256 = hashalgo_by_name("sha256");
	uint8_t d[32], *q = NULL, *resp, *tok = NULL;
	size_t ql = 0, rl, tl = 0, i;
	char err[512];
	gpg_error_t r;

	fill(d, sizeof(d), 8);
	assert_int_equal(tsclient_make_query(sha256, d, 32, 0, &q, &ql, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		status_reply(fx, &cases[i].spec, q, ql, &resp, &rl);
		r = tsclient_check_reply(q, ql, resp, rl, &tok, &tl, err, sizeof(err));
		assert_int_equal(gpg_err_code(r), GPG_ERR_NOT_OPERATIONAL);
		assert_null(tok);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: got \"%s\", wanted \"%s\"", i, err, cases[i].want);
		free(resp);
	}
	r = tsclient_check_reply(q, ql, granted_no_token, sizeof(granted_no_token), &tok, &tl, err, sizeof(err));
	assert_int_equal(gpg_err_code(r), GPG_ERR_INV_RESPONSE);
	assert_null(tok);
	free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_query_bad_args),
		cmocka_unit_test(test_granted_and_verified),
		cmocka_unit_test(test_no_cert_needs_untrusted),
		cmocka_unit_test(test_echo_mismatch),
		cmocka_unit_test(test_rejection_named),
		cmocka_unit_test(test_status_mapping),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
