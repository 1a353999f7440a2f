/* conflock.h — one program at a time edits a configuration file.
 *
 * signet-policyd (PROJECT SET, PROJECT CREATE …) and the signet command
 * line (`signet tsa init` adding tsa_url) both read signet.conf, edit it in
 * memory and replace it (atomicfile_write).  Two such edits at once would
 * lose one: each replaces the file with its own edit of the text it read.
 * Each edit holds this lock from its read to its replace.
 *
 * The lock is flock(2) on the folder that holds the file, not on the file:
 * the replace puts a new file (a new inode) at the path, and a lock on
 * the old one would let a second editor in beside a third.  Taking it
 * creates nothing.  A holder that never lets go (a stopped process) costs
 * the others a refusal after WAIT_MS, never a hang. */
#ifndef SIGNET_CONFLOCK_H
#define SIGNET_CONFLOCK_H

#include <gpg-error.h>

#define CONFLOCK_WAIT_MS 5000   /* how long an editor waits for another */

/* Lock the folder of PATH for an edit; *FD is what conflock_release
 * takes.  GPG_ERR_LOCKED after WAIT_MS (ERR: another program is editing
 * it), or the error of opening the folder. */
gpg_error_t conflock_take(const char *path, unsigned wait_ms, int *fd, char *err, size_t errlen);
/* Let go (FD -1 is fine). */
void conflock_release(int fd);

#endif
