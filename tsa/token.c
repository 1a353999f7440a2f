/* token.c — granted tokens from pre-encoded parts (see token.h for why).
 *
 * The reference token OpenSSL makes at start-up is walked with
 * ASN1_get_object and its constant elements are kept as DER: the
 * SignedData version and digestAlgorithms, the eContentType, the
 * certificates, the SignerInfo's version, sid and algorithms, the
 * contentType and signingCertificateV2 attributes and the accuracy.  A
 * token is then
 *
 *   TimeStampResp { status granted, ContentInfo { signedData, [0] SignedData {
 *     version, digestAlgorithms, { id-ct-TSTInfo, [0] OCTET STRING TSTInfo },
 *     [0] certificates (certReq only), { SignerInfo { version, sid,
 *     digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature } } } } }
 *
 * with TSTInfo and the messageDigest attribute made per request.  Unlike
 * OpenSSL the signed attributes carry no signingTime: genTime is the time,
 * and neither RFC 3161 nor RFC 5652 asks for it. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "token.h"

#define TOKEN_MAX_OID    200   /* DER bytes of a policy OID */
#define TOKEN_MAX_TST    1024  /* DER bytes of one TSTInfo */
#define TOKEN_MAX_ATTRS  2048  /* DER bytes of the signed attributes */
#define TOKEN_MAX_SIG    1024  /* signature bytes (RSA-8192) */
#define TOKEN_MD_LEN     32    /* SHA-256 */
#define TOKEN_NATTRS     3

/* A DER element inside a buffer: HDR header bytes, then LEN content bytes. */
struct der {
	const uint8_t *p;
	size_t hdr, len;
	int tag, cls, cons;
};

struct piece {
	const uint8_t *p;
	size_t len;
};

struct tsa_token {
	uint8_t *ref;                     /* the reference TimeStampResp */
	struct piece status, ci_type, sd_version, sd_digest_algs, econtent_type, certs;
	struct piece si_version, si_sid, si_digest_alg, si_sig_alg, attr_ct, attr_scv2, accuracy;
	int order[TOKEN_NATTRS];          /* DER SET OF order: 0 ct, 1 md, 2 scv2 */
	uint8_t policy_der[TSA_MAX_POLICIES][TOKEN_MAX_OID];
	size_t policy_len[TSA_MAX_POLICIES];
	ASN1_OBJECT *policy_obj[TSA_MAX_POLICIES];
	const struct tsa_config *cfg;
	EVP_MD *sha256;
	EVP_PKEY_CTX **sign;              /* one per slot */
	unsigned nslots;
};

/* messageDigest attribute up to the digest: SEQ { OID 1.2.840.113549.1.9.4,
 * SET { OCTET STRING (32) } }. */
static const uint8_t md_attr_prefix[] = {
	0x30, 0x2f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04,
	0x31, 0x22, 0x04, 0x20,
};

/* Read the element at *PP (before END) into D and move *PP past it.
 * Definite lengths only (DER). */
static int
der_read(const uint8_t **pp, const uint8_t *end, struct der *d)
{
	const unsigned char *q = *pp;
	long len;
	int tag, cls, ret;

	if (*pp >= end || end - *pp > INT_MAX)
		return 0;
	ret = ASN1_get_object(&q, &len, &tag, &cls, (long)(end - *pp));
	if ((ret & 0x80) || ret == 0x21)
		return 0;
	d->p = *pp;
	d->hdr = (size_t)(q - *pp);
	d->len = (size_t)len;
	d->tag = tag;
	d->cls = cls;
	d->cons = ret & V_ASN1_CONSTRUCTED;
	*pp = q + len;
	return 1;
}

/* The next element must be universal/context TAG. */
static int
der_expect(const uint8_t **pp, const uint8_t *end, int cls, int tag, struct der *d)
{
	return der_read(pp, end, d) && d->cls == cls && d->tag == tag;
}

static struct piece
whole(const struct der *d)
{
	struct piece pc = { d->p, d->hdr + d->len };
	return pc;
}

static const uint8_t *
inner(const struct der *d, const uint8_t **end)
{
	*end = d->p + d->hdr + d->len;
	return d->p + d->hdr;
}

#define UNIV V_ASN1_UNIVERSAL
#define CTX  V_ASN1_CONTEXT_SPECIFIC

/* The signed attributes we keep (contentType, signingCertificateV2); the
 * messageDigest and signingTime of the reference are left out. */
