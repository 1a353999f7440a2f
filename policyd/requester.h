/* requester.h — who is asking, as policy decisions see it.
 *
 * DESIGN "policyd's shape": decisions never see a socket or a peer's
 * credentials, only a requester.  Today a requester is a local user (the
 * uid from SO_PEERCRED) with the name and groups the user database gives
 * it; a remote adapter will build another kind.  Group membership is
 * resolved from the user database when the requester is made (once per
 * request, through policyd's idcache, which sees a change of /etc/group at
 * once), never from the peer's gid: a setgid copy of a program or an `sg`
 * session opened before `gpasswd -d` must not keep a removed member in a
 * group. */
#ifndef SIGNET_POLICYD_REQUESTER_H
#define SIGNET_POLICYD_REQUESTER_H

#include <stddef.h>
#include <sys/types.h>

struct idcache;

#define REQUESTER_USER_MAX 64

struct requester {
	uid_t uid;
	char user[REQUESTER_USER_MAX];  /* passwd name, "#<uid>" without one */
	gid_t *groups;                  /* the user's groups in the user database */
	size_t ngroups;
	struct idcache *ids;            /* principals' names are resolved through it (NULL: none) */
};

/* Make RQ for local user UID: its name and its groups from the user
 * database as IDS has it after idcache_check() (NULL: looked up now).  Never fails: when the groups cannot be read
 * (no passwd entry, too many, out of memory) RQ has none, so no group
 * principal matches (fail closed), and a warning is logged.  Blocks on
 * NSS.  Release with requester_release(). */
void requester_init(struct requester *rq, struct idcache *ids, uid_t uid);

/* Free what requester_init() allocated; RQ may be NULL. */
void requester_release(struct requester *rq);

/* 1 if RQ is a member of group GID according to the user database. */
int requester_in_group(const struct requester *rq, gid_t gid);

#endif
