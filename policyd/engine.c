/* engine.c — see engine.h. */
#include "engine.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmdutil.h"
#include "hours.h"
#include "log.h"
#include "monotime.h"
#include "notify.h"
#include "park.h"
#include "policy.h"
#include "reconcile.h"
#include "reqjson.h"
#include "signet-err.h"
#include "totp.h"

struct sweeper {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
};

/* A SIGN that waits for approvals: its park, its request, when it began. */
struct waiter {
	struct park park;
	struct sign_req req;
	int64_t id;
	unsigned wait_sec;
	char fpr[PGPKEY_FPR_HEX];    /* the key it was asked for (the snapshot may go) */
};

void
engine_principal(const struct conn *c, char *out, size_t outlen)
{
	snprintf(out, outlen, "user:%s", c->user);
}


static gpg_err_code_t
check_hours(struct policyd *pd, struct sign_req *req, int64_t now)
{
	const struct hours *h = &req->p->conf->hours;
	char when[HOURS_MAX_WHEN], text[HOURS_MAX_TEXT], next[DENIAL_NEXT_MAX];
	time_t open = 0;

	if (h->nwindows == 0 || hours_allow_memo(&pd->hours_memo, h, (time_t)now, &open))
		return 0;
	if (open != 0) {
		hours_format_time(h, open, when, sizeof(when));
		snprintf(next, sizeof(next), "sign again once the next window opens: %s", when);
	} else {
		snprintf(next, sizeof(next), "ask an admin to check the hours of project %s", req->project);
	}
	hours_format(h, text, sizeof(text));
	return signreq_refuse(req, SIGNET_ERR_HOURS, "outside_hours", next, "project %s signs only %.300s; "
	              "it is outside them now", req->project, text);
}

static gpg_err_code_t
check_second_factor(struct conn *c, struct sign_req *req, int64_t now)
{
	gpg_err_code_t code;

	if (req->p->conf->second_factor != SECOND_FACTOR_TOTP)
		return 0;
	/* totp_verify says "not enrolled" before it asks for a code (no
	 * pinentry for nothing), then "code needed" when SIGN carried none. */
	code = totp_verify(c->pd, req->principal, req->project, req->otp[0] != '\0' ? req->otp : NULL, now,
	                   req->why, sizeof(req->why));
	explicit_bzero(req->otp, sizeof(req->otp));
	switch (code) {
	case 0:
		return 0;
	case SIGNET_ERR_OTP_NEEDED:
		req->code = "totp_needed";   /* not a refusal: signet-scd asks for the code */
		break;
	case SIGNET_ERR_OTP_WRONG:
		req->code = "totp_wrong";
		snprintf(req->next, sizeof(req->next), "type the current code of your authenticator; "
		         "each code works once, and %d wrong codes in a row lock you out",
		         STORE_TOTP_MAX_FAILURES);
		break;
	case SIGNET_ERR_OTP_LOCKED:
		req->code = "totp_locked";
		snprintf(req->next, sizeof(req->next), "ask an admin to run: signet totp reset %s", c->user);
		break;
	case SIGNET_ERR_OTP_NOT_ENROLLED:
		req->code = "totp_not_enrolled";
		snprintf(req->next, sizeof(req->next), "enrol with: signet totp enroll");
		break;
	default:
		req->code = "hsm";
		break;
	}
	return code;
}

/* A grant miss: wait for approvers when the project allows it, else the
 * refusal that says what was missing. */
static gpg_err_code_t
grant_missing(struct sign_req *req, enum store_miss miss, int *wait)
{
	const struct project_conf *pc = req->p->conf;
	char next[DENIAL_NEXT_MAX], approvers[DENIAL_NEXT_MAX / 2];

	if (pc->approval_wait > 0) {
		*wait = 1;
		return 0;
	}
	policy_format_principals(pc->approvers, pc->napprovers, approvers, sizeof(approvers));
	snprintf(next, sizeof(next), "ask for a grant: signet request --project %s --count N --reason TEXT; "
	         "%u of %.100s must approve it", req->project, pc->approvals, approvers);
	if (miss == STORE_GRANT_USED_UP)
		return signreq_refuse(req, SIGNET_ERR_GRANT_USED_UP, "grant_used_up", next, "your grant for project %s "
		              "is used up", req->project);
	if (miss == STORE_GRANT_EXPIRED)
		return signreq_refuse(req, SIGNET_ERR_GRANT_EXPIRED, "grant_expired", next, "your grant for project %s "
		              "has expired", req->project);
	return signreq_refuse(req, SIGNET_ERR_APPROVAL_REQUIRED, "approval_required", next, "project %s needs %u "
	              "approval(s) and you have no grant for it", req->project, pc->approvals);
}

