/* pinfile.h — the one reader of a PIN file (STYLE §11, §21): the PIN never
 * travels in argv or the environment, only in a file that nobody else can
 * read.  signet-policyd (user and SO PIN) and signet-tsa (user PIN) read
 * theirs here, so both refuse the same files with the same words. */
#ifndef SIGNET_PINFILE_H
#define SIGNET_PINFILE_H

#include <stddef.h>
#include <gpg-error.h>

#define PINFILE_MAX_PIN  255   /* bytes of PIN (PKCS#11 has no limit; SoftHSM2 takes 255) */
/* A buffer that holds any PIN pinfile_read() accepts: the PIN, a "\r\n"
 * line end (read, then dropped) and the NUL. */
#define PINFILE_BUF      (PINFILE_MAX_PIN + 3)

/* Read the PIN file PATH into PIN (PINMAX bytes, NUL-terminated).
 *
 * The file must be a regular file (a symbolic link is refused: it is
 * opened with O_NOFOLLOW), owned by the effective user, with no group or
 * other permission bits, and hold the PIN on one line: 1 to
 * PINFILE_MAX_PIN bytes, no NUL, optionally followed by one "\n" or
 * "\r\n", which is dropped.  A PINMAX below PINFILE_BUF only lowers the
 * limit.  Blocks on the read, nothing else.
 *
 * On error PIN is wiped (explicit_bzero, all PINMAX bytes) and ERR
 * (ERRLEN bytes) holds "PIN file PATH: what is wrong (what to do)", never
 * the PIN:
 *   - errno-based errors of open/fstat/read (GPG_ERR_ENOENT for a missing
 *     file, GPG_ERR_ELOOP for a symbolic link);
 *   - GPG_ERR_EPERM: not a regular file, group/other bits set, another
 *     owner;
 *   - GPG_ERR_INV_VALUE: empty, too long, more than one line or a NUL;
 *   - GPG_ERR_INV_ARG: PINMAX below 2. */
gpg_error_t pinfile_read(const char *path, char *pin, size_t pinmax, char *err, size_t errlen);

#endif
