/* auditts.c — time-stamps for the audit checkpoints (see auditts.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "auditts.h"
#include "hashalgo.h"
#include "log.h"
#include "tsclient.h"

struct auditts {
	char *url;
	char *tls_ca_file;     /* NULL: the system's */
	char *tsa_ca_file;     /* NULL: tokens not verified here */
	unsigned timeout_s;
};

void
auditts_free(struct auditts *ts)
{
	if (ts == NULL)
		return;
	free(ts->url);
	free(ts->tls_ca_file);
	free(ts->tsa_ca_file);
	free(ts);
}

static int
dup_opt(const char *s, char **out)
{
	*out = NULL;
	return s == NULL || (*out = strdup(s)) != NULL ? 0 : -1;
}

gpg_error_t
auditts_new(const char *url, const char *tls_ca_file, const char *tsa_ca_file, unsigned timeout_s,
            struct auditts **tsp, char *err, size_t errlen)
{
	struct auditts *ts = NULL;
	size_t n = url != NULL ? strnlen(url, TSCLIENT_MAX_URL + 1) : 0;

	*tsp = NULL;
	/* tsclient_request checks the rest at each request; what can be
	 * told now is told at start-up. */
	if (n == 0 || n > TSCLIENT_MAX_URL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
		snprintf(err, errlen, "tsa_url: an http:// or https:// URL of at most %d bytes", TSCLIENT_MAX_URL);
		return gpg_error(GPG_ERR_INV_ARG);
	}
	if (timeout_s > AUDITTS_TIMEOUT_MAX) {
		snprintf(err, errlen, "time-stamp timeout %u s: at most %d s (it holds up the next checkpoint)",
		         timeout_s, AUDITTS_TIMEOUT_MAX);
		return gpg_error(GPG_ERR_INV_ARG);
	}
	if ((ts = calloc(1, sizeof(*ts))) == NULL || dup_opt(url, &ts->url) != 0 ||
	    dup_opt(tls_ca_file, &ts->tls_ca_file) != 0 || dup_opt(tsa_ca_file, &ts->tsa_ca_file) != 0) {
		auditts_free(ts);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	ts->timeout_s = timeout_s != 0 ? timeout_s : AUDITTS_TIMEOUT_DEFAULT;
	*tsp = ts;
	return 0;
}

void
auditts_attach(struct auditts *ts, struct audit_signer *s)
{
	s->timestamp = auditts_stamp;
	s->ts_ctx = ts;
}

gpg_error_t
auditts_stamp(void *ts_ctx, const uint8_t *msg, size_t len, uint8_t **der, size_t *derlen)
{
	const struct auditts *ts = ts_ctx;
	const struct hashalgo *sha256 = hashalgo_by_name("sha256");
	struct tsclient_info info;
	uint8_t md[32], *tok = NULL;
	unsigned mdlen = 0;
	size_t toklen = 0;
	char err[512] = "";
	gpg_error_t r;

	*der = NULL;
	*derlen = 0;
	if (sha256 == NULL || EVP_Digest(msg, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != sizeof(md)) {
		snprintf(err, sizeof(err), "SHA-256 of the checkpoint failed");
		r = gpg_error(GPG_ERR_DIGEST_ALGO);
		goto out;
	}
	if ((r = tsclient_request(ts->url, ts->tls_ca_file, sha256, md, sizeof(md), 1, ts->timeout_s, &tok, &toklen,
	                          err, sizeof(err))) != 0)
		goto out;
	/* A token that will not verify later is worth nothing: found now,
	 * it is logged now. */
	if (ts->tsa_ca_file != NULL &&
	    (r = tsclient_verify(tok, toklen, sha256, md, sizeof(md), ts->tsa_ca_file, NULL, &info, err,
	                         sizeof(err))) != 0)
		goto out;
	*der = tok;
	*derlen = toklen;
	tok = NULL;
	r = 0; /* success */
out:
	if (r != 0)
		log_warn_e(r, "audit checkpoint time-stamp from %s: %s", ts->url, err);
	free(tok);
	return r;
}
