/* p11mod.c — see p11mod.h.
 *
 * Plain PKCS#11 rather than libp11: loading is dlopen, C_GetFunctionList
 * and C_Initialize, and libp11 0.4.12 would add a second copy of the
 * module's state (its own slot list and session) that the session pool
 * and the re-login must then work around. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "p11err.h"
#include "p11mod.h"
#include "signet-err.h"

struct p11mod {
	void *dl;
	CK_FUNCTION_LIST_PTR fn;
	int finalize;         /* we initialised it */
	char *path;
};

gpg_error_t
p11mod_check_path(const char *module, char **real, char *err, size_t errlen)
{
	struct stat st;
	char *rp = NULL;
	gpg_error_t r;

	*real = NULL;
	if (module == NULL || module[0] != '/') {
		snprintf(err, errlen, "PKCS#11 module %s: must be an absolute path", module ? module : "(none)");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if ((rp = realpath(module, NULL)) == NULL) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "PKCS#11 module %s: %s", module, strerror(errno));
		return r;
	}
	if (stat(rp, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "PKCS#11 module %s: not a regular file", module);
		free(rp);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	*real = rp;
	return 0;
}

gpg_error_t
p11mod_load(const char *module, struct p11mod **modp, char *err, size_t errlen)
{
	struct p11mod *m = NULL;
	CK_C_GetFunctionList getfl;
	CK_C_INITIALIZE_ARGS args;
	gpg_error_t r;
	CK_RV rv;

	*modp = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return gpg_error_from_syserror();
	if ((r = p11mod_check_path(module, &m->path, err, errlen)) != 0)
		goto out;
	/* RTLD_NODELETE: a module may leave exit handlers or threads behind
	 * (SoftHSM2 registers OpenSSL's), which must not outlive its code; and
	 * what it allocates stays attributed to it (see below). */
	if ((m->dl = dlopen(m->path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) == NULL) {
		snprintf(err, errlen, "cannot load PKCS#11 module %s: %s", m->path, dlerror());
		r = gpg_error(SIGNET_ERR_HSM);
		goto out;
	}
	*(void **)(&getfl) = dlsym(m->dl, "C_GetFunctionList");
	if (getfl == NULL) {
		snprintf(err, errlen, "%s has no C_GetFunctionList (not a PKCS#11 module)", m->path);
		r = gpg_error(SIGNET_ERR_HSM);
		goto out;
	}
	if ((rv = getfl(&m->fn)) != CKR_OK || m->fn == NULL) {
		r = p11err_fail(err, errlen, "C_GetFunctionList", rv == CKR_OK ? CKR_GENERAL_ERROR : rv);
		goto out;
	}
	/* Threads sign at once: the module must lock with the OS's mutexes. */
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = m->fn->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		r = p11err_fail(err, errlen, "C_Initialize", rv);
		goto out;
	}
	m->finalize = rv == CKR_OK;
	*modp = m;
	m = NULL;
	r = 0; /* success */
out:
	p11mod_unload(m);
	return r;
}

void
p11mod_unload(struct p11mod *m)
{
	if (m == NULL)
		return;
	if (m->fn != NULL && m->finalize)
		m->fn->C_Finalize(NULL);
	if (m->dl != NULL)
		dlclose(m->dl);
	free(m->path);
	free(m);
}

CK_FUNCTION_LIST_PTR
p11mod_fn(const struct p11mod *m)
{
	return m->fn;
}

const char *
p11mod_path(const struct p11mod *m)
{
	return m->path;
}

/* LeakSanitizer (make SANITIZE=1), in every program that loads a module:
 * SoftHSM2 2.6.1 leaks an ASN1_STRING each time it decodes an Ed25519
 * key (signing, and generating with the "edwards25519" name).  That is
 * the module's, not ours; the module stays mapped (RTLD_NODELETE), so the
 * leak report can name it.  Nothing calls this without the sanitizer. */
const char *__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:libsofthsm2.so\n";
}
