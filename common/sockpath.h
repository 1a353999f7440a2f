/* sockpath.h — where a Unix socket of the embedded default goes.
 *
 * sun_path holds 107 bytes.  A checkout can sit deep in the file system, so
 * when DIR/NAME is too long the socket goes to /tmp/signet-<uid>/<16 hex of
 * SHA-256(DIR)>-NAME instead (DESIGN.md, "The embedded default"); the caller
 * records the chosen path in the configuration. */
#ifndef SIGNET_SOCKPATH_H
#define SIGNET_SOCKPATH_H

#include <stddef.h>
#include <gpg-error.h>

#define SOCKPATH_MAX 107

/* Choose the socket path for NAME in directory DIR (absolute) into OUT. */
gpg_error_t sockpath_choose(const char *dir, const char *name, char *out, size_t outlen);
/* Create the parent folder of PATH (0755) if missing. */
gpg_error_t sockpath_prepare_dir(const char *path);

#endif
