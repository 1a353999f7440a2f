/* p11mod.h — a PKCS#11 module loaded and initialised for a daemon whose
 * threads call it at once: the module file must be an absolute path to a
 * regular file (loaded by its canonical path, so a symbolic link changed
 * later does not change what runs), and C_Initialize gets
 * CKF_OS_LOCKING_OK.  Shared by signet-policyd and signet-tsa. */
#ifndef SIGNET_P11MOD_H
#define SIGNET_P11MOD_H

#include <stddef.h>
#include <gpg-error.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

struct p11mod;

/* Check that MODULE is an absolute path of a regular file; *REAL gets its
 * realpath() (free()).  GPG_ERR_INV_VALUE or the errno of realpath(). */
gpg_error_t p11mod_check_path(const char *module, char **real, char *err, size_t errlen);

/* Check MODULE as above, dlopen its canonical path, take its function
 * list and initialise it.  A module this process initialised already
 * (CKR_CRYPTOKI_ALREADY_INITIALIZED) is used as it is and not finalised
 * by p11mod_unload(). */
gpg_error_t p11mod_load(const char *module, struct p11mod **mod, char *err, size_t errlen);
/* C_Finalize (when we initialised it) and dlclose.  NULL is fine; close
 * the sessions first. */
void p11mod_unload(struct p11mod *mod);

CK_FUNCTION_LIST_PTR p11mod_fn(const struct p11mod *mod);
/* The canonical path the module was loaded from. */
const char *p11mod_path(const struct p11mod *mod);

#endif
