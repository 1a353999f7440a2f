/* tsafixture.c — see tsafixture.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "tsafixture.h"

static int
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

int
tsafixture_make(const char *cn, const char *alg, EVP_PKEY **keyp, X509 **certp)
{
	EVP_PKEY *key = strcmp(alg, "RSA-3072") == 0 ? EVP_RSA_gen(3072) : EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	int ok;

	ok = key != NULL && x != NULL && name != NULL && X509_set_version(x, 2) &&
	     ASN1_INTEGER_set(X509_get_serialNumber(x), 7) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
	     X509_gmtime_adj(X509_getm_notAfter(x), 86400) != NULL &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) &&
	     X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) && X509_set_pubkey(x, key) &&
	     add_ext(x, NID_basic_constraints, "critical,CA:FALSE") &&
	     add_ext(x, NID_key_usage, "critical,digitalSignature") &&
	     add_ext(x, NID_ext_key_usage, "critical,timeStamping") && X509_sign(x, key, EVP_sha256()) > 0;
	X509_NAME_free(name);
	if (!ok) {
		EVP_PKEY_free(key);
		X509_free(x);
		return -1;
	}
	*keyp = key;
	*certp = x;
	return 0;
}

int
tsafixture_write_pem(X509 *cert, char *path, size_t pathlen)
{
	FILE *f;
	int fd, ok;

	snprintf(path, pathlen, "/tmp/tsafixture-XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(path);
		return -1;
	}
	ok = PEM_write_X509(f, cert) == 1;
	ok = fclose(f) == 0 && ok;
	if (!ok)
		unlink(path);
	return ok ? 0 : -1;
}

int
tsafixture_reply(EVP_PKEY *key, X509 *cert, const EVP_MD *md, const char *policy,
                 const uint8_t *query, size_t query_len, uint8_t **out, size_t *outlen)
{
	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	ASN1_OBJECT *pol = OBJ_txt2obj(policy, 1);
	BIO *in = BIO_new_mem_buf(query, (int)query_len);
	TS_RESP *resp = NULL;
	unsigned char *der = NULL;
	int n = 0, rc = -1;

	*out = NULL;
	*outlen = 0;
	if (ctx == NULL || pol == NULL || in == NULL || TS_RESP_CTX_set_signer_cert(ctx, cert) != 1 ||
	    TS_RESP_CTX_set_signer_key(ctx, key) != 1 || TS_RESP_CTX_set_def_policy(ctx, pol) != 1 ||
	    TS_RESP_CTX_add_md(ctx, md) != 1 || TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()) != 1 ||
	    TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256()) != 1 ||
	    (resp = TS_RESP_create_response(ctx, in)) == NULL || (n = i2d_TS_RESP(resp, &der)) <= 0 ||
	    (*out = malloc((size_t)n)) == NULL)
		goto out;
	memcpy(*out, der, (size_t)n);
	*outlen = (size_t)n;
	rc = 0; /* success */
out:
	OPENSSL_free(der);
	TS_RESP_free(resp);
	BIO_free(in);
	ASN1_OBJECT_free(pol);
	TS_RESP_CTX_free(ctx);
	return rc;
}
