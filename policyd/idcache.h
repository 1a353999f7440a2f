/* idcache.h — the user database as policy decisions read it, remembered.
 *
 * Each request resolves its requester (name and groups) and the user and
 * group names of the project's principals.  Through NSS that was about 40
 * system calls per signature (/etc/passwd opened three times, /etc/group
 * once, nsswitch.conf checked five times): 11 % of signet-policyd's CPU
 * per P-256 signature under load.
 *
 * The cache answers from memory while both hold:
 *   - /etc/passwd and /etc/group are the files they were when it was
 *     emptied last (inode, size, mtime and ctime; one stat each at the
 *     start of every request, idcache_check()), so `gpasswd -d`, `usermod`
 *     or `userdel` takes effect at the next request, as it did without a
 *     cache (requester.h says why that matters);
 *   - it was emptied less than the TTL ago, for NSS sources other than
 *     files (LDAP, sssd), whose changes no stat can see: these take effect
 *     within the TTL.
 * Answers that a name does not exist are remembered as well.  Lookups run
 * outside the lock (NSS reads files or the network); an answer looked up
 * across an emptying is used once and not kept.  At most IDCACHE_MAX
 * entries of each kind: a full table is emptied, never grown. */
#ifndef SIGNET_POLICYD_IDCACHE_H
#define SIGNET_POLICYD_IDCACHE_H

#include <stddef.h>
#include <sys/types.h>
#include <gpg-error.h>

#define IDCACHE_TTL_MS   1000
#define IDCACHE_MAX      256
#define IDCACHE_NAME_MAX 64     /* as REQUESTER_USER_MAX */

struct idcache;

/* A cache that watches PASSWD_PATH and GROUP_PATH (NULL: /etc/passwd,
 * /etc/group) and keeps answers up to TTL_MS (0: none, every request
 * looks up afresh). */
gpg_error_t idcache_new(const char *passwd_path, const char *group_path, unsigned ttl_ms,
                        struct idcache **out);
void idcache_free(struct idcache *ic);

/* At the start of a request: empty the cache when a watched file changed
 * or the TTL has passed.  IC may be NULL. */
void idcache_check(struct idcache *ic);

/* UID's name ("#<uid>" without one) into NAME and its groups into a
 * malloc'd *GROUPS (caller frees) as platform_user_name() and
 * platform_user_groups() give them; the latter's error code is returned
 * (GPG_ERR_NOT_FOUND: no passwd entry).  IC may be NULL: no cache. */
gpg_error_t idcache_user(struct idcache *ic, uid_t uid, char *name, size_t namelen,
                         gid_t **groups, size_t *ngroups);

/* platform_user_uid() and platform_group_gid(), remembered: 0, or -1 when
 * there is no such user or group.  IC may be NULL. */
int idcache_uid(struct idcache *ic, const char *name, uid_t *uid);
int idcache_gid(struct idcache *ic, const char *name, gid_t *gid);

/* Answers from memory and lookups since idcache_new(), for tests. */
void idcache_counts(struct idcache *ic, unsigned long *hits, unsigned long *misses);

#endif
