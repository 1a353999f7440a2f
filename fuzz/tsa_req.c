/* fuzz/tsa_req.c — libFuzzer target: the signet-tsa request path
 * (tsa/resp.c: DER TimeStampReq → TimeStampResp, with a real EC P-256 key
 * and serial store).  Whatever the input, the answer must be a DER
 * TimeStampResp that OpenSSL can read back.  The Makefile needs
 * FUZZ_EXTRA_tsa_req := tsa/resp.c tsa/serial.c tsa/clock.c. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
fuzz_init(void)
{
	static struct tsa_config cfg;
	static char policy[] = "1.3.6.1.4.1.99999.1.1";
	struct tsa_resp_params p;
	struct tsa_serial *ser = NULL;
	char dir[] = "/tmp/tsafuzzXXXXXX", path[64], err[TSA_MAX_ERR];
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
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/serial", dir);
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
	if (tsa_resp_answer(fuzz_resp, data, size, &out, &outlen) != 0)
		__builtin_trap();
	pp = out;
	if ((resp = d2i_TS_RESP(NULL, &pp, (long)outlen)) == NULL || pp != out + outlen)
		__builtin_trap();
	TS_RESP_free(resp);
	free(out);
	return 0;
}
