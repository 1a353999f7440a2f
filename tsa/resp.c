/* resp.c — RFC 3161 replies through OpenSSL's TS API.
 *
 * TS_RESP_CTX keeps per-request state and is not thread-safe, so a small
 * pool holds one per worker thread; the key and certificates are shared
 * (read-only, reference-counted).  OpenSSL itself produces every rejection
 * a request can earn (badDataFormat, badAlg, unacceptedPolicy, badRequest,
 * unacceptedExtension); our callbacks add timeNotAvailable (clock check)
 * and the serial number.  The audit record of a granted token is written
 * before the reply leaves; if it cannot be, the token is thrown away and
 * the client gets systemFailure instead. */
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ts.h>

#include "log.h"
#include "token.h"
#include "tsa.h"

#define TSA_MAX_SERIAL_HEX 64
#define TSA_MAX_OID_TEXT   128
#define TSA_MAX_TIME_TEXT  64

struct tsa_resp {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	TS_RESP_CTX **ctx;
	int *busy;
	unsigned nctx;
	const struct tsa_config *cfg;
	struct tsa_serial *serial;
	struct audit_log *audit;
	struct tsa_token *fast;            /* NULL: every request through OpenSSL */
};

/* TS_serial_cb: the next number from the durable store. */
static ASN1_INTEGER *
serial_cb(TS_RESP_CTX *ctx, void *data)
{
	struct tsa_resp *rs = data;
	ASN1_INTEGER *n = NULL;
	uint64_t v;
	gpg_error_t r;

	if ((r = tsa_serial_next(rs->serial, &v)) != 0) {
		log_error_e(r, "serial number");
		goto fail;
	}
	if ((n = ASN1_INTEGER_new()) == NULL || !ASN1_INTEGER_set_uint64(n, v))
		goto fail;
	return n;
fail:
	ASN1_INTEGER_free(n);
	TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "Error during serial number generation.");
	TS_RESP_CTX_add_failure_info(ctx, TS_INFO_ADD_INFO_NOT_AVAILABLE);
	return NULL;
}

/* TS_time_cb: the clock, if the clock check allows it.  OpenSSL 3.0 turns
 * a failing time callback into a bare "Error during TSTInfo generation"
 * (failInfo unspecified), so the status is set here: RFC 3161 §2.4.2
 * timeNotAvailable (OpenSSL keeps a status already set). */
static int
time_cb(TS_RESP_CTX *ctx, void *data, long *sec, long *usec)
{
	struct tsa_resp *rs = data;
	struct timeval tv;
	char why[TSA_MAX_ERR] = "gettimeofday failed";

	if (!tsa_clock_ok(rs->cfg->clock_check, rs->cfg->max_clock_error_ms, why, sizeof(why)) ||
	    gettimeofday(&tv, NULL) != 0) {
		log_warn("refusing to time-stamp: %s", why);
		TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "Time is not available.");
		TS_RESP_CTX_add_failure_info(ctx, TS_INFO_TIME_NOT_AVAILABLE);
		return 0;
	}
	*sec = tv.tv_sec;
	*usec = tv.tv_usec;
	return 1;
}

