/* init.c — signet-tsa --init / --import (see init.h).
 *
 * Both keys (the TSA's and the local test CA's) live on the token and sign
 * there; nothing secret ever reaches a file.  Files are written only after
 * everything has been made and checked, each atomically, so a failure
 * leaves the previous state. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certmake.h"
#include "init.h"
#include "p11uri.h"
#include "tsacert.h"

#define INIT_CA_SUFFIX   "-ca"
#define INIT_MAX_CN      64          /* RFC 5280 ub-common-name */
#define INIT_MAX_HOST    30          /* of the host name in a CN */
#define INIT_ALGO_NAME   16

/* What one run holds; freed by init_ctx_free. */
struct init_ctx {
	const struct tsa_config *cfg;
	struct p11uri uri;
	char host[INIT_MAX_HOST + 1];
	struct hsmkey *hk;
	EVP_PKEY *key;                   /* the TSA key on the token */
	EVP_PKEY *cakey;                 /* the test CA's key on the token */
};

enum hsmkey_algo
tsa_init_parse_algo(const char *s)
{
	if (strcmp(s, "ecp256") == 0)
		return HSMKEY_ALGO_ECP256;
	if (strcmp(s, "rsa3072") == 0)
		return HSMKEY_ALGO_RSA3072;
	return HSMKEY_ALGO_NONE;
}

/* "ecp256", "rsa3072", or what else the key is ("rsa2048", "ec"). */
static enum hsmkey_algo
algo_of(EVP_PKEY *key, char *name, size_t namelen)
{
	int bits = EVP_PKEY_get_bits(key);

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		snprintf(name, namelen, "rsa%d", bits);
		return bits == 3072 ? HSMKEY_ALGO_RSA3072 : HSMKEY_ALGO_NONE;
	}
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && bits == 256) {
		snprintf(name, namelen, "ecp256");
		return HSMKEY_ALGO_ECP256;
	}
	snprintf(name, namelen, "%s", EVP_PKEY_get0_type_name(key));
	return HSMKEY_ALGO_NONE;
}

static const char *
algo_name(enum hsmkey_algo a)
{
	return a == HSMKEY_ALGO_RSA3072 ? "rsa3072" : "ecp256";
}

static void
init_ctx_free(struct init_ctx *c)
{
	EVP_PKEY_free(c->key);
	EVP_PKEY_free(c->cakey);
	hsmkey_close(c->hk);
}

