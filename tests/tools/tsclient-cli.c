/* tsclient-cli — a test driver for common/tsclient.c (built by
 * tests/e2e/210-tsclient.sh against libsignet-common.a).
 *
 *   tsclient-cli request URL FILE TOKEN-OUT [--cert] [--hash NAME]
 *                [--tls-ca PEM] [--timeout S]
 *       stamp the digest of FILE (sha256 unless --hash), write the DER
 *       TimeStampToken to TOKEN-OUT
 *   tsclient-cli verify TOKEN FILE CA-PEM [UNTRUSTED-PEM] [--hash NAME]
 *       verify TOKEN over the digest of FILE; prints gen_time, time,
 *       serial and policy lines
 *
 * Exit 0 on success; 1 with "tsclient-cli: <gpg error>: <reason>" on
 * stderr; 2 on usage errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "hashalgo.h"
#include "tsclient.h"

#define CLI_MAX_FILE (16 * 1024 * 1024)

static int
usage(void)
{
	fprintf(stderr, "usage: tsclient-cli request URL FILE TOKEN-OUT [--cert] [--hash NAME] "
	                "[--tls-ca PEM] [--timeout S]\n"
	                "       tsclient-cli verify TOKEN FILE CA-PEM [UNTRUSTED-PEM] [--hash NAME]\n");
	return 2;
}

static int
read_all(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	size_t n;

	if (f == NULL || (b = malloc(CLI_MAX_FILE)) == NULL) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	n = fread(b, 1, CLI_MAX_FILE, f);
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

static int
digest_file(const char *path, const struct hashalgo *algo, uint8_t *md, size_t *mdlen)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int ok;

	if (read_all(path, &data, &len) != 0)
		return -1;
	ok = EVP_Q_digest(NULL, algo->name, NULL, data, len, md, mdlen);
	free(data);
	return ok == 1 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	const struct hashalgo *algo = hashalgo_by_name("sha256");
	const char *pos[4] = { NULL, NULL, NULL, NULL }, *tls_ca = NULL;
	uint8_t md[HASHALGO_MAX_DIGEST], *tok = NULL;
	size_t mdlen = 0, toklen = 0, npos = 0;
	unsigned timeout = 10;
	int want_cert = 0, i, rc = 1;
	char err[512] = "";
	gpg_error_t r = 0;
	struct tsclient_info info;
	FILE *f;

	if (argc < 2)
		return usage();
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--cert") == 0)
			want_cert = 1;
		else if (strcmp(argv[i], "--hash") == 0 && i + 1 < argc)
			algo = hashalgo_by_name(argv[++i]);
		else if (strcmp(argv[i], "--tls-ca") == 0 && i + 1 < argc)
			tls_ca = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (npos < 4)
			pos[npos++] = argv[i];
		else
			return usage();
	}
	if (algo == NULL)
		return usage();

	if (strcmp(argv[1], "request") == 0 && npos == 3) {
		if (digest_file(pos[1], algo, md, &mdlen) != 0) {
			fprintf(stderr, "tsclient-cli: cannot hash %s\n", pos[1]);
			return 1;
		}
		r = tsclient_request(pos[0], tls_ca, algo, md, mdlen, want_cert, timeout, &tok, &toklen,
		                     err, sizeof(err));
		if (r != 0)
			goto out;
		if ((f = fopen(pos[2], "wb")) == NULL || fwrite(tok, 1, toklen, f) != toklen ||
		    fclose(f) != 0) {
			fprintf(stderr, "tsclient-cli: cannot write %s\n", pos[2]);
			goto out;
		}
		printf("token %zu bytes\n", toklen);
		rc = 0;
	} else if (strcmp(argv[1], "verify") == 0 && (npos == 3 || npos == 4)) {
		if (read_all(pos[0], &tok, &toklen) != 0 || digest_file(pos[1], algo, md, &mdlen) != 0) {
			fprintf(stderr, "tsclient-cli: cannot read %s or %s\n", pos[0], pos[1]);
			goto out;
		}
		r = tsclient_verify(tok, toklen, algo, md, mdlen, pos[2], pos[3], &info, err, sizeof(err));
		if (r != 0)
			goto out;
		printf("gen_time %lld\ntime %s\nserial %s\npolicy %s\n", (long long)info.gen_time,
		       info.gen_time_str, info.serial, info.policy);
		rc = 0;
	} else {
		return usage();
	}
out:
	if (rc != 0 && err[0] != '\0')
		fprintf(stderr, "tsclient-cli: %s: %s\n", gpg_strerror(r), err);
	free(tok);
	return rc;
}
