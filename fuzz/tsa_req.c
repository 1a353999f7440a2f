/* fuzz/tsa_req.c — libFuzzer target: the signet-tsa request path
 * (tsa/resp.c: DER TimeStampReq → TimeStampResp, with a real EC P-256 key
 * and serial store).  Whatever the input, the answer must be a DER
 * TimeStampResp that OpenSSL can read back.  An input starting with 'Q'
 * is turned into a well-formed request first (imprint, nonce, certReq and
 * policy taken from the bytes), so the granted path (serial, clock, signing)
 * is fuzzed too, not only the DER decoder.  The Makefile needs
 * FUZZ_EXTRA_tsa_req := tsa/resp.c tsa/serial.c tsa/clock.c. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/ts.h>

#include "tsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A throw-away self-signed time-stamping certificate (EKU timeStamping,
 * critical; valid for 100 years) and its key: test material only. */
static const char fuzz_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglLFUAH5ZFu34fpVl\n"
	"JtUoHVQUtBIQx6J1J4Ln5+AVxuehRANCAASMzfBjT+7AT6ZmkA6OVUWMDiG109R2\n"
	"h4oY30us1kNAYxjx91jAYn8CXmG1ef+EbVDpDVXKcc4gnqQx2aO8Bj1I\n"
	"-----END PRIVATE KEY-----\n"
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBsDCCAVagAwIBAgIUG+UVNIL2JhmUDylviS4B/7nPlI8wCgYIKoZIzj0EAwIw\n"
	"GjEYMBYGA1UEAwwPU2lnbmV0IGZ1enogVFNBMCAXDTI2MTEyNjIzNTgzN1oYDzIx\n"
	"MjYxMTAyMjM1ODM3WjAaMRgwFgYDVQQDDA9TaWduZXQgZnV6eiBUU0EwWTATBgcq\n"
	"hkjOPQIBBggqhkjOPQMBBwNCAASMzfBjT+7AT6ZmkA6OVUWMDiG109R2h4oY30us\n"
	"1kNAYxjx91jAYn8CXmG1ef+EbVDpDVXKcc4gnqQx2aO8Bj1Io3gwdjAdBgNVHQ4E\n"
	"FgQU1tN2OP3/pGmWxZFQRk0LeN8BARQwHwYDVR0jBBgwFoAU1tN2OP3/pGmWxZFQ\n"
	"Rk0LeN8BARQwDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMCB4AwFgYDVR0lAQH/\n"
	"BAwwCgYIKwYBBQUHAwgwCgYIKoZIzj0EAwIDSAAwRQIgTatZIauAlrElIsje5r52\n"
	"4USYqarQ3z08JlCN3dHvur8CIQDCcKq8SdLHb5bEUyBz6VtpeCQISFhl2bZh3oFU\n"
	"eHmfgQ==\n"
	"-----END CERTIFICATE-----\n"
	;

static struct tsa_resp *fuzz_resp;
static char fuzz_dir[] = "/tmp/tsafuzzXXXXXX";

/* Leave no serial store behind in /tmp. */
static void
fuzz_cleanup(void)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/serial", fuzz_dir);
	unlink(path);
	rmdir(fuzz_dir);
}