static gpg_error_t
ctx_new(const struct tsa_resp_params *p, struct tsa_resp *rs, TS_RESP_CTX **out, char *err, size_t errlen)
{
	TS_RESP_CTX *ctx = NULL;
	ASN1_OBJECT *pol = NULL;
	const struct tsa_config *cfg = p->cfg;
	size_t i;
	unsigned acc = cfg->accuracy_us;

	*out = NULL;
	if ((ctx = TS_RESP_CTX_new()) == NULL)
		goto ossl;
	if (!TS_RESP_CTX_set_signer_cert(ctx, p->cert)) {
		snprintf(err, errlen, "the certificate is not a time-stamping certificate (extendedKeyUsage timeStamping, critical)");
		goto fail;
	}
	if (!TS_RESP_CTX_set_signer_key(ctx, p->key) ||
	    !TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()) ||
	    !TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256()))
		goto ossl;
	if (p->chain != NULL && !TS_RESP_CTX_set_certs(ctx, p->chain))
		goto ossl;
	for (i = 0; i < cfg->npolicies; i++) {
		if ((pol = OBJ_txt2obj(cfg->policies[i], 1)) == NULL)
			goto ossl;
		if (!(i == 0 ? TS_RESP_CTX_set_def_policy(ctx, pol) : TS_RESP_CTX_add_policy(ctx, pol)))
			goto ossl;
		ASN1_OBJECT_free(pol);
		pol = NULL;
	}
	if (((cfg->digests & TSA_DIGEST_SHA256) && !TS_RESP_CTX_add_md(ctx, EVP_sha256())) ||
	    ((cfg->digests & TSA_DIGEST_SHA384) && !TS_RESP_CTX_add_md(ctx, EVP_sha384())) ||
	    ((cfg->digests & TSA_DIGEST_SHA512) && !TS_RESP_CTX_add_md(ctx, EVP_sha512())))
		goto ossl;
	if (acc != 0 && !TS_RESP_CTX_set_accuracy(ctx, (int)(acc / 1000000), (int)(acc / 1000 % 1000),
	                                          (int)(acc % 1000)))
		goto ossl;
	/* genTime to the millisecond when the accuracy is finer than a second. */
	if (acc != 0 && acc < 1000000 && !TS_RESP_CTX_set_clock_precision_digits(ctx, 3))
		goto ossl;
	TS_RESP_CTX_set_serial_cb(ctx, serial_cb, rs);
	TS_RESP_CTX_set_time_cb(ctx, time_cb, rs);
	*out = ctx;
	return 0;
ossl:
	snprintf(err, errlen, "OpenSSL TS set-up failed: %s", ERR_reason_error_string(ERR_peek_last_error()));
fail:
	ASN1_OBJECT_free(pol);
	TS_RESP_CTX_free(ctx);
	return gpg_error(GPG_ERR_GENERAL);
}

gpg_error_t
tsa_resp_new(const struct tsa_resp_params *p, struct tsa_resp **rp, char *err, size_t errlen)
{
	struct tsa_resp *rs = NULL;
	gpg_error_t r;
	unsigned i;

	if (rp != NULL)
		*rp = NULL;
	if (p == NULL || rp == NULL || p->key == NULL || p->cert == NULL || p->cfg == NULL ||
	    p->serial == NULL || p->nctx == 0)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	pthread_mutex_init(&rs->lock, NULL);
	pthread_cond_init(&rs->freed, NULL);
	rs->cfg = p->cfg;
	rs->serial = p->serial;
	rs->audit = p->audit;
	if ((rs->ctx = calloc(p->nctx, sizeof(*rs->ctx))) == NULL ||
	    (rs->busy = calloc(p->nctx, sizeof(*rs->busy))) == NULL) {
		r = gpg_error(GPG_ERR_ENOMEM);
		goto out;
	}
	rs->nctx = p->nctx;
	for (i = 0; i < p->nctx; i++)
		if ((r = ctx_new(p, rs, &rs->ctx[i], err, errlen)) != 0)
			goto out;
	if ((r = tsa_token_new(p->key, p->cert, p->chain, p->cfg, p->nctx, &rs->fast, err, errlen)) != 0)
		goto out;
	*rp = rs;
	rs = NULL;
	r = 0; /* success */
out:
	tsa_resp_free(rs);
	return r;
}

void
tsa_resp_free(struct tsa_resp *rs)
{
	unsigned i;

	if (rs == NULL)
		return;
	tsa_token_free(rs->fast);
	for (i = 0; rs->ctx != NULL && i < rs->nctx; i++)
		TS_RESP_CTX_free(rs->ctx[i]);
	free(rs->ctx);
	free(rs->busy);
	pthread_cond_destroy(&rs->freed);
	pthread_mutex_destroy(&rs->lock);
	free(rs);
}

static unsigned
ctx_take(struct tsa_resp *rs)
{
	unsigned i;

	pthread_mutex_lock(&rs->lock);
	for (;;) {
		for (i = 0; i < rs->nctx; i++)
			if (!rs->busy[i]) {
				rs->busy[i] = 1;
				pthread_mutex_unlock(&rs->lock);
				return i;
			}
		pthread_cond_wait(&rs->freed, &rs->lock);
	}
}

static void
ctx_give(struct tsa_resp *rs, unsigned i)
{
	pthread_mutex_lock(&rs->lock);
	rs->busy[i] = 0;
	pthread_cond_signal(&rs->freed);
	pthread_mutex_unlock(&rs->lock);
}

