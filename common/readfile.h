/* readfile.h — read a small file named by config or by the user the one
 * careful way (STYLE 21): no symbolic link, a regular file, and a named
 * size limit checked before anything is allocated. */
#ifndef SIGNET_READFILE_H
#define SIGNET_READFILE_H

#include <stddef.h>
#include <gpg-error.h>

/* Read the regular file PATH (opened with O_NOFOLLOW) into a new buffer
 * *BUF (free() it), *LEN bytes plus a NUL after them, so that text can be
 * used as a string.  The file may hold at most MAXLEN bytes.  Blocks on the
 * read, nothing else.
 *
 * On error *BUF is NULL, *LEN is 0 and ERR (ERRLEN bytes; NULL with 0 is
 * fine) holds "PATH: reason":
 *   - the errno-based error of open, fstat or read: "PATH: <strerror>"
 *     (GPG_ERR_ENOENT for a missing file; a symbolic link gives
 *     GPG_ERR_ELOOP, "... (symbolic links are refused)"),
 *     "PATH: fstat: <strerror>", "PATH: read: <strerror>";
 *   - GPG_ERR_INV_VALUE "PATH: not a regular file";
 *   - GPG_ERR_TOO_LARGE "PATH: file too large (max MAXLEN bytes)";
 *   - GPG_ERR_INV_VALUE "PATH: file changed while being read" when read()
 *     returns more or fewer bytes than fstat() reported;
 *   - GPG_ERR_ENOMEM "PATH: out of memory";
 *   - GPG_ERR_INV_ARG for a NULL PATH, BUF or LEN (ERR then "").
 * Callers map these to their own contract (config_load: content errors are
 * GPG_ERR_INV_VALUE). */
gpg_error_t readfile_bounded(const char *path, size_t maxlen, char **buf, size_t *len,
                             char *err, size_t errlen);

#endif
