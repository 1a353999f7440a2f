/* fuzz/tsclient_reply.c — libFuzzer target: the RFC 3161 replies that
 * common/tsclient reads (tsclient_check_reply, then tsclient_verify on
 * whatever it accepts), against one fixed query.  An input starting with
 * 'X' is laid over a real, granted reply to that query (signed by a test
 * key with a self-signed time-stamping certificate) by XOR from the offset
 * its next two bytes give, so that the deep checks (imprint, nonce, the
 * token's signature and certificate binding) are reached, not only the DER
 * decoder.  Whatever the input: no crash, a refusal says why, an
 * acceptance hands over a token.  The Makefile needs
 * FUZZ_EXTRA_tsclient_reply := tests/unit/tsafixture.c. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../tests/unit/tsafixture.h"
#include "hashalgo.h"
#include "tsclient.h"

#define POLICY "1.3.6.1.4.1.99999.1.1"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	const struct hashalgo *algo;
	uint8_t digest[32];
	uint8_t *query, *reply;
	size_t query_len, reply_len;
	char ca_path[64];
} fx;

static void
fuzz_cleanup(void)
{
	unlink(fx.ca_path);
}

static void
fuzz_init(void)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char err[256];

	memset(fx.digest, 0x5a, sizeof(fx.digest));
	if ((fx.algo = hashalgo_by_name("sha256")) == NULL ||
	    tsclient_make_query(fx.algo, fx.digest, sizeof(fx.digest), 1, &fx.query, &fx.query_len, err,
	                        sizeof(err)) != 0 ||
	    tsafixture_make("Signet fuzz TSA", "P-256", &key, &cert) != 0 ||
	    tsafixture_reply(key, cert, EVP_sha256(), POLICY, fx.query, fx.query_len, &fx.reply,
	                     &fx.reply_len) != 0 ||
	    tsafixture_write_pem(cert, fx.ca_path, sizeof(fx.ca_path)) != 0)
		abort();
	atexit(fuzz_cleanup);
	EVP_PKEY_free(key);
	X509_free(cert);
}

/* The reply to check: DATA itself, or the real reply with DATA laid over. */
static uint8_t *
make_reply(const uint8_t *data, size_t size, size_t *len)
{
	uint8_t *r;
	size_t off, i;

	if (size < 3 || data[0] != 'X') {
		if ((r = malloc(size + 1)) != NULL)
			memcpy(r, data, size);
		*len = size;
		return r;
	}
	if ((r = malloc(fx.reply_len)) == NULL)
		return NULL;
	memcpy(r, fx.reply, fx.reply_len);
	off = ((size_t)data[1] << 8 | data[2]) % fx.reply_len;
	for (i = 3; i < size && off < fx.reply_len; i++, off++)
		r[off] ^= data[i];
	*len = fx.reply_len;
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsclient_info info;
	uint8_t *reply, *token = NULL;
	size_t len = 0, token_len = 0;
	char err[512];
	gpg_error_t r;

	if (fx.query == NULL)
		fuzz_init();
	if (size > TSCLIENT_MAX_RESP || (reply = make_reply(data, size, &len)) == NULL)
		return 0;
	err[0] = '\0';
	r = tsclient_check_reply(fx.query, fx.query_len, reply, len, &token, &token_len, err, sizeof(err));
	if (r != 0) {
		if (token != NULL || token_len != 0 || memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			__builtin_trap();
	} else {
		if (token == NULL || token_len == 0)
			__builtin_trap();
		err[0] = '\0';
		r = tsclient_verify(token, token_len, fx.algo, fx.digest, sizeof(fx.digest), fx.ca_path, NULL,
		                    &info, err, sizeof(err));
		if (r != 0 && (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0'))
			__builtin_trap();
		if (r == 0 && (memchr(info.serial, '\0', sizeof(info.serial)) == NULL ||
		               memchr(info.policy, '\0', sizeof(info.policy)) == NULL))
			__builtin_trap();
	}
	free(token);
	free(reply);
	return 0;
}
