/* policy.h — who may do what: pure decisions over the loaded configuration.
 *
 * No I/O beyond user and group look-ups (common/platform.h), no locks, no
 * state: every function answers from its arguments, so the rules are unit
 * tested in tests/unit/test_policy.c. */
#ifndef SIGNET_POLICYD_POLICY_H
#define SIGNET_POLICYD_POLICY_H

#include <stddef.h>
#include <sys/types.h>
#include <gpg-error.h>

#include "config.h"
#include "hashalgo.h"

#define POLICY_MAX_REASON 256

/* 1 if the user UID (primary group GID) matches one of the N principals P
 * (user:NAME by uid, group:NAME by membership). */
int policy_match_principals(const struct principal *p, size_t n, uid_t uid, gid_t gid);

/* The first of the N principals P that UID/GID matches, or NULL. */
const struct principal *policy_find_principal(const struct principal *p, size_t n, uid_t uid, gid_t gid);

/* 1 if UID/GID is listed in PROJECT's signers. */
int policy_may_sign(const struct project_conf *project, uid_t uid, gid_t gid);

/* 0 if ALGO may be used for PROJECT, else SIGNET_ERR_HASH_REFUSED with a
 * reason in WHY (WHYLEN bytes).  sha1 and md5 are refused whatever the
 * project's mask says. */
gpg_error_t policy_check_hash(const struct project_conf *project, const struct hashalgo *algo,
                              char *why, size_t whylen);

/* 1 if the caller may run admin commands: root, the daemon's own user
 * SELF_UID, or a principal of CFG's [policyd] admins. */
int policy_is_admin(const struct signet_config *cfg, uid_t uid, gid_t gid, uid_t self_uid);

/* "user:alice group:release" for N principals P into OUT (truncated with
 * "…" when OUTLEN is too small; "nobody" when N is 0). */
void policy_format_principals(const struct principal *p, size_t n, char *out, size_t outlen);

/* The allowed hash names of PROJECT ("sha256 sha384 sha512") into OUT. */
void policy_format_hashes(const struct project_conf *project, char *out, size_t outlen);

#endif
