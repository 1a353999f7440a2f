/* certtool.h — what the certificate test helpers (mkcert-soft.c,
 * mkcert-ec.c) share: writing a result file and a detached data signature
 * through pgpsig.  Header-only: each helper is one .c file built by its
 * e2e test. */
#ifndef SIGNET_TEST_CERTTOOL_H
#define SIGNET_TEST_CERTTOOL_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pgpsig.h"
#include "pgpwrite.h"

/* PREFIX + EXT gets LEN bytes of DATA; 0 (and a message) on failure. */
static int
certtool_write(const char *prefix, const char *ext, const void *data, size_t len)
{
	char path[4096];
	FILE *f;
	int ok;

	if ((size_t)snprintf(path, sizeof(path), "%s%s", prefix, ext) >= sizeof(path))
		return 0;
	if ((f = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 0;
	}
	ok = fwrite(data, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	return ok;
}

/* A detached binary signature (type 0x00) over DATA by SIGNER, made at
 * WHEN through SIGN, into PREFIX + EXT. */
static int
certtool_data_sig(pgpsig_sign_fn sign, void *opaque, const struct pgpkey *signer, const uint8_t *data,
                  size_t len, uint32_t when, const char *prefix, const char *ext)
{
	uint8_t body[PGPSIG_MAX], pkt[PGPSIG_MAX + 8];
	struct pgpsig_chunk covered = { data, len };
	struct pgpsig_spec spec = { 0 };
	size_t body_len = 0;
	struct pgpwrite w;
	gpg_error_t err;

	spec.type = PGPSIG_BINARY;
	spec.created = when;
	spec.signer = signer;
	spec.covered = &covered;
	spec.ncovered = 1;
	if ((err = pgpsig_make(&spec, sign, opaque, body, sizeof(body), &body_len)) != 0) {
		fprintf(stderr, "data signature: %s\n", gpg_strerror(err));
		return 0;
	}
	pgpwrite_init(&w, pkt, sizeof(pkt));
	pgpwrite_packet(&w, 2, body, body_len);
	return pgpwrite_done(&w) == 0 && certtool_write(prefix, ext, pkt, w.len);
}

#endif
