/* engine.h — the project's policy between "this user may sign with this
 * key" (signreq.h) and the HSM: signing hours, the second factor, the rate
 * limit and approvals (grants, or a SIGN that waits for approvers), with
 * their state in the store (store.h) and their events in the audit trail
 * and the notify program.
 *
 * Order of the checks, each refusal with its own reason code: hours
 * (outside_hours), second factor (totp_wrong, totp_locked,
 * totp_not_enrolled), then in one store transaction the rate window
 * (rate_limited) and, on a project with approvals, one use of a grant
 * (grant_used_up, grant_expired, approval_required) — or, when the project
 * lets SIGN wait, a request that holds the connection until its approvers
 * act (approval_denied, approval_timeout). */
#ifndef SIGNET_POLICYD_ENGINE_H
#define SIGNET_POLICYD_ENGINE_H

#include <stdint.h>
#include <assuan.h>
#include <gpg-error.h>

#include "policyd.h"
#include "signreq.h"
#include "store.h"

/* May the checked REQ of C be signed now?  0: yes (REQ->ev.grant names
 * the grant used, if any), or *WAIT = 1: it must wait for approvals
 * (engine_wait); else the refusal's error code with REQ->code, why and
 * next set.  REQUEST > 0: REQ is the waiting request REQUEST, now
 * approved (its second factor was checked when it began). */
gpg_err_code_t engine_admit(struct conn *c, struct sign_req *req, int64_t request, int *wait);

/* Open a waiting request for REQ, tell the client (S REQUEST <id>
 * <needed> <approvers>) and park the connection until approvers act; the
 * answer comes later.  Returns what the SIGN handler returns. */
gpg_error_t engine_wait(assuan_context_t ctx, struct conn *c, struct sign_req *req);

/* Tell the [policyd] notify program of CFG (none: nothing) about EVENT
 * ("opened", "approval", "approved", "denied", "expired", "cancelled") of
 * REQ.  Never waits. */
void engine_notify(struct policyd *pd, const struct signet_config *cfg, const char *event,
                   const struct store_request *req);

/* The "user:NAME" principal of C into OUT. */
void engine_principal(const struct conn *c, char *out, size_t outlen);

/* Start and stop the thread that expires requests and grants (audited and
 * notified) every ENGINE_SWEEP_SEC and purges old final ones hourly;
 * start also cancels the waiting requests a previous run left behind. */
#define ENGINE_SWEEP_SEC 2
#define ENGINE_PURGE_SEC 3600   /* final requests past STORE_KEEP_FINAL go this often */
gpg_error_t engine_start(struct policyd *pd);
void engine_stop(struct policyd *pd);

#endif
