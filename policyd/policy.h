/* policy.h — who may do what: pure decisions over the loaded configuration.
 *
 * Decisions see a requester (requester.h), never a socket or a peer's
 * credentials.  No I/O beyond name look-ups (user:NAME to a uid, group:NAME
 * to a gid; common/platform.h), no locks, no state: every function answers
 * from its arguments, so the rules are unit tested in
 * tests/unit/test_policy.c. */
#ifndef SIGNET_POLICYD_POLICY_H
#define SIGNET_POLICYD_POLICY_H

#include <stddef.h>
#include <sys/types.h>
#include <gpg-error.h>

#include "config.h"
#include "hashalgo.h"
#include "requester.h"

#define POLICY_MAX_REASON 256

/* 1 if RQ matches one of the N principals P (user:NAME by uid, group:NAME
 * by RQ's groups from the user database). */
int policy_match_principals(const struct principal *p, size_t n, const struct requester *rq);

/* The first of the N principals P that RQ matches, or NULL. */
const struct principal *policy_find_principal(const struct principal *p, size_t n,
                                              const struct requester *rq);

/* 1 if RQ is listed in PROJECT's signers. */
int policy_may_sign(const struct project_conf *project, const struct requester *rq);

/* 0 if ALGO may be used for PROJECT, else SIGNET_ERR_HASH_REFUSED with a
 * reason in WHY (WHYLEN bytes).  sha1 and md5 are refused whatever the
 * project's mask says. */
gpg_error_t policy_check_hash(const struct project_conf *project, const struct hashalgo *algo,
                              char *why, size_t whylen);

/* 1 if RQ may run admin commands: root, the daemon's own user SELF_UID, or
 * a principal of CFG's [policyd] admins. */
int policy_is_admin(const struct signet_config *cfg, const struct requester *rq, uid_t self_uid);

/* "user:alice group:release" for N principals P into OUT (truncated with
 * "…" when OUTLEN is too small; "nobody" when N is 0). */
void policy_format_principals(const struct principal *p, size_t n, char *out, size_t outlen);

/* The allowed hash names of PROJECT ("sha256 sha384 sha512") into OUT. */
void policy_format_hashes(const struct project_conf *project, char *out, size_t outlen);

#endif
