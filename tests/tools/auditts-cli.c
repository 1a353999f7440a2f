/* auditts-cli — a test driver for policyd/auditts.c, the audit
 * checkpoints' time-stamp callback (built by tests/e2e/232-audit-tsa.sh
 * against libsignet-common.a and policyd/auditts.c).
 *
 *   auditts-cli FILE TOKEN-OUT URL [--tsa-ca PEM] [--timeout S]
 *       auditts_stamp over the bytes of FILE (a note); the DER
 *       TimeStampToken to TOKEN-OUT (not written on failure)
 *
 * Exit 0 on success; 1 with "auditts-cli: <gpg error>" on stderr (the
 * callback logs its reason to stderr too); 2 on usage errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditts.h"
#include "log.h"

#define CLI_MAX_FILE (64 * 1024)

int
main(int argc, char **argv)
{
	const char *tsa_ca = NULL;
	unsigned timeout = 0;
	struct auditts *ts = NULL;
	struct audit_signer s;
	uint8_t *buf, *der = NULL;
	size_t len, derlen = 0;
	char err[512] = "";
	gpg_error_t r;
	FILE *f;

	if (argc < 4)
		return 2;
	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--tsa-ca") == 0 && i + 1 < argc)
			tsa_ca = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout = (unsigned)strtoul(argv[++i], NULL, 10);
		else
			return 2;
	}
	log_init("auditts-cli", NULL, LOG_LEVEL_INFO);
	if ((f = fopen(argv[1], "rb")) == NULL || (buf = malloc(CLI_MAX_FILE)) == NULL)
		return 1;
	len = fread(buf, 1, CLI_MAX_FILE, f);
	fclose(f);
	if ((r = auditts_new(argv[3], NULL, tsa_ca, timeout, &ts, err, sizeof(err))) != 0) {
		fprintf(stderr, "auditts-cli: %s: %s\n", gpg_strerror(r), err);
		free(buf);
		return 1;
	}
	memset(&s, 0, sizeof(s));
	auditts_attach(ts, &s);
	r = s.timestamp(s.ts_ctx, buf, len, &der, &derlen);
	auditts_free(ts);
	free(buf);
	if (r != 0) {
		fprintf(stderr, "auditts-cli: %s\n", gpg_strerror(r));
		return 1;
	}
	if ((f = fopen(argv[2], "wb")) == NULL) {
		free(der);
		return 1;
	}
	r = fwrite(der, 1, derlen, f) != derlen;
	r = fclose(f) != 0 || r;
	free(der);
	return r != 0;
}
