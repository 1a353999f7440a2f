/* test_tsatoken.c — tsa/token.c: tokens built from pre-encoded parts must
 * verify with OpenSSL's own TS verifier (signature, ESSCertIDv2, imprint,
 * nonce, policy) for every kind of request the fast path takes, with an
 * EC P-256 and an RSA-3072 key; everything else must be left to OpenSSL's
 * path (tsa_token_accepts says no). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "tsafixture.h"
#include "tsverifyctx.h"
#include "../../tsa/token.h"

#define POLICY1 "1.3.6.1.4.1.99999.1.1"
#define POLICY2 "1.3.6.1.4.1.99999.1.2"

struct fixture {
	EVP_PKEY *key;
	X509 *cert;
	struct tsa_config cfg;
	struct tsa_token *tk;
};

static int
setup_alg(void **state, const char *alg, unsigned accuracy_us)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256] = "";

	if (fx == NULL || tsafixture_make("Token Test TSA", alg, &fx->key, &fx->cert) != 0)
		return -1;
	fx->cfg.policies[0] = (char *)POLICY1;
	fx->cfg.policies[1] = (char *)POLICY2;
	fx->cfg.npolicies = 2;
	fx->cfg.accuracy_us = accuracy_us;
	fx->cfg.digests = TSA_DIGEST_SHA256 | TSA_DIGEST_SHA384;
	if (tsa_token_new(fx->key, fx->cert, NULL, &fx->cfg, 2, &fx->tk, err, sizeof(err)) != 0) {
		fprintf(stderr, "tsa_token_new: %s\n", err);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
setup_ec(void **state)
{
	return setup_alg(state, "P-256", 500000);
}

static int
setup_rsa(void **state)
{
	return setup_alg(state, "RSA-3072", 1000000);
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	tsa_token_free(fx->tk);
	EVP_PKEY_free(fx->key);
	X509_free(fx->cert);
	free(fx);
	return 0;
}

/* A request: imprint NID over LEN bytes, a NONCE_LEN-byte nonce (0: none),
 * certReq, POLICY (NULL: none). */
static TS_REQ *
make_req(int nid, int len, int nonce_len, int cert_req, const char *policy)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	unsigned char digest[64], nonce[128];
	ASN1_INTEGER *n = NULL;
	ASN1_OBJECT *pol = NULL;
	BIGNUM *bn = NULL;

	assert_true(len <= (int)sizeof(digest) && nonce_len <= (int)sizeof(nonce));
	assert_int_equal(RAND_bytes(digest, sizeof(digest)), 1);
	assert_int_equal(RAND_bytes(nonce, sizeof(nonce)), 1);
	nonce[0] |= 1;
	assert_true(req != NULL && mi != NULL && alg != NULL);
	assert_int_equal(TS_REQ_set_version(req, 1), 1);
	assert_int_equal(X509_ALGOR_set0(alg, OBJ_nid2obj(nid), V_ASN1_NULL, NULL), 1);
	assert_int_equal(TS_MSG_IMPRINT_set_algo(mi, alg), 1);
	assert_int_equal(TS_MSG_IMPRINT_set_msg(mi, digest, len), 1);
	assert_int_equal(TS_REQ_set_msg_imprint(req, mi), 1);
	assert_int_equal(TS_REQ_set_cert_req(req, cert_req), 1);
	if (nonce_len > 0) {
		assert_non_null(bn = BN_bin2bn(nonce, nonce_len, NULL));
		assert_non_null(n = BN_to_ASN1_INTEGER(bn, NULL));
		assert_int_equal(TS_REQ_set_nonce(req, n), 1);
	}
	if (policy != NULL) {
		assert_non_null(pol = OBJ_txt2obj(policy, 1));
		assert_int_equal(TS_REQ_set_policy_id(req, pol), 1);
	}
	ASN1_OBJECT_free(pol);
	ASN1_INTEGER_free(n);
	BN_free(bn);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	return req;
}