static int
walk_attrs(struct tsa_token *tk, const struct der *set)
{
	const uint8_t *end, *p = inner(set, &end), *aend, *ap;
	struct der a, oid;
	ASN1_OBJECT *obj = NULL;
	const unsigned char *op;
	int nid;

	while (p < end) {
		if (!der_expect(&p, end, UNIV, V_ASN1_SEQUENCE, &a))
			return 0;
		ap = inner(&a, &aend);
		if (!der_expect(&ap, aend, UNIV, V_ASN1_OBJECT, &oid))
			return 0;
		op = oid.p;
		if ((obj = d2i_ASN1_OBJECT(NULL, &op, (long)(oid.hdr + oid.len))) == NULL)
			return 0;
		nid = OBJ_obj2nid(obj);
		ASN1_OBJECT_free(obj);
		if (nid == NID_pkcs9_contentType)
			tk->attr_ct = whole(&a);
		else if (nid == NID_id_smime_aa_signingCertificateV2)
			tk->attr_scv2 = whole(&a);
		else if (nid != NID_pkcs9_messageDigest && nid != NID_pkcs9_signingTime)
			return 0;
	}
	return tk->attr_ct.p != NULL && tk->attr_scv2.p != NULL;
}

static int
walk_signer_info(struct tsa_token *tk, const struct der *sis)
{
	const uint8_t *end, *p = inner(sis, &end), *send, *sp;
	struct der si, d;

	if (!der_expect(&p, end, UNIV, V_ASN1_SEQUENCE, &si) || p != end)
		return 0;
	sp = inner(&si, &send);
	if (!der_expect(&sp, send, UNIV, V_ASN1_INTEGER, &d))
		return 0;
	tk->si_version = whole(&d);
	if (!der_expect(&sp, send, UNIV, V_ASN1_SEQUENCE, &d))
		return 0;
	tk->si_sid = whole(&d);
	if (!der_expect(&sp, send, UNIV, V_ASN1_SEQUENCE, &d))
		return 0;
	tk->si_digest_alg = whole(&d);
	if (!der_expect(&sp, send, CTX, 0, &d) || !walk_attrs(tk, &d))
		return 0;
	if (!der_expect(&sp, send, UNIV, V_ASN1_SEQUENCE, &d))
		return 0;
	tk->si_sig_alg = whole(&d);
	return der_expect(&sp, send, UNIV, V_ASN1_OCTET_STRING, &d) && sp == send;
}

/* TSTInfo of the reference: only the accuracy is kept. */
static int
walk_tst_info(struct tsa_token *tk, const struct der *octets)
{
	const uint8_t *end, *p = inner(octets, &end), *tend, *tp;
	struct der tst, d;
	int i;

	if (!der_expect(&p, end, UNIV, V_ASN1_SEQUENCE, &tst))
		return 0;
	tp = inner(&tst, &tend);
	/* version, policy, messageImprint, serialNumber, genTime */
	for (i = 0; i < 5; i++)
		if (!der_read(&tp, tend, &d))
			return 0;
	if (tp < tend && der_read(&tp, tend, &d) && d.cls == UNIV && d.tag == V_ASN1_SEQUENCE)
		tk->accuracy = whole(&d);
	return 1;
}

static int
walk_signed_data(struct tsa_token *tk, const struct der *sd)
{
	const uint8_t *end, *p = inner(sd, &end), *eend, *ep, *oend, *op;
	struct der d, encap, explicit;

	if (!der_expect(&p, end, UNIV, V_ASN1_INTEGER, &d))
		return 0;
	tk->sd_version = whole(&d);
	if (!der_expect(&p, end, UNIV, V_ASN1_SET, &d))
		return 0;
	tk->sd_digest_algs = whole(&d);
	if (!der_expect(&p, end, UNIV, V_ASN1_SEQUENCE, &encap))
		return 0;
	ep = inner(&encap, &eend);
	if (!der_expect(&ep, eend, UNIV, V_ASN1_OBJECT, &d))
		return 0;
	tk->econtent_type = whole(&d);
	if (!der_expect(&ep, eend, CTX, 0, &explicit))
		return 0;
	op = inner(&explicit, &oend);
	if (!der_expect(&op, oend, UNIV, V_ASN1_OCTET_STRING, &d) || !walk_tst_info(tk, &d))
		return 0;
	if (!der_read(&p, end, &d))
		return 0;
	if (d.cls == CTX && d.tag == 0) {
		tk->certs = whole(&d);
		if (!der_read(&p, end, &d))
			return 0;
	}
	return d.cls == UNIV && d.tag == V_ASN1_SET && walk_signer_info(tk, &d) && p == end;
}

