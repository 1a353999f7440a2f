/* tsclient.c — see tsclient.h.  Everything through OpenSSL: the TS API
 * builds and reads the ASN.1, OSSL_HTTP_transfer() does the POST (with a
 * TLS BIO pushed in by the callback for https). */
#include "tsclient.h"
#include "tsverifyctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/http.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#define TSCLIENT_MAX_PEM_CERTS 32  /* certificates read from an untrusted file */
#define TSCLIENT_MAX_OSSL_ERR  512

static void
seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* OpenSSL's error queue, oldest first and joined by "; " (with each
 * entry's data, e.g. "code=415" or the errno text) into BUF, and the queue
 * cleared, so messages name what OpenSSL saw. */
static const char *
ossl_reason(char *buf, size_t len)
{
	unsigned long e;
	const char *data;
	char one[TSCLIENT_MAX_OSSL_ERR];
	size_t n = 0;
	int flags;

	buf[0] = '\0';
	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
		ERR_error_string_n(e, one, sizeof(one));
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "; " : "", one);
		if (data != NULL && (flags & ERR_TXT_STRING) && *data != '\0' && n < len)
			n += (size_t)snprintf(buf + n, len - n, " (%s)", data);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "unknown error");
	return buf;
}

static const EVP_MD *
md_of(const struct hashalgo *algo)
{
	if (algo == NULL)
		return NULL;
	return EVP_get_digestbyname(algo->name);
}

static gpg_error_t
check_digest_args(const struct hashalgo *algo, const uint8_t *digest, size_t digest_len,
                  char *err, size_t errlen)
{
	if (algo == NULL || digest == NULL || md_of(algo) == NULL) {
		seterr(err, errlen, "no usable digest algorithm");
		return gpg_error(GPG_ERR_INV_ARG);
	}
	if (digest_len != algo->digest_len) {
		seterr(err, errlen, "a %s digest is %zu bytes, got %zu", algo->name, algo->digest_len,
		       digest_len);
		return gpg_error(GPG_ERR_INV_ARG);
	}
	return 0;
}

/* i2d into a malloc'd buffer (OpenSSL allocates with OPENSSL_malloc; the
 * callers free() what they get). */
static gpg_error_t
der_copy(const unsigned char *p, int n, uint8_t **out, size_t *outlen)
{
	uint8_t *b;

	if (n <= 0)
		return gpg_error(GPG_ERR_GENERAL);
	if ((b = malloc((size_t)n)) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	memcpy(b, p, (size_t)n);
	*out = b;
	*outlen = (size_t)n;
	return 0;
}

gpg_error_t
tsclient_make_query(const struct hashalgo *algo, const uint8_t *digest, size_t digest_len,
                    int want_cert, uint8_t **query, size_t *query_len, char *err, size_t errlen)
{
	TS_REQ *req = NULL;
	TS_MSG_IMPRINT *imp = NULL;
	X509_ALGOR *alg = NULL;
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = NULL;
	unsigned char rnd[TSCLIENT_NONCE_LEN], *der = NULL;
	char why[TSCLIENT_MAX_OSSL_ERR];
	int n;
	gpg_error_t r;

	if (query != NULL)
		*query = NULL;
	if (query_len != NULL)
		*query_len = 0;
	if (query == NULL || query_len == NULL)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((r = check_digest_args(algo, digest, digest_len, err, errlen)) != 0)
		return r;

	r = gpg_error(GPG_ERR_ENOMEM);
	if ((req = TS_REQ_new()) == NULL || (imp = TS_MSG_IMPRINT_new()) == NULL ||
	    (alg = X509_ALGOR_new()) == NULL)
		goto out;
	if (!TS_REQ_set_version(req, 1) ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(md_of(algo))), V_ASN1_NULL, NULL) ||
	    !TS_MSG_IMPRINT_set_algo(imp, alg) ||
	    !TS_MSG_IMPRINT_set_msg(imp, (unsigned char *)digest, (int)digest_len) ||
	    !TS_REQ_set_msg_imprint(req, imp))
		goto out;
	/* A nonce ties the reply to this request (no replayed old token). */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		seterr(err, errlen, "no random nonce: %s", ossl_reason(why, sizeof(why)));
		r = gpg_error(GPG_ERR_GENERAL);
		goto out;
	}
	rnd[0] &= 0x7f; /* keep it positive and of a stable length */
	rnd[0] |= 0x40;
	if ((bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) == NULL ||
	    (nonce = BN_to_ASN1_INTEGER(bn, NULL)) == NULL || !TS_REQ_set_nonce(req, nonce) ||
	    !TS_REQ_set_cert_req(req, want_cert ? 1 : 0))
		goto out;
	if ((n = i2d_TS_REQ(req, &der)) <= 0)
		goto out;
	if ((r = der_copy(der, n, query, query_len)) != 0)
		goto out;
	r = 0; /* success */