static void
fuzz_init(void)
{
	static struct tsa_config cfg;
	static char policy[] = "1.3.6.1.4.1.99999.1.1";
	struct tsa_resp_params p;
	struct tsa_serial *ser = NULL;
	char path[64], err[TSA_MAX_ERR];
	BIO *b;

	memset(&cfg, 0, sizeof(cfg));
	cfg.policies[0] = policy;
	cfg.npolicies = 1;
	cfg.accuracy_us = 500000;
	cfg.digests = TSA_DIGEST_SHA256 | TSA_DIGEST_SHA384 | TSA_DIGEST_SHA512;
	cfg.clock_check = TSA_CLOCK_NONE;
	memset(&p, 0, sizeof(p));
	if ((b = BIO_new_mem_buf(fuzz_pem, -1)) == NULL ||
	    (p.key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL ||
	    (p.cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
		abort();
	BIO_free(b);
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	atexit(fuzz_cleanup);
	snprintf(path, sizeof(path), "%s/serial", fuzz_dir);
	if (tsa_serial_open(path, &ser, err, sizeof(err)) != 0)
		abort();
	p.cfg = &cfg;
	p.serial = ser;
	p.nctx = 1;
	if (tsa_resp_new(&p, &fuzz_resp, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
}

/* A TimeStampReq built from DATA: byte 1 picks the digest (incl. SHA-1,
 * which must be refused), byte 2 the flags, the rest is the imprint and
 * nonce.  Returns a DER request (OPENSSL_free) or NULL. */
static unsigned char *
build_query(const uint8_t *data, size_t size, int *len)
{
	static const char *const policies[] = { NULL, "1.3.6.1.4.1.99999.1.1", "1.2.3.4" };
	const EVP_MD *mds[4] = { EVP_sha256(), EVP_sha384(), EVP_sha512(), EVP_sha1() };
	TS_REQ *req = NULL;
	TS_MSG_IMPRINT *mi = NULL;
	X509_ALGOR *alg = NULL;
	ASN1_INTEGER *nonce = NULL;
	ASN1_OBJECT *pol = NULL;
	unsigned char *der = NULL;
	const EVP_MD *md;
	uint8_t imprint[64];
	size_t ilen, i;

	if (size < 3)
		return NULL;
	md = mds[data[1] % 4];
	ilen = (size_t)EVP_MD_get_size(md);
	memset(imprint, 0, sizeof(imprint));
	for (i = 3; i < size && i - 3 < ilen; i++)
		imprint[i - 3] = data[i];
	if ((req = TS_REQ_new()) == NULL || !TS_REQ_set_version(req, 1) || (mi = TS_MSG_IMPRINT_new()) == NULL ||
	    (alg = X509_ALGOR_new()) == NULL)
		goto out;
	X509_ALGOR_set_md(alg, md);
	if (!TS_MSG_IMPRINT_set_algo(mi, alg) ||
	    !TS_MSG_IMPRINT_set_msg(mi, imprint, (data[2] & 0x40) ? (int)ilen - 1 : (int)ilen) ||
	    !TS_REQ_set_msg_imprint(req, mi))
		goto out;
	if ((data[2] & 1) && ((nonce = ASN1_INTEGER_new()) == NULL ||
	                      !ASN1_INTEGER_set_int64(nonce, (int64_t)(size * 7919u + data[size - 1])) ||
	                      !TS_REQ_set_nonce(req, nonce)))
		goto out;
	if ((data[2] & 2) && !TS_REQ_set_cert_req(req, 1))
		goto out;
	if (policies[(data[2] >> 2) % 3] != NULL && ((pol = OBJ_txt2obj(policies[(data[2] >> 2) % 3], 1)) == NULL ||
	                                            !TS_REQ_set_policy_id(req, pol)))
		goto out;
	*len = i2d_TS_REQ(req, &der);
	if (*len <= 0) {
		OPENSSL_free(der);
		der = NULL;
	}
out:
	ASN1_OBJECT_free(pol);
	ASN1_INTEGER_free(nonce);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	return der;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out = NULL;
	size_t outlen = 0;
	const unsigned char *pp;
	TS_RESP *resp;

	if (fuzz_resp == NULL)
		fuzz_init();
	if (size > TSA_MAX_REQ_BODY)
		return 0;
	if (size > 0 && data[0] == 'Q') {
		int qlen = 0;
		unsigned char *q = build_query(data, size, &qlen);

		if (q == NULL)
			return 0;
		if (tsa_resp_answer(fuzz_resp, q, (size_t)qlen, &out, &outlen) != 0)
			__builtin_trap();
		OPENSSL_free(q);
	} else if (tsa_resp_answer(fuzz_resp, data, size, &out, &outlen) != 0)
		__builtin_trap();
	pp = out;
	if ((resp = d2i_TS_RESP(NULL, &pp, (long)outlen)) == NULL || pp != out + outlen)
		__builtin_trap();
	TS_RESP_free(resp);
	free(out);
	return 0;
}