static int
walk_reference(struct tsa_token *tk, size_t len)
{
	const uint8_t *end = tk->ref + len, *p = tk->ref, *rend, *rp, *cend, *cp, *xend, *xp;
	struct der resp, d, ci, explicit;

	if (!der_expect(&p, end, UNIV, V_ASN1_SEQUENCE, &resp) || p != end)
		return 0;
	rp = inner(&resp, &rend);
	if (!der_expect(&rp, rend, UNIV, V_ASN1_SEQUENCE, &d))
		return 0;
	tk->status = whole(&d);
	if (!der_expect(&rp, rend, UNIV, V_ASN1_SEQUENCE, &ci) || rp != rend)
		return 0;
	cp = inner(&ci, &cend);
	if (!der_expect(&cp, cend, UNIV, V_ASN1_OBJECT, &d))
		return 0;
	tk->ci_type = whole(&d);
	if (!der_expect(&cp, cend, CTX, 0, &explicit) || cp != cend)
		return 0;
	xp = inner(&explicit, &xend);
	return der_expect(&xp, xend, UNIV, V_ASN1_SEQUENCE, &d) && xp == xend && walk_signed_data(tk, &d);
}

/* A SHA-256 request over 32 zero bytes with certReq: the reference
 * token's and the self-check's. */
static TS_REQ *
zero_request(void)
{
	static const uint8_t zero[TOKEN_MD_LEN];
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	int ok = req != NULL && mi != NULL && alg != NULL && TS_REQ_set_version(req, 1) &&
	         X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) && TS_MSG_IMPRINT_set_algo(mi, alg) &&
	         TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)zero, sizeof(zero)) && TS_REQ_set_msg_imprint(req, mi) &&
	         TS_REQ_set_cert_req(req, 1);

	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	if (!ok) {
		TS_REQ_free(req);
		return NULL;
	}
	return req;
}

/* OpenSSL's own token for a SHA-256 request with certReq, under CFG's
 * first policy and accuracy: the layout we copy. */
static gpg_error_t
reference_token(EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain, const struct tsa_config *cfg,
                uint8_t **der, size_t *derlen, char *err, size_t errlen)
{
	TS_RESP_CTX *ctx = NULL;
	TS_REQ *req = NULL;
	ASN1_OBJECT *pol = NULL;
	TS_RESP *resp = NULL;
	BIO *in = NULL;
	unsigned char *q = NULL, *r = NULL;
	int qlen, rlen;
	unsigned acc = cfg->accuracy_us;
	gpg_error_t rc = gpg_error(GPG_ERR_GENERAL);

	if ((ctx = TS_RESP_CTX_new()) == NULL || !TS_RESP_CTX_set_signer_cert(ctx, cert) ||
	    !TS_RESP_CTX_set_signer_key(ctx, key) || !TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()) ||
	    !TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256()) ||
	    (chain != NULL && !TS_RESP_CTX_set_certs(ctx, chain)) ||
	    (pol = OBJ_txt2obj(cfg->policies[0], 1)) == NULL || !TS_RESP_CTX_set_def_policy(ctx, pol) ||
	    !TS_RESP_CTX_add_md(ctx, EVP_sha256()) ||
	    (acc != 0 && !TS_RESP_CTX_set_accuracy(ctx, (int)(acc / 1000000), (int)(acc / 1000 % 1000),
	                                           (int)(acc % 1000))))
		goto out;
	if ((req = zero_request()) == NULL || (qlen = i2d_TS_REQ(req, &q)) <= 0 ||
	    (in = BIO_new_mem_buf(q, qlen)) == NULL || (resp = TS_RESP_create_response(ctx, in)) == NULL ||
	    ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))) != TS_STATUS_GRANTED ||
	    (rlen = i2d_TS_RESP(resp, &r)) <= 0)
		goto out;
	if ((*der = malloc((size_t)rlen)) == NULL) {
		rc = gpg_error_from_syserror();
		goto out;
	}
	memcpy(*der, r, (size_t)rlen);
	*derlen = (size_t)rlen;
	rc = 0; /* success */
