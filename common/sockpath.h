/* sockpath.h — where a Unix socket of the embedded default goes.
 *
 * sun_path holds 107 bytes.  A checkout can sit deep in the file system, so
 * when DIR/NAME is too long the socket goes to a runtime folder made for it
 * with a random name, /tmp/signet-<uid>-XXXXXX (mkdtemp), so that nobody
 * can make it first (DESIGN.md, "The embedded default"); the caller records
 * the chosen path in the configuration, which is how the daemon and its
 * clients find it again.  /tmp, not $XDG_RUNTIME_DIR: that folder is
 * private to its user (0700) and signers are other users.  Whoever starts
 * the daemon later re-makes a missing folder and refuses one that someone
 * else made (sockpath_prepare_dir). */
#ifndef SIGNET_SOCKPATH_H
#define SIGNET_SOCKPATH_H

#include <stddef.h>
#include <gpg-error.h>

#define SOCKPATH_MAX 107
#define SOCKPATH_RUNTIME_BASE "/tmp"

/* Choose the socket path for NAME in directory DIR (absolute) into OUT
 * (OUTLEN bytes).  When DIR/NAME does not fit, the path is NAME in a new
 * runtime folder: made (0755, so that other users reach the socket) when
 * CREATE is set, else OUT gets a path of the same length with "XXXXXX" for
 * the random part (to check a configuration before anything is made).
 * On failure WHY (WHYLEN bytes) says what went wrong. */
gpg_error_t sockpath_choose(const char *dir, const char *name, int create, char *out, size_t outlen,
                            char *why, size_t whylen);

/* Make the folder of PATH (0755) if it is missing, then require that it,
 * and every folder above it, is owned by root or the caller's effective
 * user and writable by no one else (common/trustpath.h): a folder someone
 * else made first is refused, and WHY (WHYLEN bytes) names its owner. */
gpg_error_t sockpath_prepare_dir(const char *path, char *why, size_t whylen);

#endif
