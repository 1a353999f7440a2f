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

#include "p11mod.h"
#include "p11token.h"

#define SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"

/* Under SANITIZE=1: unwind fully on malloc, so that SoftHSM2's own
 * Ed25519 leak is traced into libsofthsm2.so, which common/p11mod.c's
 * suppression names (libcrypto, where it allocates, has no frame
 * pointers to follow). */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

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

/* Log this process out of TOKEN from a session of its own, as an HSM
 * reset would: SoftHSM2 keeps one login per application, so every
 * session of the code under test is logged out too.  The module is
 * loaded once per process; this handle does not finalise it.  0, or -1. */
static int
softhsm_drop_login(const char *token)
{
	struct p11mod *m = NULL;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	CK_SESSION_INFO info;
	char err[256];
	int ok;

	if (p11mod_load(SOFTHSM_MODULE, &m, err, sizeof(err)) != 0)
		return -1;
	ok = p11token_find(p11mod_fn(m), token, &slot, err, sizeof(err)) == 0 &&
	     p11mod_fn(m)->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) == CKR_OK;
	if (ok) {
		ok = p11mod_fn(m)->C_Logout(s) == CKR_OK && p11mod_fn(m)->C_GetSessionInfo(s, &info) == CKR_OK &&
		     info.state == CKS_RO_PUBLIC_SESSION;
		p11mod_fn(m)->C_CloseSession(s);
	}
	p11mod_unload(m);
	return ok ? 0 : -1;
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