out:
	if (rc != 0)
		snprintf(err, errlen, "the reference token could not be made: %s",
		         ERR_peek_last_error() ? ERR_reason_error_string(ERR_peek_last_error()) : "not granted");
	ERR_clear_error();
	OPENSSL_free(q);
	OPENSSL_free(r);
	BIO_free(in);
	TS_RESP_free(resp);
	TS_REQ_free(req);
	ASN1_OBJECT_free(pol);
	TS_RESP_CTX_free(ctx);
	return rc;
}

/* DER SET OF order (X.690 11.6): octet-wise, the shorter padded with 0. */
static int
set_cmp(const struct piece *a, const struct piece *b)
{
	size_t i, n = a->len > b->len ? a->len : b->len;
	int x, y;

	for (i = 0; i < n; i++) {
		x = i < a->len ? a->p[i] : 0;
		y = i < b->len ? b->p[i] : 0;
		if (x != y)
			return x - y;
	}
	return 0;
}

/* The messageDigest attribute differs from the others before its digest,
 * so one sort with a zero digest fixes the order for every token. */
static void
sort_attrs(struct tsa_token *tk)
{
	uint8_t md[sizeof(md_attr_prefix) + TOKEN_MD_LEN] = { 0 };
	struct piece pc[TOKEN_NATTRS];
	int i, j, t;

	memcpy(md, md_attr_prefix, sizeof(md_attr_prefix));
	pc[0] = tk->attr_ct;
	pc[1].p = md;
	pc[1].len = sizeof(md);
	pc[2] = tk->attr_scv2;
	for (i = 0; i < TOKEN_NATTRS; i++)
		tk->order[i] = i;
	for (i = 1; i < TOKEN_NATTRS; i++)
		for (j = i; j > 0 && set_cmp(&pc[tk->order[j - 1]], &pc[tk->order[j]]) > 0; j--) {
			t = tk->order[j];
			tk->order[j] = tk->order[j - 1];
			tk->order[j - 1] = t;
		}
}

static gpg_error_t
make_policies(struct tsa_token *tk, char *err, size_t errlen)
{
	unsigned char *p;
	size_t i;
	int n;

	for (i = 0; i < tk->cfg->npolicies; i++) {
		if ((tk->policy_obj[i] = OBJ_txt2obj(tk->cfg->policies[i], 1)) == NULL ||
		    (n = i2d_ASN1_OBJECT(tk->policy_obj[i], NULL)) <= 0 || n > TOKEN_MAX_OID) {
			snprintf(err, errlen, "policy %s cannot be encoded (at most %d DER bytes)", tk->cfg->policies[i],
			         TOKEN_MAX_OID);
			return gpg_error(GPG_ERR_INV_VALUE);
		}
		p = tk->policy_der[i];
		tk->policy_len[i] = (size_t)i2d_ASN1_OBJECT(tk->policy_obj[i], &p);
	}
	return 0;
}

static gpg_error_t
make_signers(struct tsa_token *tk, EVP_PKEY *key, char *err, size_t errlen)
{
	EVP_PKEY_CTX *c;
	unsigned i;

	if ((tk->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (tk->sign = calloc(tk->nslots, sizeof(*tk->sign))) == NULL)
		goto fail;
	for (i = 0; i < tk->nslots; i++) {
		if ((c = tk->sign[i] = EVP_PKEY_CTX_new(key, NULL)) == NULL || EVP_PKEY_sign_init(c) <= 0 ||
		    (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) <= 0) ||
		    EVP_PKEY_CTX_set_signature_md(c, tk->sha256) <= 0)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot set up signing with the key: %s",
	         ERR_peek_last_error() ? ERR_reason_error_string(ERR_peek_last_error()) : "out of memory");
	ERR_clear_error();
	return gpg_error(GPG_ERR_GENERAL);
}