gpg_err_code_t
engine_admit(struct conn *c, struct sign_req *req, int64_t request, int *wait)
{
	const struct project_conf *pc = req->p->conf;
	struct store_take t;
	struct store_taken got;
	struct timespec ts;
	char when[32], next[DENIAL_NEXT_MAX];
	int64_t now;
	gpg_error_t r;
	gpg_err_code_t code;

	*wait = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec;
	if ((code = check_hours(c->pd, req, now)) != 0)
		return code;
	if (request == 0 && (code = check_second_factor(c, req, now)) != 0)
		return code;
	if (pc->rate.count == 0 && pc->approvals == 0 && request == 0)
		return 0;
	memset(&t, 0, sizeof(t));
	t.project = req->project;
	t.requester = req->principal;
	t.rate_count = pc->rate.count;
	t.rate_period = pc->rate.period_sec;
	t.use_grant = pc->approvals > 0 && request == 0;
	t.request = request;
	t.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if ((r = store_take(c->pd->store, &t, &got)) != 0) {
		log_error_e(r, "state store (take for project %s)", req->project);
		return signreq_refuse(req, SIGNET_ERR_AUDIT, "store", "tell the signet admin", "policyd's state store "
		              "failed (%s); nothing was signed", gpg_strerror(r));
	}
	switch (got.miss) {
	case STORE_TAKEN:
		req->ev.grant = got.grant;
		req->ev.use = got.use;
		req->ev.rate_seq = got.rate_seq;
		return 0;
	case STORE_RATE_LIMITED:
		reqjson_time(got.retry_at_ms / 1000 + 1, when, sizeof(when));
		snprintf(next, sizeof(next), "wait: one more signature is allowed at %s (UTC)", when);
		return signreq_refuse(req, SIGNET_ERR_RATE, "rate_limited", next, "%s made %u signature(s) with project "
		              "%s in its rate window (rate = %u per %u s)", req->principal, got.in_window,
		              req->project, pc->rate.count, pc->rate.period_sec);
	default:
		if (request > 0)
			return signreq_refuse(req, SIGNET_ERR_APPROVAL_REQUIRED, "approval_required", NULL,
			              "request %lld can no longer be used", (long long)request);
		return grant_missing(req, got.miss, wait);
	}
}