out:
	if (r != 0 && gpg_err_code(r) == GPG_ERR_ENOMEM)
		seterr(err, errlen, "cannot build the time-stamp query: out of memory");
	OPENSSL_free(der);
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(imp);
	TS_REQ_free(req);
	return r;
}

static const char *
status_name(long s)
{
	switch (s) {
	case 0: return "granted";
	case 1: return "grantedWithMods";
	case 2: return "rejection";
	case 3: return "waiting";
	case 4: return "revocationWarning";
	case 5: return "revocationNotification";
	default: return "unknown";
	}
}

/* RFC 3161 §2.4.2 PKIFailureInfo bit names. */
static const struct {
	int bit;
	const char *name;
} fail_bits[] = {
	{ 0, "badAlg" },
	{ 2, "badRequest" },
	{ 5, "badDataFormat" },
	{ 14, "timeNotAvailable" },
	{ 15, "unacceptedPolicy" },
	{ 16, "unacceptedExtension" },
	{ 17, "addInfoNotAvailable" },
	{ 25, "systemFailure" },
};

/* "rejection (2), failInfo badAlg: text" into ERR. */
static void
describe_status(const TS_STATUS_INFO *si, char *err, size_t errlen)
{
	const ASN1_BIT_STRING *fi = TS_STATUS_INFO_get0_failure_info(si);
	const STACK_OF(ASN1_UTF8STRING) *text = TS_STATUS_INFO_get0_text(si);
	char fails[256] = "", txt[256] = "";
	long s = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
	size_t i, n = 0;

	for (i = 0; fi != NULL && i < sizeof(fail_bits) / sizeof(fail_bits[0]); i++) {
		if (ASN1_BIT_STRING_get_bit(fi, fail_bits[i].bit) && n < sizeof(fails))
			n += (size_t)snprintf(fails + n, sizeof(fails) - n, "%s%s", n ? "," : "",
			                      fail_bits[i].name);
	}
	for (i = 0; fi != NULL && i < 64 && n == 0; i++) {
		if (ASN1_BIT_STRING_get_bit(fi, (int)i))
			n += (size_t)snprintf(fails, sizeof(fails), "bit %zu", i);
	}
	if (text != NULL && sk_ASN1_UTF8STRING_num(text) > 0) {
		const ASN1_UTF8STRING *t = sk_ASN1_UTF8STRING_value(text, 0);
		int l = ASN1_STRING_length(t), j;
		const unsigned char *d = ASN1_STRING_get0_data(t);
		size_t k = 0;
		/* Server text, printable characters only: it goes into logs. */
		for (j = 0; j < l && k + 1 < sizeof(txt); j++)
			txt[k++] = (d[j] >= 0x20 && d[j] < 0x7f) ? (char)d[j] : '?';
		txt[k] = '\0';
	}
	seterr(err, errlen, "the TSA answered PKIStatus %s (%ld)%s%s%s%s", status_name(s), s,
	       fails[0] ? ", failInfo " : "", fails, txt[0] ? ": " : "", txt);
}