/* TimeStampResp { PKIStatusInfo { rejection, failInfo systemFailure } }
 * (RFC 3161 §2.4.2; bit 25).  Written out because OpenSSL has no setter for
 * failInfo outside a TS_RESP_CTX, and this is what we answer when the token
 * OpenSSL made cannot be handed out. */
static const uint8_t system_failure_der[] = {
	0x30, 0x0c, 0x30, 0x0a, 0x02, 0x01, 0x02, 0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40,
};

/* The audit record of a granted token: durable before the answer
 * (DESIGN: a signature leaves only once its record is on disk).  With
 * PENDING, the record is only written and *PENDING is the seq the caller
 * must see synced (tsa_resp_sync) before it answers; 0 when nothing is to
 * wait for (no trail, or audit_sync = Nms). */
static gpg_error_t
audit_info(struct tsa_resp *rs, const struct tsa_token_info *info, uint64_t *pending)
{
	struct audit_event ev;

	if (rs->audit == NULL)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.event = "timestamp";
	ev.result = "granted";
	ev.serial = info->serial;
	ev.policy = info->policy;
	ev.gen_time = info->gen_time;
	ev.hash = info->hash;
	ev.digest = info->digest;
	ev.digest_len = info->digest_len;
	if (pending == NULL || rs->cfg->audit_sync_ms != 0)
		return audit_append(rs->audit, &ev, NULL);
	return audit_write(rs->audit, &ev, pending);
}

/* The same record for a token OpenSSL made. */
static gpg_error_t
audit_token(struct tsa_resp *rs, TS_RESP *resp)
{
	TS_TST_INFO *tst = TS_RESP_get_tst_info(resp);
	TS_MSG_IMPRINT *mi;
	const ASN1_INTEGER *ser;
	const ASN1_GENERALIZEDTIME *gt;
	const ASN1_OCTET_STRING *msg;
	X509_ALGOR *alg;
	const ASN1_OBJECT *algobj;
	char policy[TSA_MAX_OID_TEXT];
	struct tsa_token_info info;
	uint64_t serial;

	if (rs->audit == NULL)
		return 0;
	if (tst == NULL || (mi = TS_TST_INFO_get_msg_imprint(tst)) == NULL ||
	    (ser = TS_TST_INFO_get_serial(tst)) == NULL || (gt = TS_TST_INFO_get_time(tst)) == NULL ||
	    (alg = TS_MSG_IMPRINT_get_algo(mi)) == NULL || (msg = TS_MSG_IMPRINT_get_msg(mi)) == NULL ||
	    !ASN1_INTEGER_get_uint64(&serial, ser))
		return gpg_error(GPG_ERR_GENERAL);
	X509_ALGOR_get0(&algobj, NULL, NULL, alg);
	memset(&info, 0, sizeof(info));
	tsa_token_serial_hex(serial, info.serial, sizeof(info.serial));
	if (OBJ_obj2txt(policy, sizeof(policy), TS_TST_INFO_get_policy_id(tst), 1) <= 0)
		snprintf(policy, sizeof(policy), "?");
	info.policy = policy;
	snprintf(info.gen_time, sizeof(info.gen_time), "%.*s", ASN1_STRING_length(gt),
	         (const char *)ASN1_STRING_get0_data(gt));
	info.hash = OBJ_nid2sn(OBJ_obj2nid(algobj));
	info.digest = ASN1_STRING_get0_data(msg);
	info.digest_len = (size_t)ASN1_STRING_length(msg);
	return audit_info(rs, &info, NULL);
}