/* The configuration's pkcs11: key, the token logged in. */
static gpg_error_t
open_token(struct init_ctx *c, const char *mode, char *err, size_t errlen)
{
	const struct tsa_config *cfg = c->cfg;
	struct hsmkey_params p;
	char why[TSA_MAX_ERR];
	gpg_error_t r;

	if (cfg->key_uri == NULL) {
		snprintf(err, errlen, "%s needs key = pkcs11:… in [tsa] (the key is made and kept on the token; "
		         "this configuration has key = file:%s)", mode, cfg->key_file);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if ((r = p11uri_parse(cfg->key_uri, &c->uri, err, errlen)) != 0)
		return r;
	if (gethostname(c->host, sizeof(c->host)) != 0 && errno != ENAMETOOLONG)
		snprintf(c->host, sizeof(c->host), "localhost");
	c->host[sizeof(c->host) - 1] = '\0';
	memset(&p, 0, sizeof(p));
	p.uri = cfg->key_uri;
	p.module = cfg->pkcs11_module;
	p.pin_file = cfg->pin_file;
	p.softhsm2_conf = cfg->softhsm2_conf;
	/* so_pin_file: the TSA's own token, made here the first time. */
	if (cfg->so_pin_file != NULL) {
		int created = 0;

		if ((r = hsmkey_init_token(&p, cfg->so_pin_file, &created, why, sizeof(why))) != 0) {
			snprintf(err, errlen, "make the token %s: %s; check key, pkcs11_module, pin_file, so_pin_file "
			         "and softhsm2_conf", c->uri.token, why);
			return r;
		}
		if (created)
			printf("token: made \"%s\" (its own PINs: pin_file %s, so_pin_file %s)\n", c->uri.token,
			       cfg->pin_file, cfg->so_pin_file);
	}
	if ((r = hsmkey_login(&p, &c->hk, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "%s; check key, pkcs11_module, pin_file and softhsm2_conf", why);
		return r;
	}
	return 0;
}

/* The key LABEL (ID) on the token, made when missing.  WANT: the algorithm
 * asked for (HSMKEY_ALGO_NONE: any; a new key is then EC P-256).  URI names
 * it in messages; SHOW prints what happened. */
static gpg_error_t
key_get(struct init_ctx *c, const char *label, const uint8_t *id, size_t idlen, enum hsmkey_algo want,
        const char *uri, const char *show, EVP_PKEY **key, char *err, size_t errlen)
{
	char have[INIT_ALGO_NAME];
	gpg_error_t r;

	r = hsmkey_load(c->hk, label, id, idlen, key, err, errlen);
	if (r == 0) {
		if (want != HSMKEY_ALGO_NONE && algo_of(*key, have, sizeof(have)) != want) {
			snprintf(err, errlen, "the key %s on the token is %s, not %s as --algo asks; drop --algo to keep "
			         "it, or name another object= in key", uri, have, algo_name(want));
			return gpg_error(GPG_ERR_WRONG_PUBKEY_ALGO);
		}
		algo_of(*key, have, sizeof(have));
		printf("%s: kept existing %s %s\n", show, have, uri);
		return 0;
	}
	if (gpg_err_code(r) != GPG_ERR_NOT_FOUND)
		return r;
	if (want == HSMKEY_ALGO_NONE)
		want = HSMKEY_ALGO_ECP256;
	if ((r = hsmkey_generate(c->hk, label, id, idlen, want, err, errlen)) != 0 ||
	    (r = hsmkey_load(c->hk, label, id, idlen, key, err, errlen)) != 0)
		return r;
	printf("%s: generated %s %s\n", show, algo_name(want), uri);
	return 0;
}

static gpg_error_t
csr_write(struct init_ctx *c, const char *path, char *err, size_t errlen)
{
	char cn[INIT_MAX_CN + 1], why[TSA_MAX_ERR];
	char *pem = NULL;
	size_t len = 0;
	gpg_error_t r;

	snprintf(cn, sizeof(cn), "Signet TSA %s", c->host);
	if ((r = certmake_csr(c->key, cn, &pem, &len, why, sizeof(why))) != 0 ||
	    (r = tsacert_write_file(path, pem, len, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "--csr: %s", why);
		goto out;
	}
	printf("csr: %s — have a CA issue it (extendedKeyUsage timeStamping, critical), then run --import\n", path);
out:
	free(pem);
	return r;
}

/* Whether CFG's cert is for KEY and verifies (with chain, if named)
 * against its ca: then --init has nothing to do, whoever issued it. */
static int
already_done(const struct tsa_config *cfg, EVP_PKEY *key)
{
	STACK_OF(X509) *certs = NULL, *cas = NULL, *chain = NULL;
	char why[TSA_MAX_ERR];
	int done = 0;

	if (tsacert_read_pem(cfg->cert, &certs, why, sizeof(why)) == 0 &&
	    tsacert_read_pem(cfg->ca, &cas, why, sizeof(why)) == 0 &&
	    (cfg->chain == NULL || tsacert_read_pem(cfg->chain, &chain, why, sizeof(why)) == 0) &&
	    EVP_PKEY_eq(X509_get0_pubkey(sk_X509_value(certs, 0)), key) == 1 &&
	    tsacert_verify(sk_X509_value(certs, 0), chain, cas, why, sizeof(why)) == 0)
		done = 1;
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(cas, X509_free);
	sk_X509_pop_free(chain, X509_free);
	return done;
}

/* The ca file when it is the self-signed certificate of CAKEY, else NULL. */
static X509 *
ca_reuse(const char *capath, EVP_PKEY *cakey)
{
	STACK_OF(X509) *cas = NULL;
	char why[TSA_MAX_ERR];
	X509 *ca = NULL;

	if (tsacert_read_pem(capath, &cas, why, sizeof(why)) != 0)
		return NULL;
	ca = sk_X509_value(cas, 0);
	if (sk_X509_num(cas) == 1 && EVP_PKEY_eq(X509_get0_pubkey(ca), cakey) == 1 &&
	    X509_check_issued(ca, ca) == X509_V_OK && X509_verify(ca, cakey) == 1)
		(void)sk_X509_shift(cas);
	else
		ca = NULL;
	sk_X509_pop_free(cas, X509_free);
	return ca;
}

static gpg_error_t
local_ca(struct init_ctx *c, char *err, size_t errlen)
{
	const struct tsa_config *cfg = c->cfg;
	char label[P11URI_MAX_ATTR + sizeof(INIT_CA_SUFFIX)], uri[P11URI_MAX_LEN + 1];
	char cn[INIT_MAX_CN + 1], why[TSA_MAX_ERR];
	STACK_OF(X509) *cas = NULL;
	X509 *ca = NULL, *cert = NULL;
	int new_ca = 0;
	gpg_error_t r;

	if (already_done(cfg, c->key)) {
		printf("already initialised: %s is for this key and verifies against %s\n", cfg->cert, cfg->ca);
		return 0;
	}
	snprintf(label, sizeof(label), "%s" INIT_CA_SUFFIX, c->uri.object);
	if ((r = p11uri_format(c->uri.token, label, uri, sizeof(uri))) != 0) {
		snprintf(err, errlen, "the test CA key's label %s is too long; use a shorter object= in key", label);
		return r;
	}
	if ((r = key_get(c, label, NULL, 0, HSMKEY_ALGO_NONE, uri, "ca key", &c->cakey, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "test CA key: %s", why);
		return r;
	}
	if ((ca = ca_reuse(cfg->ca, c->cakey)) == NULL) {
		snprintf(cn, sizeof(cn), "Signet local test TSA CA (%s)", c->host);
		if ((r = certmake_ca(c->cakey, cn, &ca, why, sizeof(why))) != 0) {
			snprintf(err, errlen, "test CA certificate: %s", why);
			goto out;
		}
		new_ca = 1;
	}
	snprintf(cn, sizeof(cn), "Signet TSA (%s)", c->host);
	if ((r = certmake_issue(ca, c->cakey, c->key, cn, &cert, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "TSA certificate: %s", why);
		goto out;
	}
	/* What the daemon will check at start, checked before anything is written. */
	if ((cas = sk_X509_new_null()) == NULL || !sk_X509_push(cas, ca)) {
		snprintf(err, errlen, "out of memory");
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	if ((r = tsacert_verify(cert, NULL, cas, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "the new TSA certificate does not verify against the test CA: %s", why);
		goto out;
	}
	if ((new_ca && (r = tsacert_write_pem(cfg->ca, ca, NULL, why, sizeof(why))) != 0) ||
	    (r = tsacert_write_pem(cfg->cert, cert, NULL, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "%s; check the folder and its permissions", why);
		goto out;
	}
	printf("ca: %s (local test CA — for tests and demos; use --csr for a real CA)\n", cfg->ca);
	printf("cert: %s\n", cfg->cert);
	r = 0; /* success */
out:
	sk_X509_free(cas);
	X509_free(ca);
	X509_free(cert);
	return r;
}

gpg_error_t
tsa_init_run(const struct tsa_config *cfg, enum hsmkey_algo algo, const char *csr, char *err, size_t errlen)
{
	struct init_ctx c;
	gpg_error_t r;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	if (csr == NULL && cfg->ca == NULL) {
		snprintf(err, errlen, "--init without --csr makes a local test CA and needs ca = /abs/path.pem in [tsa] "
		         "(where its certificate goes); add it, or use --csr for a real CA");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if ((r = open_token(&c, "--init", err, errlen)) != 0 ||
	    (r = key_get(&c, c.uri.object, c.uri.id, c.uri.has_id ? c.uri.id_len : 0, algo, cfg->key_uri, "key",
	                 &c.key, err, errlen)) != 0)
		goto out;
	if (csr != NULL)
		r = csr_write(&c, csr, err, errlen);
	else
		r = local_ca(&c, err, errlen);
out:
	init_ctx_free(&c);
	return r;
}

/* The checks of --import, in the order a user fixes them. */
static gpg_error_t
import_check(struct init_ctx *c, const char *path, const char *capath, STACK_OF(X509) *certs,
             STACK_OF(X509) *cas, char *err, size_t errlen)
{
	X509 *cert = sk_X509_value(certs, 0);
	STACK_OF(X509) *chain = NULL;
	char why[TSA_MAX_ERR];
	gpg_error_t r;
	int i;

	if (EVP_PKEY_eq(X509_get0_pubkey(cert), c->key) != 1) {
		snprintf(err, errlen, "%s is not for the key %s (run --init --csr and have that CSR issued)", path,
		         c->cfg->key_uri);
		return gpg_error(GPG_ERR_WRONG_SECKEY);
	}
	if ((r = tsacert_check_eku(cert, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "%s: %s; have the CA issue it with extendedKeyUsage = critical,timeStamping",
		         path, why);
		return r;
	}
	if ((chain = sk_X509_new_null()) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	for (i = 1; i < sk_X509_num(certs); i++)
		if (!sk_X509_push(chain, sk_X509_value(certs, i))) {
			sk_X509_free(chain);
			return gpg_error(GPG_ERR_ENOMEM);
		}
	r = tsacert_verify(cert, chain, cas, why, sizeof(why));
	sk_X509_free(chain);
	if (r != 0) {
		snprintf(err, errlen, "%s does not verify against %s as a time-stamping certificate: %s; give the CA "
		         "that issued it (and any intermediates after the certificate in %s)", path, capath, why, path);
		return r;
	}
	return 0;
}

/* PEM of the certificates FIRST..end of LIST (none: nothing written) to PATH. */
static gpg_error_t
write_tail(const char *path, STACK_OF(X509) *list, int first, char *why, size_t whylen)
{
	STACK_OF(X509) *more = NULL;
	gpg_error_t r;
	int i;

	if ((more = sk_X509_new_null()) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	for (i = first + 1; i < sk_X509_num(list); i++)
		if (!sk_X509_push(more, sk_X509_value(list, i))) {
			sk_X509_free(more);
			return gpg_error(GPG_ERR_ENOMEM);
		}
	r = tsacert_write_pem(path, sk_X509_value(list, first), more, why, whylen);
	sk_X509_free(more);
	return r;
}

/* ca, then chain, then cert: the daemon reads cert first, and a cert
 * without its CA would not start. */
static gpg_error_t
import_write(const struct tsa_config *cfg, STACK_OF(X509) *certs, STACK_OF(X509) *cas, char *err, size_t errlen)
{
	char why[TSA_MAX_ERR];
	gpg_error_t r;

	if ((r = write_tail(cfg->ca, cas, 0, why, sizeof(why))) != 0)
		goto out;
	printf("ca: %s (%d certificate(s))\n", cfg->ca, sk_X509_num(cas));
	if (sk_X509_num(certs) > 1) {
		if ((r = write_tail(cfg->chain, certs, 1, why, sizeof(why))) != 0)
			goto out;
		printf("chain: %s (%d certificate(s))\n", cfg->chain, sk_X509_num(certs) - 1);
	}
	if ((r = tsacert_write_pem(cfg->cert, sk_X509_value(certs, 0), NULL, why, sizeof(why))) != 0)
		goto out;
	printf("cert: %s\n", cfg->cert);
	r = 0; /* success */
out:
	if (r != 0)
		snprintf(err, errlen, "%s; check the folder and its permissions", why);
	return r;
}

gpg_error_t
tsa_import_run(const struct tsa_config *cfg, const char *path, const char *capath, char *err, size_t errlen)
{
	STACK_OF(X509) *certs = NULL, *cas = NULL;
	char why[TSA_MAX_ERR];
	struct init_ctx c;
	gpg_error_t r;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	if (cfg->ca == NULL) {
		snprintf(err, errlen, "--import needs ca = /abs/path.pem in [tsa] (where the CA certificate goes)");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if ((r = tsacert_read_pem(path, &certs, why, sizeof(why))) != 0 ||
	    (r = tsacert_read_pem(capath, &cas, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "%s; give PEM files", why);
		goto out;
	}
	if (sk_X509_num(certs) > 1 && cfg->chain == NULL) {
		snprintf(err, errlen, "%s holds %d intermediate certificate(s) but [tsa] names no chain; add "
		         "chain = /abs/path.pem", path, sk_X509_num(certs) - 1);
		r = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	if (sk_X509_num(certs) == 1 && cfg->chain != NULL) {
		snprintf(err, errlen, "%s holds no intermediate certificate but [tsa] names chain = %s; remove chain "
		         "from the configuration", path, cfg->chain);
		r = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	if ((r = open_token(&c, "--import", err, errlen)) != 0)
		goto out;
	if ((r = hsmkey_load(c.hk, c.uri.object, c.uri.id, c.uri.has_id ? c.uri.id_len : 0, &c.key, why,
	                     sizeof(why))) != 0) {
		snprintf(err, errlen, "%s; run --init --csr first", why);
		goto out;
	}
	if ((r = import_check(&c, path, capath, certs, cas, err, errlen)) != 0)
		goto out;
	r = import_write(cfg, certs, cas, err, errlen);
out:
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(cas, X509_free);
	init_ctx_free(&c);
	return r;
}