gpg_error_t
tsclient_check_reply(const uint8_t *query, size_t query_len, const uint8_t *resp, size_t resp_len,
                     uint8_t **token, size_t *token_len, char *err, size_t errlen)
{
	TS_REQ *req = NULL;
	TS_RESP *rsp = NULL;
	const unsigned char *p;
	unsigned char *der = NULL;
	TS_STATUS_INFO *si;
	TS_TST_INFO *tst;
	PKCS7 *tok;
	TS_MSG_IMPRINT *qi, *ti;
	const ASN1_INTEGER *qn, *tn;
	ASN1_OCTET_STRING *qd, *td;
	long status;
	int n;
	gpg_error_t r = gpg_error(GPG_ERR_INV_RESPONSE);

	if (token != NULL)
		*token = NULL;
	if (token_len != NULL)
		*token_len = 0;
	if (query == NULL || resp == NULL || token == NULL || token_len == NULL ||
	    query_len > TSCLIENT_MAX_RESP || resp_len > TSCLIENT_MAX_RESP) {
		seterr(err, errlen, "bad arguments");
		return gpg_error(GPG_ERR_INV_ARG);
	}
	p = query;
	if ((req = d2i_TS_REQ(NULL, &p, (long)query_len)) == NULL || p != query + query_len) {
		seterr(err, errlen, "the query is not a DER TimeStampReq");
		r = gpg_error(GPG_ERR_INV_ARG);
		goto out;
	}
	p = resp;
	if ((rsp = d2i_TS_RESP(NULL, &p, (long)resp_len)) == NULL || p != resp + resp_len) {
		seterr(err, errlen, "the reply is not a DER TimeStampResp");
		goto out;
	}
	si = TS_RESP_get_status_info(rsp);
	status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si));
	if (status != 0 && status != 1) {
		describe_status(si, err, errlen);
		r = gpg_error(GPG_ERR_NOT_OPERATIONAL);
		goto out;
	}
	tok = TS_RESP_get_token(rsp);
	tst = TS_RESP_get_tst_info(rsp);
	if (tok == NULL || tst == NULL) {
		seterr(err, errlen, "PKIStatus %s but no usable token in the reply", status_name(status));
		goto out;
	}
	/* The token must be over what we asked for ... */
	qi = TS_REQ_get_msg_imprint(req);
	ti = TS_TST_INFO_get_msg_imprint(tst);
	qd = TS_MSG_IMPRINT_get_msg(qi);
	td = TS_MSG_IMPRINT_get_msg(ti);
	if (OBJ_cmp(TS_MSG_IMPRINT_get_algo(qi)->algorithm, TS_MSG_IMPRINT_get_algo(ti)->algorithm) != 0 ||
	    ASN1_STRING_length(qd) != ASN1_STRING_length(td) ||
	    memcmp(ASN1_STRING_get0_data(qd), ASN1_STRING_get0_data(td), (size_t)ASN1_STRING_length(qd)) != 0) {
		seterr(err, errlen, "the token's message imprint is not the one requested");
		goto out;
	}
	/* ... and answer this request, not an older one. */
	qn = TS_REQ_get_nonce(req);
	tn = TS_TST_INFO_get_nonce(tst);
	if ((qn == NULL) != (tn == NULL) || (qn != NULL && ASN1_INTEGER_cmp(qn, tn) != 0)) {
		seterr(err, errlen, "the token's nonce does not echo the request's");
		goto out;
	}
	if ((n = i2d_PKCS7(tok, &der)) <= 0) {
		seterr(err, errlen, "cannot encode the token");
		r = gpg_error(GPG_ERR_GENERAL);
		goto out;
	}
	if ((r = der_copy(der, n, token, token_len)) != 0) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	r = 0; /* success */