int
tsa_token_accepts(const struct tsa_token *tk, const TS_REQ *req, size_t *policy)
{
	const STACK_OF(X509_EXTENSION) *exts = TS_REQ_get_exts((TS_REQ *)req);
	TS_MSG_IMPRINT *mi = TS_REQ_get_msg_imprint((TS_REQ *)req);
	const ASN1_OBJECT *alg, *pol = TS_REQ_get_policy_id((TS_REQ *)req);
	const ASN1_INTEGER *nonce = TS_REQ_get_nonce(req);
	const ASN1_OCTET_STRING *msg;
	int ptype, mdlen;
	unsigned bit;
	size_t i;

	if (TS_REQ_get_version(req) != 1 || (exts != NULL && sk_X509_EXTENSION_num(exts) > 0) || mi == NULL ||
	    (msg = TS_MSG_IMPRINT_get_msg(mi)) == NULL)
		return 0;
	X509_ALGOR_get0(&alg, &ptype, NULL, TS_MSG_IMPRINT_get_algo(mi));
	if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)
		return 0;
	switch (OBJ_obj2nid(alg)) {
	case NID_sha256: bit = TSA_DIGEST_SHA256; mdlen = 32; break;
	case NID_sha384: bit = TSA_DIGEST_SHA384; mdlen = 48; break;
	case NID_sha512: bit = TSA_DIGEST_SHA512; mdlen = 64; break;
	default: return 0;
	}
	if (!(tk->cfg->digests & bit) || ASN1_STRING_length(msg) != mdlen)
		return 0;
	if (nonce != NULL && i2d_ASN1_INTEGER(nonce, NULL) > TSA_TOKEN_MAX_NONCE)
		return 0;
	if (pol == NULL) {
		*policy = 0;
		return 1;
	}
	for (i = 0; i < tk->cfg->npolicies; i++)
		if (OBJ_cmp(pol, tk->policy_obj[i]) == 0) {
			*policy = i;
			return 1;
		}
	return 0;
}

/* genTime as OpenSSL writes it: seconds, or milliseconds without trailing
 * zeros when the accuracy is below a second. */
static void
format_time(const struct tsa_token *tk, const struct timeval *now, char *out, size_t outlen)
{
	struct tm tm;
	size_t n;
	unsigned ms = (unsigned)(now->tv_usec / 1000);

	gmtime_r(&now->tv_sec, &tm);
	n = strftime(out, outlen, "%Y%m%d%H%M%S", &tm);
	if (tk->cfg->accuracy_us != 0 && tk->cfg->accuracy_us < 1000000 && ms != 0) {
		n += (size_t)snprintf(out + n, outlen - n, ".%03u", ms);
		while (out[n - 1] == '0')
			n--;
	}
	snprintf(out + n, outlen - n, "Z");
}

/* A small forward writer; every length was checked by the caller. */
struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int bad;
};

