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
/* gid of group NAME into *GID: 0, or -1 if there is no such group. */
int platform_group_gid(const char *name, gid_t *gid);
/* The groups of user UID in the user database: getgrouplist() on UID's
 * passwd name and passwd primary group, never a process's own gids (a
 * setgid program or an old `sg` session must not count).  *GROUPS is
 * malloc'd (caller frees), *NGROUPS its length.  GPG_ERR_NOT_FOUND if UID
 * has no passwd entry, GPG_ERR_TOO_LARGE past 65536 groups, GPG_ERR_ENOMEM;
 * on error *GROUPS is NULL and *NGROUPS 0. */
gpg_error_t platform_user_groups(uid_t uid, gid_t **groups, size_t *ngroups);
/* uid of user NAME, or -1 */
int platform_user_uid(const char *name, uid_t *uid);
/* 1 if the kernel reports the system clock synchronised (adjtimex, read
 * only: no STA_UNSYNC, not TIME_ERROR) with a maximum error of at most
 * MAX_ERROR_MS; else 0 with the reason in WHY (WHYLEN bytes), for a log
 * line or a warning.  Does not block; cheap enough for every request. */
int platform_clock_synced(unsigned max_error_ms, char *why, size_t whylen);
/* Make room for NEED open files: raise RLIMIT_NOFILE's soft limit (and
 * the hard one, which needs CAP_SYS_RESOURCE) to at least NEED.  0, or
 * GPG_ERR_TOO_LARGE with ERR naming the limits and what to change. */
gpg_error_t platform_raise_nofile(unsigned long need, char *err, size_t errlen);

#endif
