/* tsacert.c — TSA certificate files (see tsacert.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "atomicfile.h"
#include "readfile.h"
#include "tsa.h"
#include "tsacert.h"

#define TSACERT_FILE_MODE 0644     /* certificates are public */

gpg_error_t
tsacert_read_pem(const char *path, STACK_OF(X509) **certsp, char *err, size_t errlen)
{
	STACK_OF(X509) *certs = NULL;
	char *text = NULL;
	size_t len = 0;
	BIO *b = NULL;
	X509 *x;
	gpg_error_t r;

	*certsp = NULL;
	if ((r = readfile_bounded(path, TSA_MAX_PEM, &text, &len, err, errlen)) != 0)
		return r;
	if ((b = BIO_new_mem_buf(text, (int)len)) == NULL || (certs = sk_X509_new_null()) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_num(certs) >= TSACERT_MAX_CERTS || !sk_X509_push(certs, x)) {
			X509_free(x);
			snprintf(err, errlen, "%s: more than %d certificates", path, TSACERT_MAX_CERTS);
			r = gpg_error(GPG_ERR_TOO_LARGE);
			goto out;
		}
	}
	ERR_clear_error();
	if (sk_X509_num(certs) == 0) {
		snprintf(err, errlen, "%s: no PEM certificate in it", path);
		r = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	*certsp = certs;
	certs = NULL;
	r = 0; /* success */
out:
	sk_X509_pop_free(certs, X509_free);
	BIO_free(b);
	free(text);
	return r;
}

gpg_error_t
tsacert_check_eku(X509 *cert, char *err, size_t errlen)
{
	EXTENDED_KEY_USAGE *eku = NULL;
	int crit = -1, idx = X509_get_ext_by_NID(cert, NID_ext_key_usage, -1);
	gpg_error_t r = gpg_error(GPG_ERR_WRONG_KEY_USAGE);

	if (idx < 0) {
		snprintf(err, errlen, "it has no extendedKeyUsage (it needs exactly timeStamping, critical)");
		return r;
	}
	if (X509_get_ext_by_NID(cert, NID_ext_key_usage, idx) >= 0) {
		snprintf(err, errlen, "it has two extendedKeyUsage extensions");
		return r;
	}
	if ((eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL)) == NULL) {
		snprintf(err, errlen, "its extendedKeyUsage cannot be decoded");
		return r;
	}
	if (sk_ASN1_OBJECT_num(eku) != 1 || OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)) != NID_time_stamp) {
		snprintf(err, errlen, "its extendedKeyUsage must hold timeStamping and nothing else (RFC 3161 2.3)");
		goto out;
	}
	if (!crit) {
		snprintf(err, errlen, "its extendedKeyUsage timeStamping is not marked critical (RFC 3161 2.3)");
		goto out;
	}
	r = 0; /* success */
out:
	EXTENDED_KEY_USAGE_free(eku);
	return r;
}

gpg_error_t
tsacert_verify(X509 *cert, STACK_OF(X509) *chain, STACK_OF(X509) *cas, char *err, size_t errlen)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	gpg_error_t r = gpg_error(GPG_ERR_BAD_CERT);
	int i;

	if ((store = X509_STORE_new()) == NULL || (ctx = X509_STORE_CTX_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	for (i = 0; i < sk_X509_num(cas); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(cas, i))) {
			snprintf(err, errlen, "cannot add a CA certificate to the trust store");
			goto out;
		}
	if (!X509_STORE_CTX_init(ctx, store, cert, chain) ||
	    !X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_TIMESTAMP_SIGN)) {
		snprintf(err, errlen, "cannot set up the verification (OpenSSL)");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);

		snprintf(err, errlen, "%s (at depth %d)", X509_verify_cert_error_string(e),
		         X509_STORE_CTX_get_error_depth(ctx));
		goto out;
	}
	r = 0; /* success */
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

gpg_error_t
tsacert_write_file(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
	gpg_error_t r;

	if ((r = atomicfile_write(path, data, len, TSACERT_FILE_MODE)) != 0)
		snprintf(err, errlen, "%s: %s", path, gpg_strerror(r));
	return r;
}

gpg_error_t
tsacert_write_pem(const char *path, X509 *cert, STACK_OF(X509) *more, char *err, size_t errlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int i, ok;
	gpg_error_t r;

	if (b == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	ok = PEM_write_bio_X509(b, cert);
	for (i = 0; ok && i < sk_X509_num(more); i++)
		ok = PEM_write_bio_X509(b, sk_X509_value(more, i));
	if (!ok || (len = BIO_get_mem_data(b, &data)) <= 0) {
		BIO_free(b);
		snprintf(err, errlen, "%s: cannot encode the certificate (OpenSSL)", path);
		return gpg_error(GPG_ERR_GENERAL);
	}
	r = tsacert_write_file(path, data, (size_t)len, err, errlen);
	BIO_free(b);
	return r;
}
