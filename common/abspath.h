/* abspath.h — a path made absolute without touching the file system. */
#ifndef SIGNET_ABSPATH_H
#define SIGNET_ABSPATH_H

#include <stddef.h>
#include <gpg-error.h>

/* PATH (absolute, or taken from the current folder; "." is the current
 * folder) into OUT (OUTLEN bytes) with trailing slashes dropped, so that a
 * path that does not exist yet still gets a stable absolute name.  Nothing
 * but getcwd() is asked of the file system (no realpath: symlinks stay).
 * GPG_ERR_INV_VALUE for an empty PATH, GPG_ERR_ENAMETOOLONG when it does
 * not fit, or the getcwd() error. */
gpg_error_t abspath_make(const char *path, char *out, size_t outlen);

#endif