/* Issue a token for REQ and verify it as a client would. */
static void
issue_and_verify(struct fixture *fx, TS_REQ *req, size_t want_policy)
{
	struct timeval now = { 1800000000, 120000 };
	struct tsa_token_info info;
	size_t policy = 99, len = 0;
	uint8_t *der = NULL;
	const unsigned char *p;
	TS_RESP *resp;
	TS_VERIFY_CTX *vctx;
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *certs = sk_X509_new_null();
	TS_TST_INFO *tst;
	char pol[64];

	assert_int_equal(tsa_token_accepts(fx->tk, req, &policy), 1);
	assert_int_equal(policy, want_policy);
	assert_int_equal(tsa_token_issue(fx->tk, 1, req, policy, 0x8081, &now, &der, &len, &info), 0);
	p = der;
	assert_non_null(resp = d2i_TS_RESP(NULL, &p, (long)len));
	assert_ptr_equal(p, der + len);
	assert_non_null(vctx = TS_REQ_to_TS_VERIFY_CTX(req, NULL));
	assert_int_equal(X509_STORE_add_cert(store, fx->cert), 1);
	assert_int_equal(sk_X509_push(certs, X509_dup(fx->cert)), 1);
	/* (the certificate: the token has none without certReq) */
	assert_int_equal(tsverifyctx_give(vctx, &store, &certs, NULL, 0), 1);
	if (TS_RESP_verify_response(vctx, resp) != 1) {
		ERR_print_errors_fp(stderr);
		fail_msg("token does not verify");
	}
	assert_non_null(tst = TS_RESP_get_tst_info(resp));
	assert_int_equal(ASN1_INTEGER_get(TS_TST_INFO_get_serial(tst)), 0x8081);
	assert_string_equal(info.serial, "8081");
	OBJ_obj2txt(pol, sizeof(pol), TS_TST_INFO_get_policy_id(tst), 1);
	assert_string_equal(pol, fx->cfg.policies[want_policy]);
	assert_string_equal(info.policy, pol);
	assert_int_equal(ASN1_STRING_length(TS_TST_INFO_get_time(tst)), (int)strlen(info.gen_time));
	assert_memory_equal(ASN1_STRING_get0_data(TS_TST_INFO_get_time(tst)), info.gen_time, strlen(info.gen_time));
	/* 2027-01-15T08:00:00.120Z: milliseconds only below 1 s accuracy, no trailing zero */
	assert_string_equal(info.gen_time, fx->cfg.accuracy_us < 1000000 ? "20270115080000.12Z" : "20270115080000Z");
	assert_non_null(TS_TST_INFO_get_accuracy(tst));
	assert_int_equal(TS_RESP_get_token(resp) != NULL, 1);
	assert_int_equal(sk_X509_num(TS_RESP_get_token(resp)->d.sign->cert) > 0, TS_REQ_get_cert_req(req));
	TS_VERIFY_CTX_free(vctx);
	TS_RESP_free(resp);
	free(der);
}

static void
test_granted(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		int nid, len, nonce, cert_req;
		const char *policy;
		size_t want;
	} cases[] = {
		{ NID_sha256, 32, 8, 1, NULL, 0 },
		{ NID_sha256, 32, 0, 0, NULL, 0 },
		{ NID_sha384, 48, 1, 0, POLICY2, 1 },
		{ NID_sha256, 32, 64 - 4, 1, POLICY1, 0 },
	};
	size_t i;
	TS_REQ *req;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req = make_req(cases[i].nid, cases[i].len, cases[i].nonce, cases[i].cert_req, cases[i].policy);
		issue_and_verify(fx, req, cases[i].want);
		TS_REQ_free(req);
	}
}

/* Requests OpenSSL's path must answer (rejections, or a nonce too long to
 * pre-size). */
static void
test_not_taken(void **state)
{
	struct fixture *fx = *state;
	size_t policy;
	TS_REQ *req;
	X509_EXTENSION *ext;
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();

	req = make_req(NID_sha1, 20, 8, 1, NULL);            /* SHA-1 */
	assert_int_equal(tsa_token_accepts(fx->tk, req, &policy), 0);
	TS_REQ_free(req);
	req = make_req(NID_sha512, 64, 8, 1, NULL);          /* not in digests */
	assert_int_equal(tsa_token_accepts(fx->tk, req, &policy), 0);
	TS_REQ_free(req);
	req = make_req(NID_sha256, 31, 8, 1, NULL);          /* wrong length */
	assert_int_equal(tsa_token_accepts(fx->tk, req, &policy), 0);
	TS_REQ_free(req);
	req = make_req(NID_sha256, 32, 8, 1, "1.2.3.4");     /* unknown policy */
	assert_int_equal(tsa_token_accepts(fx->tk, req, &policy), 0);
	TS_REQ_free(req);
	req = make_req(NID_sha256, 32, 100, 1, NULL);        /* long nonce */
	assert_int_equal(tsa_token_accepts(fx->tk, req, &policy), 0);
	TS_REQ_free(req);
	req = make_req(NID_sha256, 32, 8, 1, NULL);          /* version 2 */
	assert_int_equal(TS_REQ_set_version(req, 2), 1);
	assert_int_equal(tsa_token_accepts(fx->tk, req, &policy), 0);
	TS_REQ_free(req);
	req = make_req(NID_sha256, 32, 8, 1, NULL);          /* an extension */
	assert_non_null(os);
	assert_int_equal(ASN1_OCTET_STRING_set(os, (const unsigned char *)"x", 1), 1);
	assert_non_null(ext = X509_EXTENSION_create_by_NID(NULL, NID_basic_constraints, 0, os));
	assert_int_equal(TS_REQ_add_ext(req, ext, -1), 1);
	assert_int_equal(tsa_token_accepts(fx->tk, req, &policy), 0);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	TS_REQ_free(req);
}

static void
test_serial_hex(void **state)
{
	char buf[TSA_TOKEN_MAX_SERIAL];

	(void)state;
	tsa_token_serial_hex(1, buf, sizeof(buf));
	assert_string_equal(buf, "01");
	tsa_token_serial_hex(0x19C01, buf, sizeof(buf));
	assert_string_equal(buf, "019C01");
	tsa_token_serial_hex(UINT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "FFFFFFFFFFFFFFFF");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_granted, setup_ec, teardown),
		cmocka_unit_test_setup_teardown(test_granted, setup_rsa, teardown),
		cmocka_unit_test_setup_teardown(test_not_taken, setup_ec, teardown),
		cmocka_unit_test(test_serial_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
