/* certmake.c — certificates and requests for --init (see certmake.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "certmake.h"

static gpg_error_t
fail_ssl(char *err, size_t errlen, const char *step)
{
	unsigned long e = ERR_peek_last_error();

	snprintf(err, errlen, "%s failed: %s", step, e ? ERR_reason_error_string(e) : "OpenSSL error");
	ERR_clear_error();
	return gpg_error(GPG_ERR_GENERAL);
}

static X509_NAME *
name_cn(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	if (n != NULL && !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

/* RFC 5280 §4.1.2.2: positive, at most 20 octets; 128 random bits. */
static int
set_serial(X509 *x)
{
	unsigned char b[CERTMAKE_SERIAL_LEN];
	BIGNUM *bn = NULL;
	int ok;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return 0;
	b[0] &= 0x7f;
	b[0] |= 0x40; /* never zero, always 16 octets */
	ok = (bn = BN_bin2bn(b, sizeof(b), NULL)) != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

/* A v3 certificate for KEY named CN, issued by ISSUER (NULL: itself). */
static X509 *
new_cert(EVP_PKEY *key, const char *cn, X509 *issuer, long days)
{
	X509 *x = X509_new();
	X509_NAME *n = name_cn(cn);

	if (x == NULL || n == NULL || !X509_set_version(x, 2) || !set_serial(x) || !X509_set_subject_name(x, n) ||
	    !X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : n) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -CERTMAKE_BACKDATE) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) == NULL || !X509_set_pubkey(x, key)) {
		X509_free(x);
		x = NULL;
	}
	X509_NAME_free(n);
	return x;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = e != NULL && X509_add_ext(x, e, -1);

	X509_EXTENSION_free(e);
	return ok;
}

gpg_error_t
certmake_ca(EVP_PKEY *cakey, const char *cn, X509 **out, char *err, size_t errlen)
{
	X509V3_CTX ctx;
	X509 *x;

	*out = NULL;
	if ((x = new_cert(cakey, cn, NULL, CERTMAKE_CA_DAYS)) == NULL)
		return fail_ssl(err, errlen, "building the CA certificate");
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (!add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    !add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(x, &ctx, NID_subject_key_identifier, "hash")) {
		X509_free(x);
		return fail_ssl(err, errlen, "the CA certificate's extensions");
	}
	if (X509_sign(x, cakey, EVP_sha256()) <= 0) {
		X509_free(x);
		return fail_ssl(err, errlen, "signing the CA certificate on the token");
	}
	*out = x;
	return 0;
}

gpg_error_t
certmake_issue(X509 *ca, EVP_PKEY *cakey, EVP_PKEY *key, const char *cn, X509 **out, char *err, size_t errlen)
{
	X509V3_CTX ctx;
	X509 *x;

	*out = NULL;
	if ((x = new_cert(key, cn, ca, CERTMAKE_TSA_DAYS)) == NULL)
		return fail_ssl(err, errlen, "building the TSA certificate");
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	/* RFC 3161 §2.3: timeStamping is the only extended key usage, critical. */
	if (!add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(x, &ctx, NID_ext_key_usage, "critical,timeStamping") ||
	    !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always")) {
		X509_free(x);
		return fail_ssl(err, errlen, "the TSA certificate's extensions");
	}
	if (X509_sign(x, cakey, EVP_sha256()) <= 0) {
		X509_free(x);
		return fail_ssl(err, errlen, "signing the TSA certificate with the CA key on the token");
	}
	*out = x;
	return 0;
}

gpg_error_t
certmake_csr(EVP_PKEY *key, const char *cn, char **out, size_t *outlen, char *err, size_t errlen)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *e = NULL;
	X509_REQ *req = NULL;
	X509_NAME *n = NULL;
	X509V3_CTX ctx;
	BIO *b = NULL;
	char *data;
	long len;
	gpg_error_t r;

	*out = NULL;
	*outlen = 0;
	if ((req = X509_REQ_new()) == NULL || (n = name_cn(cn)) == NULL || !X509_REQ_set_version(req, 0) ||
	    !X509_REQ_set_subject_name(req, n) || !X509_REQ_set_pubkey(req, key) ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL) {
		r = fail_ssl(err, errlen, "building the request");
		goto out;
	}
	X509V3_set_ctx(&ctx, NULL, NULL, req, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, "critical,timeStamping")) == NULL ||
	    !sk_X509_EXTENSION_push(exts, e) ||
	    (e = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical,digitalSignature")) == NULL ||
	    !sk_X509_EXTENSION_push(exts, e)) {
		X509_EXTENSION_free(e);
		r = fail_ssl(err, errlen, "the request's extensions");
		goto out;
	}
	if (!X509_REQ_add_extensions(req, exts)) {
		r = fail_ssl(err, errlen, "the request's extensions");
		goto out;
	}
	if (X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
		r = fail_ssl(err, errlen, "signing the request on the token");
		goto out;
	}
	if ((b = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509_REQ(b, req) ||
	    (len = BIO_get_mem_data(b, &data)) <= 0 || (*out = malloc((size_t)len)) == NULL) {
		r = fail_ssl(err, errlen, "encoding the request");
		goto out;
	}
	memcpy(*out, data, (size_t)len);
	*outlen = (size_t)len;
	r = 0; /* success */
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(n);
	X509_REQ_free(req);
	BIO_free(b);
	return r;
}
