/* platform.h — the Linux specifics, behind one interface. */
#ifndef SIGNET_PLATFORM_H
#define SIGNET_PLATFORM_H

#include <sys/types.h>
#include <stddef.h>
#include <gpg-error.h>

/* Peer credentials of a connected Unix socket (SO_PEERCRED). */
gpg_error_t platform_peercred(int fd, uid_t *uid, gid_t *gid, pid_t *pid);
/* No core dumps, not ptrace-able: for processes that hold secrets. */
void platform_harden(void);
/* User name of UID into OUT ("#<uid>" if it has none). */
void platform_user_name(uid_t uid, char *out, size_t outlen);
/* 1 if user UID (primary group GID) is a member of group NAME. */
int platform_user_in_group(uid_t uid, gid_t gid, const char *group);
/* uid of user NAME, or -1 */
int platform_user_uid(const char *name, uid_t *uid);

#endif