static void
put(struct wbuf *w, const void *d, size_t n)
{
	if (n == 0) /* an absent piece: D may be NULL */
		return;
	if (w->bad || n > w->cap - w->len) {
		w->bad = 1;
		return;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void
put_piece(struct wbuf *w, const struct piece *pc)
{
	put(w, pc->p, pc->len);
}

/* Total size of an element with LEN content bytes (tags below 31). */
static size_t
tlv(size_t len)
{
	return (size_t)ASN1_object_size(0, (int)len, V_ASN1_SEQUENCE);
}

static void
put_hdr(struct wbuf *w, int cons, size_t len, int tag, int cls)
{
	unsigned char hdr[16], *q = hdr;

	ASN1_put_object(&q, cons, (int)len, tag, cls);
	put(w, hdr, (size_t)(q - hdr));
}

/* INTEGER V (positive, minimal). */
static void
put_uint64(struct wbuf *w, uint64_t v)
{
	uint8_t b[9];
	size_t n = 0, i;

	do {
		b[8 - n++] = (uint8_t)v;
		v >>= 8;
	} while (v != 0);
	if (b[9 - n] & 0x80)
		b[8 - n++] = 0;
	put_hdr(w, 0, n, V_ASN1_INTEGER, UNIV);
	for (i = 9 - n; i < 9; i++)
		put(w, &b[i], 1);
}

/* I2D(OBJ) into W (OpenSSL's i2d_of_void, as its ASN1_i2d_bio_of). */
static void
put_i2d(struct wbuf *w, i2d_of_void *i2d, const void *obj)
{
	int n = i2d(obj, NULL);
	unsigned char *q = w->p + w->len;

	if (w->bad || n <= 0 || (size_t)n > w->cap - w->len || i2d(obj, &q) != n) {
		w->bad = 1;
		return;
	}
	w->len += (size_t)n;
}

/* TSTInfo: version 1, policy, messageImprint, serialNumber, genTime,
 * accuracy, nonce (ordering FALSE is the default and left out). */
static gpg_error_t
build_tst(const struct tsa_token *tk, const TS_REQ *req, size_t policy, uint64_t serial, const char *when,
          uint8_t *out, size_t outmax, size_t *outlen)
{
	static const uint8_t version[] = { 0x02, 0x01, 0x01 };
	uint8_t body[TOKEN_MAX_TST];
	struct wbuf b = { body, 0, sizeof(body), 0 }, w = { out, 0, outmax, 0 };
	const ASN1_INTEGER *nonce = TS_REQ_get_nonce(req);
	size_t tl = strlen(when);

	put(&b, version, sizeof(version));
	put(&b, tk->policy_der[policy], tk->policy_len[policy]);
	put_i2d(&b, CHECKED_I2D_OF(TS_MSG_IMPRINT, i2d_TS_MSG_IMPRINT), TS_REQ_get_msg_imprint((TS_REQ *)req));
	put_uint64(&b, serial);
	put_hdr(&b, 0, tl, V_ASN1_GENERALIZEDTIME, UNIV);
	put(&b, when, tl);
	put_piece(&b, &tk->accuracy);
	if (nonce != NULL)
		put_i2d(&b, CHECKED_I2D_OF(ASN1_INTEGER, i2d_ASN1_INTEGER), nonce);
	put_hdr(&w, 1, b.len, V_ASN1_SEQUENCE, UNIV);
	put(&w, body, b.len);
	if (b.bad || w.bad)
		return gpg_error(GPG_ERR_TOO_LARGE);
	*outlen = w.len;
	return 0;
}

/* The signed attributes' content (without the SET header) for a TSTInfo
 * whose SHA-256 is MD. */
static gpg_error_t
build_attrs(const struct tsa_token *tk, const uint8_t *md, uint8_t *out, size_t outmax, size_t *outlen)
{
	uint8_t mattr[sizeof(md_attr_prefix) + TOKEN_MD_LEN];
	struct piece pc[TOKEN_NATTRS];
	struct wbuf w = { out, 0, outmax, 0 };
	int i;

	memcpy(mattr, md_attr_prefix, sizeof(md_attr_prefix));
	memcpy(mattr + sizeof(md_attr_prefix), md, TOKEN_MD_LEN);
	pc[0] = tk->attr_ct;
	pc[1].p = mattr;
	pc[1].len = sizeof(mattr);
	pc[2] = tk->attr_scv2;
	for (i = 0; i < TOKEN_NATTRS; i++)
		put_piece(&w, &pc[tk->order[i]]);
	if (w.bad)
		return gpg_error(GPG_ERR_TOO_LARGE);
	*outlen = w.len;
	return 0;
}

/* signature over DER(SET OF attributes): RFC 5652 §5.4 signs the SET tag,
 * not the [0] the attributes carry in the SignerInfo. */
static gpg_error_t
sign_attrs(struct tsa_token *tk, unsigned slot, const uint8_t *attrs, size_t alen, uint8_t *sig, size_t *siglen)
{
	uint8_t hdr[16], md[TOKEN_MD_LEN];
	struct wbuf h = { hdr, 0, sizeof(hdr), 0 };
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	gpg_error_t r = gpg_error(GPG_ERR_GENERAL);

	put_hdr(&h, 1, alen, V_ASN1_SET, UNIV);
	if (c == NULL || h.bad || EVP_DigestInit_ex(c, tk->sha256, NULL) != 1 || EVP_DigestUpdate(c, hdr, h.len) != 1 ||
	    EVP_DigestUpdate(c, attrs, alen) != 1 || EVP_DigestFinal_ex(c, md, NULL) != 1 ||
	    EVP_PKEY_sign(tk->sign[slot], sig, siglen, md, sizeof(md)) <= 0)
		goto out;
	r = 0; /* success */
out:
	ERR_clear_error();
	EVP_MD_CTX_free(c);
	return r;
}

/* Lay the token out in W (sizes computed first; see the top of the file). */
static void
assemble(const struct tsa_token *tk, int cert_req, const uint8_t *tst, size_t tlen, const uint8_t *attrs,
         size_t alen, const uint8_t *sig, size_t siglen, struct wbuf *w)
{
	size_t si_c, si, sis, enc_c, sd_c, sd, ci_c, resp_c;

	si_c = tk->si_version.len + tk->si_sid.len + tk->si_digest_alg.len + tlv(alen) + tk->si_sig_alg.len + tlv(siglen);
	si = tlv(si_c);
	sis = tlv(si);
	enc_c = tk->econtent_type.len + tlv(tlv(tlen));
	sd_c = tk->sd_version.len + tk->sd_digest_algs.len + tlv(enc_c) + (cert_req ? tk->certs.len : 0) + sis;
	sd = tlv(sd_c);
	ci_c = tk->ci_type.len + tlv(sd);
	resp_c = tk->status.len + tlv(ci_c);

	put_hdr(w, 1, resp_c, V_ASN1_SEQUENCE, UNIV);
	put_piece(w, &tk->status);
	put_hdr(w, 1, ci_c, V_ASN1_SEQUENCE, UNIV);
	put_piece(w, &tk->ci_type);
	put_hdr(w, 1, sd, 0, CTX);
	put_hdr(w, 1, sd_c, V_ASN1_SEQUENCE, UNIV);
	put_piece(w, &tk->sd_version);
	put_piece(w, &tk->sd_digest_algs);
	put_hdr(w, 1, enc_c, V_ASN1_SEQUENCE, UNIV);
	put_piece(w, &tk->econtent_type);
	put_hdr(w, 1, tlv(tlen), 0, CTX);
	put_hdr(w, 0, tlen, V_ASN1_OCTET_STRING, UNIV);
	put(w, tst, tlen);
	if (cert_req)
		put_piece(w, &tk->certs);
	put_hdr(w, 1, si, V_ASN1_SET, UNIV);
	put_hdr(w, 1, si_c, V_ASN1_SEQUENCE, UNIV);
	put_piece(w, &tk->si_version);
	put_piece(w, &tk->si_sid);
	put_piece(w, &tk->si_digest_alg);
	put_hdr(w, 1, alen, 0, CTX);
	put(w, attrs, alen);
	put_piece(w, &tk->si_sig_alg);
	put_hdr(w, 0, siglen, V_ASN1_OCTET_STRING, UNIV);
	put(w, sig, siglen);
}

static const char *
hash_name(const TS_REQ *req)
{
	const ASN1_OBJECT *alg;

	X509_ALGOR_get0(&alg, NULL, NULL, TS_MSG_IMPRINT_get_algo(TS_REQ_get_msg_imprint((TS_REQ *)req)));
	return OBJ_nid2sn(OBJ_obj2nid(alg));
}

void
tsa_token_serial_hex(uint64_t serial, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%" PRIX64, serial);

	if (n > 0 && n % 2 != 0)
		snprintf(out, outlen, "0%" PRIX64, serial);
}

gpg_error_t
tsa_token_issue(struct tsa_token *tk, unsigned slot, const TS_REQ *req, size_t policy, uint64_t serial,
                const struct timeval *now, uint8_t **out, size_t *outlen, struct tsa_token_info *info)
{
	uint8_t tst[TOKEN_MAX_TST], attrs[TOKEN_MAX_ATTRS], sig[TOKEN_MAX_SIG], md[TOKEN_MD_LEN];
	size_t tlen, alen, siglen = sizeof(sig), cap;
	struct wbuf w = { NULL, 0, 0, 0 };
	const ASN1_OCTET_STRING *msg;
	int cert_req = TS_REQ_get_cert_req(req) && tk->certs.p != NULL;
	gpg_error_t r;

	*out = NULL;
	*outlen = 0;
	format_time(tk, now, info->gen_time, sizeof(info->gen_time));
	if ((r = build_tst(tk, req, policy, serial, info->gen_time, tst, sizeof(tst), &tlen)) != 0 ||
	    EVP_Digest(tst, tlen, md, NULL, tk->sha256, NULL) != 1 ||
	    (r = build_attrs(tk, md, attrs, sizeof(attrs), &alen)) != 0 ||
	    (r = sign_attrs(tk, slot, attrs, alen, sig, &siglen)) != 0)
		return r ? r : gpg_error(GPG_ERR_GENERAL);
	/* Every element's header is at most 6 bytes (ASN1_put_object, lengths
	 * below 2^32); 16 headers at most. */
	cap = tk->status.len + tk->ci_type.len + tk->sd_version.len + tk->sd_digest_algs.len + tk->econtent_type.len +
	      tk->certs.len + tk->si_version.len + tk->si_sid.len + tk->si_digest_alg.len + tk->si_sig_alg.len + tlen +
	      alen + siglen + 16 * 6;
	if ((w.p = malloc(cap)) == NULL)
		return gpg_error_from_syserror();
	w.cap = cap;
	assemble(tk, cert_req, tst, tlen, attrs, alen, sig, siglen, &w);
	if (w.bad) {
		free(w.p);
		return gpg_error(GPG_ERR_BUG);
	}
	tsa_token_serial_hex(serial, info->serial, sizeof(info->serial));
	info->policy = tk->cfg->policies[policy];
	info->hash = hash_name(req);
	msg = TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint((TS_REQ *)req));
	info->digest = ASN1_STRING_get0_data(msg);
	info->digest_len = (size_t)ASN1_STRING_length(msg);
	*out = w.p;
	*outlen = w.len;
	return 0;
}

/* One token of ours, parsed back by OpenSSL and its CMS signature checked
 * with the certificate: a layout mistake stops the start, not a client. */
static gpg_error_t
self_check(struct tsa_token *tk, X509 *cert, char *err, size_t errlen)
{
	const uint8_t *p;
	TS_RESP *resp = NULL;
	TS_REQ *req = NULL;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *certs = NULL;
	unsigned char *tok = NULL;
	const unsigned char *tp;
	uint8_t *der = NULL;
	size_t len = 0;
	int tlen;
	struct timeval now;
	struct tsa_token_info info;
	gpg_error_t r = gpg_error(GPG_ERR_GENERAL);

	if ((req = zero_request()) == NULL)
		goto out;
	gettimeofday(&now, NULL);
	if ((r = tsa_token_issue(tk, 0, req, 0, 1, &now, &der, &len, &info)) != 0)
		goto out;
	r = gpg_error(GPG_ERR_BAD_SIGNATURE);
	p = der;
	if ((resp = d2i_TS_RESP(NULL, &p, (long)len)) == NULL || p != der + len || TS_RESP_get_tst_info(resp) == NULL ||
	    (tlen = i2d_PKCS7(TS_RESP_get_token(resp), &tok)) <= 0)
		goto out;
	tp = tok;
	if ((cms = d2i_CMS_ContentInfo(NULL, &tp, tlen)) == NULL || (certs = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(certs, cert) ||
	    CMS_verify(cms, certs, NULL, NULL, NULL, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
		goto out;
	r = 0; /* success */
out:
	if (r != 0)
		snprintf(err, errlen, "self-check of the token layout failed: %s",
		         ERR_peek_last_error() ? ERR_reason_error_string(ERR_peek_last_error()) : gpg_strerror(r));
	ERR_clear_error();
	sk_X509_free(certs);
	CMS_ContentInfo_free(cms);
	OPENSSL_free(tok);
	TS_RESP_free(resp);
	TS_REQ_free(req);
	free(der);
	return r;
}

gpg_error_t
tsa_token_new(EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain, const struct tsa_config *cfg, unsigned nslots,
              struct tsa_token **out, char *err, size_t errlen)
{
	struct tsa_token *tk = NULL;
	size_t len = 0;
	gpg_error_t r;

	*out = NULL;
	if (nslots == 0 || cfg->npolicies == 0)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((tk = calloc(1, sizeof(*tk))) == NULL)
		return gpg_error_from_syserror();
	tk->cfg = cfg;
	tk->nslots = nslots;
	if ((r = reference_token(key, cert, chain, cfg, &tk->ref, &len, err, errlen)) != 0)
		goto out;
	if (!walk_reference(tk, len)) {
		snprintf(err, errlen, "OpenSSL's reference token has a layout we do not know");
		r = gpg_error(GPG_ERR_NOT_SUPPORTED);
		goto out;
	}
	sort_attrs(tk);
	if ((r = make_policies(tk, err, errlen)) != 0 || (r = make_signers(tk, key, err, errlen)) != 0 ||
	    (r = self_check(tk, cert, err, errlen)) != 0)
		goto out;
	*out = tk;
	tk = NULL;
	r = 0; /* success */
out:
	tsa_token_free(tk);
	return r;
}

void
tsa_token_free(struct tsa_token *tk)
{
	unsigned i;

	if (tk == NULL)
		return;
	for (i = 0; tk->sign != NULL && i < tk->nslots; i++)
		EVP_PKEY_CTX_free(tk->sign[i]);
	free(tk->sign);
	for (i = 0; i < TSA_MAX_POLICIES; i++)
		ASN1_OBJECT_free(tk->policy_obj[i]);
	EVP_MD_free(tk->sha256);
	free(tk->ref);
	free(tk);
}
