/* fuzz/reconcile.c — libFuzzer target for the audit-trail tail that
 * policyd reads back at start (reconcile.c): whatever the file holds, the
 * reconcile never crashes, stays within its limits, and a second pass over
 * the same tail changes nothing (it is idempotent).  Runs against a real
 * state store in a private temporary folder. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reconcile.h"
#include "store.h"

/* The harness's only state. */
static struct {
	char dir[64];
	char audit[96];
	struct store *st;
} fz;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer leaves through exit(): remove the temporary folder. */
static void
at_exit(void)
{
	static const char *const files[] = { "audit.jsonl", "policyd.db", "policyd.db-wal", "policyd.db-shm" };
	char path[128];
	size_t i;

	store_close(fz.st);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fz.dir, files[i]);
		unlink(path);
	}
	rmdir(fz.dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc;
	(void)argv;
	snprintf(fz.dir, sizeof(fz.dir), "/tmp/sgfzXXXXXX");
	if (mkdtemp(fz.dir) == NULL || store_open(fz.dir, &fz.st, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz reconcile: state store in %s: %s\n", fz.dir, err);
		exit(1);
	}
	snprintf(fz.audit, sizeof(fz.audit), "%s/audit.jsonl", fz.dir);
	atexit(at_exit);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t changed = 0;
	FILE *f;

	if ((f = fopen(fz.audit, "wb")) == NULL)
		return 0;
	if (size > 0 && fwrite(data, 1, size, f) != size) {
		fclose(f);
		return 0;
	}
	fclose(f);
	if (reconcile_from_audit(fz.st, fz.audit, &changed) != 0)
		return 0;
	if (reconcile_from_audit(fz.st, fz.audit, &changed) == 0 && changed != 0)
		__builtin_trap();
	return 0;
}