out:
	OPENSSL_free(der);
	TS_RESP_free(rsp);
	TS_REQ_free(req);
	ERR_clear_error();
	return r;
}

/* ---- HTTP --------------------------------------------------------------- */

struct tls_arg {
	SSL_CTX *ctx;
	const char *host;
	BIO *sbio;       /* the TLS BIO pushed, popped and freed at the end */
};

/* OSSL_HTTP_transfer's bio_update_fn: push a TLS BIO over the connection
 * (CONNECT && DETAIL); shut it down, pop and free it when the exchange
 * ends (the connection BIO under it is ours to free). */
static BIO *
tls_update_bio(BIO *bio, void *arg, int connect, int detail)
{
	struct tls_arg *ta = arg;
	BIO *sbio, *next;
	SSL *ssl = NULL;

	if (connect && detail) {
		if ((sbio = BIO_new(BIO_f_ssl())) == NULL)
			return NULL;
		if ((ssl = SSL_new(ta->ctx)) == NULL) {
			BIO_free(sbio);
			return NULL;
		}
		/* An IP address is checked against the certificate's IP SANs,
		 * a name against its DNS names (and sent as SNI). */
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ta->host) != 1) {
			ERR_clear_error();
			if (SSL_set_tlsext_host_name(ssl, ta->host) != 1 || SSL_set1_host(ssl, ta->host) != 1) {
				SSL_free(ssl);
				BIO_free(sbio);
				return NULL;
			}
		}
		SSL_set_connect_state(ssl);
		BIO_set_ssl(sbio, ssl, BIO_CLOSE);
		ta->sbio = sbio;
		return BIO_push(sbio, bio);
	}
	if (!connect && ta->sbio != NULL && bio == ta->sbio) {
		(void)ERR_set_mark();
		BIO_ssl_shutdown(bio);
		(void)ERR_pop_to_mark();
		next = BIO_pop(bio);
		BIO_free(bio);
		ta->sbio = NULL;
		return next;
	}
	return bio;
}

/* A non-blocking TCP connection to HOST:PORT by DEADLINE.  Ours rather
 * than OSSL_HTTP_transfer's: OpenSSL retries a refused connection until
 * the timeout, and "nothing listening" must fail at once. */