void
engine_notify(struct policyd *pd, const struct signet_config *cfg, const char *event,
              const struct store_request *req)
{
	struct notify_event ev;

	if (pd->notify == NULL || cfg == NULL || cfg->notify == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.event = event;
	ev.request = req->id;
	ev.project = req->project;
	ev.requester = req->requester;
	ev.reason = req->reason;
	ev.approvals = (unsigned)req->napprovals;
	ev.needed = req->needed;
	notify_post(pd->notify, cfg->notify, &ev);
}

/* The name of process PID (its comm) into OUT; "" if unknown. */
static void
program_of(pid_t pid, char *out, size_t outlen)
{
	char path[64];
	ssize_t n;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, out, outlen - 1);
	close(fd);
	if (n <= 0) {
		out[0] = '\0';
		return;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

/* Audit an event of waiting request W for connection C. */
static void
audit_wait(struct conn *c, struct waiter *w, const char *event, const char *result, const char *reason)
{
	struct audit_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.event = event;
	ev.project = w->req.project;
	ev.key_fpr = w->fpr[0] != '\0' ? w->fpr : NULL;
	ev.hash = w->req.ev.hash;
	ev.digest = w->req.digest;
	ev.digest_len = w->req.digest_len;
	ev.request = w->id;
	ev.result = result;
	ev.reason = reason;
	(void)cmd_audit_request(c, &ev, NULL);
}

/* Audit and notify that REQ expired (store_expire's callback; OPAQUE is
 * the daemon). */
static void
sweep_one(void *opaque, const struct store_request *req)
{
	struct policyd *pd = opaque;
	struct audit_event ev;
	struct snapshot *snap;
	char reason[STORE_TEXT_MAX + 64];
	gpg_error_t r;

	snprintf(reason, sizeof(reason), "%s request of %s ended with %zu of %u approvals, %u of %u uses",
	         store_kind_name(req->kind), req->requester, req->napprovals, req->needed, req->used,
	         req->count);
	memset(&ev, 0, sizeof(ev));
	ev.event = "expire";
	ev.project = req->project;
	ev.request = req->id;
	ev.result = "expired";
	ev.reason = reason;
	if ((r = audit_append(pd->audit, &ev, NULL)) != 0)
		log_error_e(r, "audit append (expiry of request %lld)", (long long)req->id);
	snap = snapshot_get(&pd->snap);
	engine_notify(pd, snap->cfg, "expired", req);
	snapshot_put(snap);
	/* A waiting SIGN answers at its own deadline, the same moment on
	 * the monotonic clock. */
}

/* Audit that a waiting request of the previous run was cancelled. */
static void
cancel_one(void *opaque, const struct store_request *req)
{
	struct policyd *pd = opaque;
	struct audit_event ev;
	gpg_error_t r;

	memset(&ev, 0, sizeof(ev));
	ev.event = "cancel";
	ev.project = req->project;
	ev.request = req->id;
	ev.result = "cancelled";
	ev.reason = "signet-policyd restarted while the signature waited for approvals";
	if ((r = audit_append(pd->audit, &ev, NULL)) != 0)
		log_error_e(r, "audit append (cancel of request %lld)", (long long)req->id);
}

/* Requests final for longer than STORE_KEEP_FINAL leave the store (the
 * audit trail keeps them), so it does not grow without end. */
static void
purge(struct policyd *pd)
{
	size_t n = 0;
	gpg_error_t r;

	if ((r = store_purge(pd->store, (int64_t)time(NULL) - STORE_KEEP_FINAL, &n)) != 0)
		log_error_e(r, "state store (purge old requests)");
	else if (n > 0)
		log_info("state store: %zu request(s) final for more than %d days removed (the audit "
		         "trail keeps them)", n, STORE_KEEP_FINAL / 86400);
}

static void *
sweeper_main(void *arg)
{
	struct policyd *pd = arg;
	struct sweeper *sw = pd->sweeper;
	struct timespec until;
	time_t next_purge = 0;
	gpg_error_t r;

	pthread_mutex_lock(&sw->lock);
	while (!sw->stop) {
		pthread_mutex_unlock(&sw->lock);
		if ((r = store_expire(pd->store, (int64_t)time(NULL), sweep_one, pd)) != 0)
			log_error_e(r, "state store (expire requests)");
		if (monotime_sec() >= next_purge) {
			purge(pd);
			next_purge = monotime_sec() + ENGINE_PURGE_SEC;
		}
		pthread_mutex_lock(&sw->lock);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += ENGINE_SWEEP_SEC;
		while (!sw->stop && pthread_cond_timedwait(&sw->wake, &sw->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&sw->lock);
	return NULL;
}

gpg_error_t
engine_start(struct policyd *pd)
{
	struct sweeper *sw;
	struct snapshot *snap;
	pthread_condattr_t ca;
	size_t changed = 0;
	gpg_error_t r;

	if ((r = store_cancel_waiting(pd->store, (int64_t)time(NULL), cancel_one, pd)) != 0)
		return r;
	snap = snapshot_get(&pd->snap);
	r = reconcile_from_audit(pd->store, snap->cfg->audit, &changed);
	snapshot_put(snap);
	if (r != 0)
		return r;
	if (changed > 0)
		log_warn("state store: %zu grant use(s) or rate slot(s) named by the audit trail were "
		         "missing (policyd or the machine stopped before they were written) and are put back",
		         changed);
	/* Only now: a mark written before the reconcile could skip records
	 * not yet put back. */
	store_track_audit(pd->store, pd->audit);
	if ((sw = calloc(1, sizeof(*sw))) == NULL)
		return gpg_error_from_syserror();
	pthread_mutex_init(&sw->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sw->wake, &ca);
	pthread_condattr_destroy(&ca);
	pd->sweeper = sw;
	if (pthread_create(&sw->thread, NULL, sweeper_main, pd) != 0) {
		pd->sweeper = NULL;
		pthread_cond_destroy(&sw->wake);
		pthread_mutex_destroy(&sw->lock);
		free(sw);
		return gpg_error(GPG_ERR_GENERAL);
	}
	return 0;
}

void
engine_stop(struct policyd *pd)
{
	struct sweeper *sw = pd->sweeper;

	/* The takes so far on disk and marked: the next start reads less. */
	if (pd->store != NULL)
		(void)store_sync_now(pd->store);
	if (sw == NULL)
		return;
	pthread_mutex_lock(&sw->lock);
	sw->stop = 1;
	pthread_cond_signal(&sw->wake);
	pthread_mutex_unlock(&sw->lock);
	pthread_join(sw->thread, NULL);
	pthread_cond_destroy(&sw->wake);
	pthread_mutex_destroy(&sw->lock);
	free(sw);
	pd->sweeper = NULL;
}

/* REQ copied into W: its record's pointers must point into W. */
static void
waiter_take(struct waiter *w, const struct sign_req *req)
{
	w->req = *req;
	w->req.ev.project = w->req.project;
	w->req.ev.hash = w->req.algo != NULL ? w->req.algo->name : w->req.vis;
	w->req.ev.digest = w->req.digest;
	w->req.ev.reason = NULL;
	snprintf(w->fpr, sizeof(w->fpr), "%s", req->ev.key_fpr != NULL ? req->ev.key_fpr : "");
	w->req.ev.key_fpr = w->fpr[0] != '\0' ? w->fpr : NULL;
}

static void
waiter_release(struct park *p)
{
	struct waiter *w = (struct waiter *)((char *)p - offsetof(struct waiter, park));

	explicit_bzero(w, sizeof(*w));
	free(w);
}

/* The answer to a waiting request that did not get approved: its state
 * SR->state (or, when still pending, WHY) says why.  Sets W->req's refusal. */
static gpg_err_code_t
not_approved(struct conn *c, struct waiter *w, const struct store_request *sr, enum park_wake why)
{
	struct sign_req *req = &w->req;
	char next[DENIAL_NEXT_MAX];
	int64_t now = (int64_t)time(NULL);
	enum store_verdict v;

	snprintf(next, sizeof(next), "ask an approver to run `signet approve %lld` while you wait, or "
	         "ask for a grant first (signet request --project %s)", (long long)w->id, req->project);
	if (sr->state == STORE_DENIED)
		return signreq_refuse(req, SIGNET_ERR_APPROVAL_DENIED, "approval_denied", "talk to whoever denied it",
		              "%s denied request %lld: %s", sr->closed_by, (long long)w->id, sr->close_reason);
	if (sr->state == STORE_PENDING && why != PARK_TIMEOUT) {
		(void)store_request_cancel(c->pd->store, w->id, now, &v);
		engine_notify(c->pd, c->snap != NULL ? c->snap->cfg : NULL, "cancelled", sr);
		audit_wait(c, w, "cancel", "cancelled", "signet-policyd stopped while the request waited");
		return signreq_refuse(req, SIGNET_ERR_APPROVAL_TIMEOUT, "approval_timeout", "sign again",
		              "signet-policyd stopped while request %lld waited for approvals", (long long)w->id);
	}
	if (sr->state == STORE_PENDING) {
		/* The deadline is monotonic, EXPIRES wall-clock: whichever comes
		 * first ends the wait.  The sweeper's expiry audits it (once,
		 * whoever gets there first). */
		(void)store_expire(c->pd->store, now + 1, sweep_one, c->pd);
		if (store_request_cancel(c->pd->store, w->id, now, &v) == 0 && v == STORE_V_OK)
			audit_wait(c, w, "cancel", "cancelled", "its wait ended before its expiry time");
	}
	if (sr->state == STORE_CANCELLED)
		return signreq_refuse(req, SIGNET_ERR_APPROVAL_TIMEOUT, "approval_timeout", "sign again",
		              "request %lld was cancelled", (long long)w->id);
	return signreq_refuse(req, SIGNET_ERR_APPROVAL_TIMEOUT, "approval_timeout", next, "request %lld got %zu of "
	              "%u approvals within approval_wait (%u s)", (long long)w->id, sr->napprovals,
	              sr->needed, w->wait_sec);
}

/* Park's resume: answer the waiting SIGN. */
static gpg_error_t
waiter_resume(struct conn *c, struct park *p, enum park_wake why)
{
	struct waiter *w = (struct waiter *)((char *)p - offsetof(struct waiter, park));
	struct store_request sr;
	uint8_t sig[HSM_MAX_SIG];
	size_t siglen = 0;
	enum store_verdict v;
	gpg_err_code_t code;
	gpg_error_t r;
	int wait = 0;

	if (store_request_get(c->pd->store, w->id, &sr) != 0) {
		log_error("waiting request %lld vanished from the state store", (long long)w->id);
		memset(&sr, 0, sizeof(sr));
		sr.state = STORE_CANCELLED;
	}
	if (why == PARK_HANGUP) {
		if (store_request_cancel(c->pd->store, w->id, (int64_t)time(NULL), &v) == 0 && v == STORE_V_OK) {
			engine_notify(c->pd, c->snap != NULL ? c->snap->cfg : NULL, "cancelled", &sr);
			audit_wait(c, w, "cancel", "cancelled", "the signing program went away while it waited");
		}
		return 0;
	}
	w->req.ev.request = w->id;
	if (sr.state != STORE_APPROVED)
		code = not_approved(c, w, &sr, why);
	else if ((code = signreq_check(c, &w->req)) == 0 &&
	         (code = engine_admit(c, &w->req, w->id, &wait)) == 0)
		code = signreq_sign(c, &w->req, sig, sizeof(sig), &siglen);
	r = signreq_finish(c->ctx, c, &w->req, code, sig, siglen);
	explicit_bzero(sig, sizeof(sig));
	return r;
}

gpg_error_t
engine_wait(assuan_context_t ctx, struct conn *c, struct sign_req *req)
{
	const struct project_conf *pc = req->p->conf;
	struct store_request sr;
	struct waiter *w;
	char approvers[DENIAL_NEXT_MAX / 2], line[DENIAL_NEXT_MAX], reason[STORE_TEXT_MAX];
	int64_t now = (int64_t)time(NULL);
	gpg_error_t r;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return cmd_fail(ctx, GPG_ERR_ENOMEM, "out of memory");
	waiter_take(w, req);
	w->wait_sec = pc->approval_wait;
	memset(&sr, 0, sizeof(sr));
	sr.kind = STORE_KIND_SIGN;
	snprintf(sr.project, sizeof(sr.project), "%s", req->project);
	snprintf(sr.requester, sizeof(sr.requester), "%s", req->principal);
	program_of(c->pid, sr.program, sizeof(sr.program));
	snprintf(reason, sizeof(reason), "one %s signature (pid %ld, %s)", w->req.ev.hash, (long)c->pid,
	         sr.program[0] != '\0' ? sr.program : "?");
	snprintf(sr.reason, sizeof(sr.reason), "%s", reason);
	sr.count = 1;
	sr.needed = pc->approvals;
	/* Whole seconds on both clocks: one more, so that the wait is never
	 * shorter than approval_wait (at most a second longer). */
	sr.expires = now + pc->approval_wait + 1;
	snprintf(sr.hash, sizeof(sr.hash), "%s", w->req.ev.hash);
	memcpy(sr.digest, req->digest, req->digest_len);
	sr.digest_len = req->digest_len;
	sr.pid = c->pid;
	if ((r = store_request_open(c->pd->store, &sr, now)) != 0) {
		waiter_release(&w->park);
		if (gpg_err_code(r) == GPG_ERR_LIMIT_REACHED)
			return cmd_fail(ctx, GPG_ERR_LIMIT_REACHED, "you have %d requests waiting already; "
			                "cancel some (signet cancel ID)", STORE_MAX_OPEN_PER_REQUESTER);
		log_error_e(r, "state store (open a waiting request)");
		return cmd_fail(ctx, SIGNET_ERR_AUDIT, "policyd's state store failed (%s); nothing was "
		                "signed — tell the signet admin", gpg_strerror(r));
	}
	w->id = sr.id;
	policy_format_principals(pc->approvers, pc->napprovers, approvers, sizeof(approvers));
	snprintf(line, sizeof(line), "waiting for %u approval(s) from %s", pc->approvals, approvers);
	audit_wait(c, w, "request", "pending", line);
	engine_notify(c->pd, c->snap->cfg, "opened", &sr);
	snprintf(line, sizeof(line), "%lld %u %s", (long long)sr.id, pc->approvals, approvers);
	(void)assuan_write_status(ctx, "REQUEST", line);
	log_info("uid %u (%s): request %lld waits for %u approval(s) on project %s", (unsigned)c->uid,
	         c->user, (long long)sr.id, pc->approvals, req->project);
	w->park.key = sr.id;
	w->park.deadline = monotime_sec() + (time_t)pc->approval_wait + 1;
	w->park.resume = waiter_resume;
	w->park.release = waiter_release;
	r = conn_park(c, &w->park);
	/* An approver quick enough to act between the request's opening and
	 * conn_park() woke nobody: look once more now that a wake finds us. */
	if (r == 0 && store_request_get(c->pd->store, sr.id, &sr) == 0 && sr.state != STORE_PENDING)
		server_wake(c->pd->server, sr.id);
	return r;
}
