/* softhsm.h — for unit tests against a real SoftHSM2 token: a fresh
 * folder with a token directory, a softhsm2.conf pointing at it (exported
 * as SOFTHSM2_CONF) and the SO and user PIN files.  Nothing else is
 * faked: the module loaded is the installed libsofthsm2.so.
 *
 * Header-only, because each unit test is one .c file linked with the
 * common library (Makefile); include it from one test file only. */
#ifndef SIGNET_TEST_SOFTHSM_H
#define SIGNET_TEST_SOFTHSM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"

struct softhsm {
	char dir[32];
	char so_pin[64];     /* path of the SO PIN file */
	char pin[64];        /* path of the user PIN file ("1234") */
	char conf[64];
};

static int
softhsm_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0 || chmod(path, 0600) != 0)
		return -1;
	return 0;
}

/* 0, or -1 when the module is missing or a file cannot be written. */
static int
softhsm_setup(struct softhsm *t)
{
	char path[64], text[160];

	memset(t, 0, sizeof(*t));
	if (access(SOFTHSM_MODULE, R_OK) != 0)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/shsmXXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/tokens", t->dir);
	snprintf(t->conf, sizeof(t->conf), "%s/softhsm2.conf", t->dir);
	snprintf(t->so_pin, sizeof(t->so_pin), "%s/so-pin", t->dir);
	snprintf(t->pin, sizeof(t->pin), "%s/pin", t->dir);
	snprintf(text, sizeof(text), "directories.tokendir = %s\nobjectstore.backend = file\n", path);
	if (mkdir(path, 0700) != 0 || softhsm_write(t->conf, text) != 0 ||
	    softhsm_write(t->so_pin, "87654321\n") != 0 || softhsm_write(t->pin, "1234\n") != 0)
		return -1;
	setenv("SOFTHSM2_CONF", t->conf, 1);
	return 0;
}

static void
softhsm_teardown(struct softhsm *t)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	if (t->dir[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", t->dir);
}

#endif