static gpg_error_t
connect_tcp(const char *url, const char *host, const char *port, time_t deadline, BIO **out,
            char *err, size_t errlen)
{
	BIO *b = NULL;
	char why[TSCLIENT_MAX_OSSL_ERR];
	int rv;
	gpg_error_t r = gpg_error(GPG_ERR_NETWORK);

	*out = NULL;
	if ((b = BIO_new_connect(host)) == NULL || BIO_set_conn_port(b, port) != 1) {
		seterr(err, errlen, "out of memory");
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	BIO_set_nbio(b, 1);
	for (;;) {
		if ((rv = BIO_do_connect(b)) > 0)
			break;
		if (!BIO_should_retry(b)) {
			seterr(err, errlen, "%s: cannot connect: %s", url, ossl_reason(why, sizeof(why)));
			goto out;
		}
		if ((rv = BIO_wait(b, deadline, 0)) <= 0) {
			seterr(err, errlen, "%s: cannot connect: %s", url,
			       rv == 0 ? "timed out" : ossl_reason(why, sizeof(why)));
			r = gpg_error(rv == 0 ? GPG_ERR_TIMEOUT : GPG_ERR_NETWORK);
			goto out;
		}
	}
	*out = b;
	b = NULL;
	r = 0; /* success */
out:
	BIO_free_all(b);
	return r;
}

static gpg_error_t
http_post(const char *url, const char *tls_ca_file, const uint8_t *query, size_t query_len,
          unsigned timeout_s, uint8_t **resp, size_t *resp_len, char *err, size_t errlen)
{
	char *host = NULL, *port = NULL, *path = NULL;
	int use_ssl = 0;
	SSL_CTX *ctx = NULL;
	struct tls_arg ta = { NULL, NULL, NULL };
	BIO *req = NULL, *rbio = NULL, *conn = NULL;
	time_t deadline = time(NULL) + (time_t)timeout_s;
	char why[TSCLIENT_MAX_OSSL_ERR];
	const unsigned char *data;
	long n;
	gpg_error_t r = gpg_error(GPG_ERR_NETWORK);

	ERR_clear_error();
	if (!OSSL_HTTP_parse_url(url, &use_ssl, NULL, &host, &port, NULL, &path, NULL, NULL)) {
		seterr(err, errlen, "%s: not a usable http:// or https:// URL", url);
		r = gpg_error(GPG_ERR_INV_ARG);
		goto out;
	}
	if (use_ssl) {
		if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
			seterr(err, errlen, "TLS set-up: %s", ossl_reason(why, sizeof(why)));
			r = gpg_error(GPG_ERR_GENERAL);
			goto out;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if ((tls_ca_file != NULL ? SSL_CTX_load_verify_file(ctx, tls_ca_file)
		                         : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
			seterr(err, errlen, "TLS CA file %s: %s", tls_ca_file ? tls_ca_file : "(default)",
			       ossl_reason(why, sizeof(why)));
			r = gpg_error(GPG_ERR_INV_ARG);
			goto out;
		}
		ta.ctx = ctx;
		ta.host = host;
	}
	if ((req = BIO_new_mem_buf(query, (int)query_len)) == NULL) {
		r = gpg_error(GPG_ERR_ENOMEM);
		seterr(err, errlen, "out of memory");
		goto out;
	}
	if ((r = connect_tcp(url, host, port, deadline, &conn, err, errlen)) != 0)
		goto out;
	/* Our connection, so no proxy: the TSA is named exactly (a checkpoint
	 * must not depend on $http_proxy). */
	rbio = OSSL_HTTP_transfer(NULL, host, port, path, use_ssl, NULL, NULL, conn, NULL,
	                          use_ssl ? tls_update_bio : NULL, use_ssl ? &ta : NULL, 0, NULL,
	                          "application/timestamp-query", req, "application/timestamp-reply",
	                          1, TSCLIENT_MAX_RESP, (int)(deadline > time(NULL) ? deadline - time(NULL) : 1), 0);
	if (rbio == NULL) {
		r = gpg_error(GPG_ERR_NETWORK);
		seterr(err, errlen, "%s: %s", url, ossl_reason(why, sizeof(why)));
		goto out;
	}
	n = BIO_get_mem_data(rbio, (char **)&data);
	if (n <= 0 || (size_t)n > TSCLIENT_MAX_RESP) {
		seterr(err, errlen, "%s: empty or oversized reply", url);
		r = gpg_error(GPG_ERR_INV_RESPONSE);
		goto out;
	}
	if ((r = der_copy(data, (int)n, resp, resp_len)) != 0) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	r = 0; /* success */
out:
	BIO_free_all(rbio);
	BIO_free(req);
	if (ta.sbio != NULL) { /* still pushed: the exchange ended early */
		(void)BIO_pop(ta.sbio);
		BIO_free(ta.sbio);
	}
	BIO_free_all(conn);
	SSL_CTX_free(ctx);
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	ERR_clear_error();
	return r;
}

gpg_error_t
tsclient_request(const char *url, const char *tls_ca_file, const struct hashalgo *algo,
                 const uint8_t *digest, size_t digest_len, int want_cert, unsigned timeout_s,
                 uint8_t **token, size_t *token_len, char *err, size_t errlen)
{
	uint8_t *query = NULL, *resp = NULL;
	size_t query_len = 0, resp_len = 0;
	gpg_error_t r;

	if (token != NULL)
		*token = NULL;
	if (token_len != NULL)
		*token_len = 0;
	if (url == NULL || token == NULL || token_len == NULL ||
	    strnlen(url, TSCLIENT_MAX_URL + 1) > TSCLIENT_MAX_URL) {
		seterr(err, errlen, "no URL, or a URL longer than %d bytes", TSCLIENT_MAX_URL);
		return gpg_error(GPG_ERR_INV_ARG);
	}
	if (timeout_s < 1 || timeout_s > TSCLIENT_MAX_TIMEOUT) {
		seterr(err, errlen, "timeout %u s: must be 1..%d", timeout_s, TSCLIENT_MAX_TIMEOUT);
		return gpg_error(GPG_ERR_INV_ARG);
	}
	if ((r = tsclient_make_query(algo, digest, digest_len, want_cert, &query, &query_len, err,
	                             errlen)) != 0 ||
	    (r = http_post(url, tls_ca_file, query, query_len, timeout_s, &resp, &resp_len, err,
	                   errlen)) != 0 ||
	    (r = tsclient_check_reply(query, query_len, resp, resp_len, token, token_len, err,
	                              errlen)) != 0)
		goto out;
	r = 0; /* success */
out:
	free(query);
	free(resp);
	return r;
}

/* ---- verification ------------------------------------------------------- */

static gpg_error_t
load_untrusted(const char *path, STACK_OF(X509) **out, char *err, size_t errlen)
{
	STACK_OF(X509) *sk = NULL;
	BIO *b = NULL;
	X509 *x = NULL;
	char why[TSCLIENT_MAX_OSSL_ERR];
	gpg_error_t r = gpg_error(GPG_ERR_INV_VALUE);

	*out = NULL;
	if ((b = BIO_new_file(path, "r")) == NULL) {
		seterr(err, errlen, "%s: %s", path, ossl_reason(why, sizeof(why)));
		r = gpg_error(GPG_ERR_ENOENT);
		goto out;
	}
	if ((sk = sk_X509_new_null()) == NULL) {
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_num(sk) >= TSCLIENT_MAX_PEM_CERTS) {
			seterr(err, errlen, "%s: more than %d certificates", path, TSCLIENT_MAX_PEM_CERTS);
			goto out;
		}
		if (!sk_X509_push(sk, x)) {
			r = gpg_error(GPG_ERR_ENOMEM);
			goto out;
		}
		x = NULL;
	}
	ERR_clear_error(); /* the end of the file reads as "no start line" */
	if (sk_X509_num(sk) == 0) {
		seterr(err, errlen, "%s: no PEM certificate", path);
		goto out;
	}
	*out = sk;
	sk = NULL;
	r = 0; /* success */
out:
	X509_free(x);
	sk_X509_pop_free(sk, X509_free);
	BIO_free(b);
	return r;
}

static void
fill_info(TS_TST_INFO *tst, struct tsclient_info *info)
{
	const ASN1_GENERALIZEDTIME *gt = TS_TST_INFO_get_time(tst);
	const ASN1_INTEGER *ser = TS_TST_INFO_get_serial(tst);
	BIGNUM *bn = NULL;
	char *hex = NULL;
	struct tm tm;
	int l;

	memset(info, 0, sizeof(*info));
	if (gt != NULL) {
		l = ASN1_STRING_length(gt);
		if (l > 0 && (size_t)l < sizeof(info->gen_time_str))
			memcpy(info->gen_time_str, ASN1_STRING_get0_data(gt), (size_t)l);
		memset(&tm, 0, sizeof(tm));
		if (ASN1_TIME_to_tm(gt, &tm) == 1)
			info->gen_time = timegm(&tm);
	}
	if (ser != NULL && (bn = ASN1_INTEGER_to_BN(ser, NULL)) != NULL &&
	    (hex = BN_bn2hex(bn)) != NULL && strlen(hex) <= TSCLIENT_MAX_SERIAL)
		snprintf(info->serial, sizeof(info->serial), "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	if (OBJ_obj2txt(info->policy, sizeof(info->policy), TS_TST_INFO_get_policy_id(tst), 1) <= 0)
		info->policy[0] = '\0';
}

gpg_error_t
tsclient_verify(const uint8_t *token, size_t token_len, const struct hashalgo *algo,
                const uint8_t *digest, size_t digest_len, const char *ca_file,
                const char *untrusted_file, struct tsclient_info *info, char *err, size_t errlen)
{
	PKCS7 *p7 = NULL;
	TS_TST_INFO *tst = NULL;
	TS_VERIFY_CTX *vctx = NULL;
	X509_STORE *store = NULL;
	STACK_OF(X509) *untrusted = NULL;
	unsigned char *imprint = NULL;
	const unsigned char *p;
	char why[TSCLIENT_MAX_OSSL_ERR];
	gpg_error_t r = gpg_error(GPG_ERR_INV_VALUE);

	if (info != NULL)
		memset(info, 0, sizeof(*info));
	ERR_clear_error();
	if (token == NULL || token_len == 0 || token_len > TSCLIENT_MAX_RESP || ca_file == NULL ||
	    info == NULL) {
		seterr(err, errlen, "bad arguments");
		return gpg_error(GPG_ERR_INV_ARG);
	}
	if ((r = check_digest_args(algo, digest, digest_len, err, errlen)) != 0)
		return r;
	r = gpg_error(GPG_ERR_INV_VALUE);
	p = token;
	if ((p7 = d2i_PKCS7(NULL, &p, (long)token_len)) == NULL || p != token + token_len ||
	    (tst = PKCS7_to_TS_TST_INFO(p7)) == NULL) {
		seterr(err, errlen, "not a DER TimeStampToken");
		goto out;
	}
	if ((store = X509_STORE_new()) == NULL) {
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	if (X509_STORE_load_file(store, ca_file) != 1) {
		seterr(err, errlen, "CA file %s: %s", ca_file, ossl_reason(why, sizeof(why)));
		goto out;
	}
	if (untrusted_file != NULL &&
	    (r = load_untrusted(untrusted_file, &untrusted, err, errlen)) != 0)
		goto out;
	r = gpg_error(GPG_ERR_ENOMEM);
	if ((vctx = TS_VERIFY_CTX_new()) == NULL ||
	    (imprint = OPENSSL_memdup(digest, digest_len)) == NULL)
		goto out;
	TS_VERIFY_CTX_set_flags(vctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT | TS_VFY_SIGNER);
	if (!tsverifyctx_give(vctx, &store, &untrusted, &imprint, digest_len))
		goto out;
	if (TS_RESP_verify_token(vctx, p7) != 1) {
		seterr(err, errlen, "the time-stamp token does not verify: %s", ossl_reason(why, sizeof(why)));
		r = gpg_error(GPG_ERR_BAD_SIGNATURE);
		goto out;
	}
	/* TS_VFY_IMPRINT compares the bytes only: the algorithm must be the
	 * one the caller hashed with too. */
	if (OBJ_obj2nid(TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(tst))->algorithm) !=
	    EVP_MD_get_type(md_of(algo))) {
		seterr(err, errlen, "the token's imprint is not a %s digest", algo->name);
		r = gpg_error(GPG_ERR_BAD_SIGNATURE);
		goto out;
	}
	fill_info(tst, info);
	r = 0; /* success */
out:
	if (gpg_err_code(r) == GPG_ERR_ENOMEM)
		seterr(err, errlen, "out of memory");
	OPENSSL_free(imprint);
	TS_VERIFY_CTX_free(vctx);
	sk_X509_pop_free(untrusted, X509_free);
	X509_STORE_free(store);
	TS_TST_INFO_free(tst);
	PKCS7_free(p7);
	ERR_clear_error();
	return r;
}