static gpg_error_t
encode(TS_RESP *resp, uint8_t **out, size_t *outlen)
{
	unsigned char *der = NULL;
	int n = i2d_TS_RESP(resp, &der);

	if (n <= 0)
		return gpg_error(GPG_ERR_GENERAL);
	if ((*out = malloc((size_t)n)) == NULL) {
		OPENSSL_free(der);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	memcpy(*out, der, (size_t)n);
	*outlen = (size_t)n;
	OPENSSL_free(der);
	return 0;
}

gpg_error_t
tsa_resp_system_failure(uint8_t **out, size_t *outlen)
{
	if ((*out = malloc(sizeof(system_failure_der))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	memcpy(*out, system_failure_der, sizeof(system_failure_der));
	*outlen = sizeof(system_failure_der);
	return 0;
}

/* A plain request on a usable clock: a token of ours (token.h).  Returns
 * GPG_ERR_NOT_SUPPORTED when OpenSSL's path must answer instead (anything
 * to reject, or to grant in a way we do not pre-encode). */
static gpg_error_t
answer_fast(struct tsa_resp *rs, const uint8_t *req, size_t reqlen, uint8_t **out, size_t *outlen,
            uint64_t *pending)
{
	const unsigned char *p = req;
	TS_REQ *treq = NULL;
	struct tsa_token_info info;
	struct timeval now;
	char why[TSA_MAX_ERR];
	uint64_t serial;
	size_t policy;
	unsigned slot;
	gpg_error_t r = gpg_error(GPG_ERR_NOT_SUPPORTED);

	if (rs->fast == NULL || reqlen > LONG_MAX || (treq = d2i_TS_REQ(NULL, &p, (long)reqlen)) == NULL ||
	    p != req + reqlen || !tsa_token_accepts(rs->fast, treq, &policy) ||
	    !tsa_clock_ok(rs->cfg->clock_check, rs->cfg->max_clock_error_ms, why, sizeof(why)))
		goto out;
	if ((r = tsa_serial_next(rs->serial, &serial)) != 0) {
		log_error_e(r, "serial number");
		r = tsa_resp_system_failure(out, outlen);
		goto out;
	}
	gettimeofday(&now, NULL);
	slot = ctx_take(rs);
	r = tsa_token_issue(rs->fast, slot, treq, policy, serial, &now, out, outlen, &info);
	ctx_give(rs, slot);
	if (r == 0 && (r = audit_info(rs, &info, pending)) != 0) {
		log_error_e(r, "audit record of a token; the token is not handed out");
		free(*out);
		*out = NULL;
	}
	if (r != 0) {
		log_error_e(r, "time-stamp token");
		r = tsa_resp_system_failure(out, outlen);
	}
out:
	ERR_clear_error();
	TS_REQ_free(treq);
	return r;
}

gpg_error_t
tsa_resp_answer_nowait(struct tsa_resp *rs, const uint8_t *req, size_t reqlen, uint8_t **out, size_t *outlen,
                       uint64_t *pending)
{
	BIO *in = NULL;
	TS_RESP *resp = NULL;
	TS_STATUS_INFO *si;
	gpg_error_t r;
	unsigned slot;

	*out = NULL;
	*outlen = 0;
	*pending = 0;
	if (reqlen > INT_MAX)
		return gpg_error(GPG_ERR_TOO_LARGE);
	if ((r = answer_fast(rs, req, reqlen, out, outlen, pending)) != gpg_error(GPG_ERR_NOT_SUPPORTED))
		return r;
	if ((in = BIO_new_mem_buf(req != NULL ? req : (const uint8_t *)"", (int)reqlen)) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	slot = ctx_take(rs);
	resp = TS_RESP_create_response(rs->ctx[slot], in);
	ctx_give(rs, slot);
	ERR_clear_error();
	if (resp == NULL) {
		log_error("TS_RESP_create_response failed");
		goto system_failure;
	}
	if ((si = TS_RESP_get_status_info(resp)) != NULL &&
	    ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si)) == TS_STATUS_GRANTED &&
	    (r = audit_token(rs, resp)) != 0) {
		log_error_e(r, "audit record of a token; the token is not handed out");
		goto system_failure;
	}
	r = encode(resp, out, outlen);
	goto out;
system_failure:
	r = tsa_resp_system_failure(out, outlen);
out:
	TS_RESP_free(resp);
	BIO_free(in);
	return r;
}

gpg_error_t
tsa_resp_sync(struct tsa_resp *rs, uint64_t pending)
{
	gpg_error_t r;

	if ((r = audit_sync(rs->audit, pending)) != 0)
		log_error_e(r, "audit trail not on disk; the tokens waiting for it are not handed out");
	return r;
}

gpg_error_t
tsa_resp_answer(struct tsa_resp *rs, const uint8_t *req, size_t reqlen, uint8_t **out, size_t *outlen)
{
	uint64_t pending = 0;
	gpg_error_t r;

	if ((r = tsa_resp_answer_nowait(rs, req, reqlen, out, outlen, &pending)) != 0 || pending == 0)
		return r;
	if (tsa_resp_sync(rs, pending) != 0) {
		free(*out);
		return tsa_resp_system_failure(out, outlen);
	}
	return 0;
}
