/* atomicfile.h — state files written the durable way (STYLE §21): write a
 * temporary file beside the target, fsync it, rename it over the target,
 * fsync the folder.  A reader sees the old or the new content, never half. */
#ifndef SIGNET_ATOMICFILE_H
#define SIGNET_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>
#include <gpg-error.h>

/* Replace (or create) PATH with DATA/LEN, file mode MODE. */
gpg_error_t atomicfile_write(const char *path, const void *data, size_t len, mode_t mode);

/* atomicfile_write for state whose loss on a crash would be wrong (a
 * serial-number high-water mark): the folder's fsync must succeed too,
 * else the error (the new content is visible, but may not survive a
 * crash). */
gpg_error_t atomicfile_write_durable(const char *path, const void *data, size_t len, mode_t mode);

/* Read the regular file PATH (no symlink) into a new NUL-terminated *DATA
 * (free()), *LEN bytes: readfile_bounded() (common/readfile.h).
 * GPG_ERR_TOO_LARGE past MAX bytes, GPG_ERR_INV_VALUE for a file that is not
 * regular or changed while read; the errno-based error otherwise
 * (GPG_ERR_ENOENT if missing). */
gpg_error_t atomicfile_read(const char *path, size_t max, char **data, size_t *len);

/* Create PATH exclusively with MODE and write DATA/LEN, then fsync.
 * GPG_ERR_EEXIST if it is there already. */
gpg_error_t atomicfile_create(const char *path, const void *data, size_t len, mode_t mode);

/* Open the folder holding PATH (read only, a directory or an error), its
 * name into DIR unless DIR is NULL; *FD -1 on error. */
gpg_error_t atomicfile_open_parent(const char *path, char *dir, size_t dirlen, int *fd);
/* fsync the folder holding PATH, so that a name made or renamed in it
 * survives a crash. */
gpg_error_t atomicfile_sync_parent(const char *path);

#endif
