/* cmd_approval.c — requests, approvals and grants (doc/policyd-protocol.md):
 * REQUEST, PENDING, SHOW, APPROVE, DENY, CANCEL, GRANTS, REQUESTS.
 *
 * Who may do what: a request is opened by a signer of its project for
 * themselves; it is approved or denied by the project's approvers, never
 * by its requester (the store refuses that too); it is seen by its
 * requester, the project's approvers and admins.  Every change is audited
 * and told to the notify program; an approval that completes a waiting
 * SIGN wakes it (park.h). */
#include "cmdutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "log.h"
#include "percent.h"
#include "park.h"
#include "policy.h"
#include "reqjson.h"
#include "signet-err.h"
#include "store.h"

#define REQUEST_DEFAULT_TTL 86400
/* Requests one list answer holds (newest first): about 700 bytes each, so
 * an answer stays well inside the connection's output queue
 * (POLICYD_MAX_OUTPUT).  "S MORE" says when some were left out. */
#define LIST_MAX 200
#define BAD_ESCAPE "the %s holds a '%%' that is not %%XX of a byte other than NUL (escape '%%' as %%25)"

/* Split the first N words of LINE into WORDS (options "--x=y" included)
 * and return the rest, percent-unescaped in place (percent.h; "" if
 * none).  NULL if LINE has fewer words, or *BAD set (and NULL) when the
 * rest holds a '%' that is not an escape of a byte other than NUL. */
static char *
split_rest(char *line, char **words, size_t n, int *bad)
{
	char *p = line, *out;
	size_t i;

	*bad = 0;
	for (i = 0; i < n; i++) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return NULL;
		words[i] = p;
		p += strcspn(p, " ");
		if (*p != '\0')
			*p++ = '\0';
	}
	while (*p == ' ')
		p++;
	if (percent_decode(p) != 0) {
		*bad = 1;
		return NULL;
	}
	for (out = p + strlen(p); out > p && out[-1] == ' ';)
		*--out = '\0';
	return p;
}

/* 0 if TEXT is fit to keep and show (WHAT names it): printable UTF-8
 * shorter than STORE_TEXT_MAX, non-empty when REQUIRED. */
static gpg_error_t
check_text(assuan_context_t ctx, const char *text, const char *what, int required)
{
	const unsigned char *p;
	json_t *s;

	if (required && text[0] == '\0')
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "a %s is required", what);
	if (strlen(text) >= STORE_TEXT_MAX)
		return cmd_fail(ctx, GPG_ERR_TOO_LARGE, "the %s is longer than %d bytes", what,
		                STORE_TEXT_MAX - 1);
	/* Approvers read it on their terminals: no C0, DEL, nor C1 (U+0080 …
	 * U+009F, UTF-8 C2 80 … C2 9F; U+009B starts an escape sequence on
	 * many terminals). */
	for (p = (const unsigned char *)text; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "the %s holds a control character "
			                "(type it without)", what);
	if ((s = json_string(text)) == NULL)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "the %s is not UTF-8", what);
	json_decref(s);
	return 0;
}

/* A request id: 1 … INT64_MAX in decimal. */
static gpg_error_t
parse_id(assuan_context_t ctx, const char *s, int64_t *id)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || *end != '\0' || errno != 0 || v <= 0)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "\"%.20s\" is not a request id (a number; "
		                "signet pending lists them)", s);
	*id = v;
	return 0;
}

/* The project's approvers as text, or "nobody". */
static void
approvers_of(const struct conn *c, const char *project, char *out, size_t outlen)
{
	const struct project *p = project_table_find(c->snap->projects, project);

	if (p == NULL)
		snprintf(out, outlen, "nobody (project %s is gone)", project);
	else
		policy_format_principals(p->conf->approvers, p->conf->napprovers, out, outlen);
}

/* 1 if C's user is one of PROJECT's approvers now. */
static int
is_approver(const struct conn *c, const char *project)
{
	const struct project *p = project_table_find(c->snap->projects, project);
	struct requester rq;
	int yes;

	if (p == NULL)
		return 0;
	requester_init(&rq, c->pd->ids, c->uid);
	yes = policy_match_principals(p->conf->approvers, p->conf->napprovers, &rq);
	requester_release(&rq);
	return yes;
}

static int
is_admin(const struct conn *c)
{
	struct requester rq;
	int yes;

	requester_init(&rq, c->pd->ids, c->uid);
	yes = policy_is_admin(c->snap->cfg, &rq, c->pd->self_uid);
	requester_release(&rq);
	return yes;
}

/* Audit an approval event of REQ by C. */
static gpg_error_t
audit_event(struct conn *c, const char *event, const struct store_request *req, const char *result,
            const char *reason)
{
	struct audit_event ev;
	char by[STORE_PRINCIPAL_MAX];

	engine_principal(c, by, sizeof(by));
	memset(&ev, 0, sizeof(ev));
	ev.event = event;
	ev.project = req->project;
	ev.request = req->id;
	ev.by = by;
	ev.result = result;
	ev.reason = reason;
	return cmd_audit_request(c, &ev, NULL);
}

/* Send REQ as the answer's object. */
static gpg_error_t
send_request(assuan_context_t ctx, const struct store_request *req)
{
	struct conn *c = assuan_get_pointer(ctx);
	char approvers[512];

	approvers_of(c, req->project, approvers, sizeof(approvers));
	return reqjson_send(ctx, reqjson_request(req, approvers));
}

static gpg_error_t
store_failed(assuan_context_t ctx, gpg_error_t r, const char *what)
{
	log_error_e(r, "state store (%s)", what);
	return cmd_fail(ctx, SIGNET_ERR_AUDIT, "policyd's state store failed (%s); tell the signet admin",
	                gpg_strerror(r));
}

/* REQUEST's options: at most --count=N and --ttl=SECONDS, before the project. */
static gpg_error_t
request_opts(assuan_context_t ctx, char **line, unsigned *count, unsigned *ttl)
{
	char *w, *end;
	unsigned long v;

	for (;;) {
		while (**line == ' ')
			(*line)++;
		if (strncmp(*line, "--", 2) != 0)
			return 0;
		w = *line;
		*line += strcspn(*line, " ");
		if (**line != '\0')
			*(*line)++ = '\0';
		if (strncmp(w, "--count=", 8) == 0) {
			errno = 0;
			v = strtoul(w + 8, &end, 10);
			if (!isdigit((unsigned char)w[8]) || *end != '\0' || errno != 0 || v < 1 ||
			    v > STORE_MAX_COUNT)
				return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "--count wants 1 … %d", STORE_MAX_COUNT);
			*count = (unsigned)v;
		} else if (strncmp(w, "--ttl=", 6) == 0) {
			errno = 0;
			v = strtoul(w + 6, &end, 10);
			if (!isdigit((unsigned char)w[6]) || *end != '\0' || errno != 0 || v < 1 ||
			    v > STORE_MAX_TTL)
				return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "--ttl wants 1 … %d seconds",
				                STORE_MAX_TTL);
			*ttl = (unsigned)v;
		} else {
			return cmd_fail(ctx, GPG_ERR_UNKNOWN_OPTION, "unknown option; usage: REQUEST "
			                "[--count=N] [--ttl=SECONDS] <project> <reason>");
		}
	}
}

static const char hlp_request[] =
	"REQUEST [--count=N] [--ttl=SECONDS] <project> <reason>\n"
	"\n"
	"Ask the project's approvers for a grant: up to N signatures (default\n"
	"1) by you on the project until the TTL (default 1 day) ends, once the\n"
	"project's number of approvers approved.  The reason is the rest of\n"
	"the line (percent-escaped).  You must be a signer of the project.\n"
	"Answer: D <request object>.";
static gpg_error_t
cmd_request(assuan_context_t ctx, char *line)
{
	struct conn *c = assuan_get_pointer(ctx);
	const struct project *p;
	struct store_request req;
	struct requester rq;
	unsigned count = 1, ttl = REQUEST_DEFAULT_TTL;
	char *words[1], *reason;
	int64_t now = (int64_t)time(NULL);
	int signer, bad;
	gpg_error_t r;

	if ((r = request_opts(ctx, &line, &count, &ttl)) != 0)
		return r;
	if ((reason = split_rest(line, words, 1, &bad)) == NULL)
		return bad ? cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, BAD_ESCAPE, "reason")
		           : cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "usage: REQUEST [--count=N] [--ttl=SECONDS] "
		                      "<project> <reason>");
	if ((r = check_text(ctx, reason, "reason", 1)) != 0)
		return r;
	if ((p = cmd_lookup_project(ctx, words[0], &r)) == NULL)
		return r;
	requester_init(&rq, c->pd->ids, c->uid);
	signer = policy_match_principals(p->conf->signers, p->conf->nsigners, &rq);
	requester_release(&rq);
	if (!signer)
		return cmd_fail(ctx, SIGNET_ERR_DENIED, "user %s is not a signer of project %s: only its "
		                "signers may ask for a grant", c->user, p->conf->name);
	if (p->conf->approvals == 0)
		return cmd_fail(ctx, GPG_ERR_INV_STATE, "project %s needs no approvals: its signers sign "
		                "without a grant", p->conf->name);
	memset(&req, 0, sizeof(req));
	req.kind = STORE_KIND_GRANT;
	snprintf(req.project, sizeof(req.project), "%s", p->conf->name);
	engine_principal(c, req.requester, sizeof(req.requester));
	snprintf(req.reason, sizeof(req.reason), "%s", reason);
	req.count = count;
	req.needed = p->conf->approvals;
	req.expires = now + ttl;
	if ((r = store_request_open(c->pd->store, &req, now)) != 0) {
		if (gpg_err_code(r) == GPG_ERR_LIMIT_REACHED)
			return cmd_fail(ctx, GPG_ERR_LIMIT_REACHED, "you have %d open requests already; "
			                "cancel some (signet cancel ID)", STORE_MAX_OPEN_PER_REQUESTER);
		return store_failed(ctx, r, "open a request");
	}
	if ((r = audit_event(c, "request", &req, "pending", req.reason)) != 0) {
		enum store_verdict v;

		(void)store_request_cancel(c->pd->store, req.id, now, &v);
		return cmd_fail(ctx, SIGNET_ERR_AUDIT, "the audit trail could not be written (%s); "
		                "no request was opened", gpg_strerror(r));
	}
	engine_notify(c->pd, c->snap->cfg, "opened", &req);
	log_info("uid %u (%s): request %lld for %u signature(s) on project %s", (unsigned)c->uid, c->user,
	         (long long)req.id, count, req.project);
	return send_request(ctx, &req);
}

/* store_request_list's collector: the requests WHO may see, as objects. */
struct collect {
	struct conn *c;
	json_t *array;
	const char *me;          /* "user:alice" */
	int for_approval;        /* PENDING: only what the caller may approve */
	int failed;
	size_t more;             /* left out past LIST_MAX */
};

static void
collect_one(void *opaque, const struct store_request *req)
{
	struct collect *k = opaque;
	char approvers[512];
	json_t *o;

	if (k->failed)
		return;
	if (k->for_approval) {
		size_t i;

		if (strcmp(req->requester, k->me) == 0 || !is_approver(k->c, req->project))
			return;
		for (i = 0; i < req->napprovals; i++)
			if (strcmp(req->approvals[i].by, k->me) == 0)
				return;   /* approved already: nothing left to do */
	}
	if (json_array_size(k->array) >= LIST_MAX) {
		k->more++;
		return;
	}
	approvers_of(k->c, req->project, approvers, sizeof(approvers));
	if ((o = reqjson_request(req, approvers)) == NULL || json_array_append_new(k->array, o) != 0)
		k->failed = 1;
}

/* Answer with the array of requests F selects (FOR_APPROVAL: those the
 * caller may approve), appended to ARRAY (NULL: a new one) of which MORE
 * were left out already. */
static gpg_error_t
send_list(assuan_context_t ctx, const struct store_filter *f, int for_approval, json_t *array, size_t more)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct collect k;
	char me[STORE_PRINCIPAL_MAX];
	gpg_error_t r;

	engine_principal(c, me, sizeof(me));
	memset(&k, 0, sizeof(k));
	k.c = c;
	k.me = me;
	k.for_approval = for_approval;
	k.more = more;
	k.array = array != NULL ? array : json_array();
	if (k.array == NULL)
		return cmd_fail(ctx, GPG_ERR_ENOMEM, "out of memory");
	if ((r = store_request_list(c->pd->store, f, collect_one, &k)) != 0) {
		json_decref(k.array);
		return store_failed(ctx, r, "list requests");
	}
	if (k.failed) {
		json_decref(k.array);
		return cmd_fail(ctx, GPG_ERR_ENOMEM, "out of memory");
	}
	if (k.more > 0) {
		char n[32];

		snprintf(n, sizeof(n), "%zu", k.more);
		if ((r = assuan_write_status(ctx, "MORE", n)) != 0) {
			json_decref(k.array);
			return r;
		}
	}
	return reqjson_send(ctx, k.array);
}

/* The requests in STATE of KIND (0: any) of REQUESTER (NULL: anyone's)
 * that have not ended by now. */
static void
filter_open(struct store_filter *f, enum store_state state, enum store_kind kind, const char *requester)
{
	memset(f, 0, sizeof(*f));
	f->state = state;
	f->kind = kind;
	f->requester = requester;
	f->min_expires = (int64_t)time(NULL);
}

static const char hlp_pending[] =
	"PENDING\n"
	"\n"
	"The pending requests you may approve (you are an approver of their\n"
	"project, they are not yours, you have not approved them yet), newest\n"
	"first: D [ <request object>, … ].";
static gpg_error_t
cmd_pending(assuan_context_t ctx, char *line)
{
	struct store_filter f;
	char *args[1];
	gpg_error_t r;

	if ((r = cmd_get_args(ctx, line, args, 0, "PENDING takes no arguments")) != 0)
		return r;
	filter_open(&f, STORE_PENDING, 0, NULL);
	return send_list(ctx, &f, 1, NULL, 0);
}

static const char hlp_requests[] =
	"REQUESTS\n"
	"\n"
	"Your own open requests (pending, and approved ones not used up),\n"
	"waiting signatures included (kind \"sign\"): D [ <request object>, … ].";
static gpg_error_t
cmd_requests(assuan_context_t ctx, char *line)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct store_filter f;
	struct collect k;
	char me[STORE_PRINCIPAL_MAX];
	char *args[1];
	gpg_error_t r;

	if ((r = cmd_get_args(ctx, line, args, 0, "REQUESTS takes no arguments")) != 0)
		return r;
	engine_principal(c, me, sizeof(me));
	filter_open(&f, STORE_PENDING, 0, me);
	memset(&k, 0, sizeof(k));
	k.c = c;
	k.me = me;
	if ((k.array = json_array()) == NULL)
		return cmd_fail(ctx, GPG_ERR_ENOMEM, "out of memory");
	if ((r = store_request_list(c->pd->store, &f, collect_one, &k)) != 0) {
		json_decref(k.array);
		return store_failed(ctx, r, "list requests");
	}
	f.state = STORE_APPROVED;
	return send_list(ctx, &f, 0, k.array, k.more);
}

static const char hlp_grants[] =
	"GRANTS\n"
	"\n"
	"Your approved grants that have uses left and have not ended:\n"
	"D [ <request object>, … ] (uses_left, expires).";
static gpg_error_t
cmd_grants(assuan_context_t ctx, char *line)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct store_filter f;
	char me[STORE_PRINCIPAL_MAX];
	char *args[1];
	gpg_error_t r;

	if ((r = cmd_get_args(ctx, line, args, 0, "GRANTS takes no arguments")) != 0)
		return r;
	engine_principal(c, me, sizeof(me));
	filter_open(&f, STORE_APPROVED, STORE_KIND_GRANT, me);
	return send_list(ctx, &f, 0, NULL, 0);
}

/* Request ID for C: 0 if C may see it (its requester, an approver of its
 * project, an admin), else the refusal (the same for "not yours" and "no
 * such request", so ids of others' requests cannot be probed). */
static gpg_error_t
visible_request(assuan_context_t ctx, int64_t id, struct store_request *req)
{
	struct conn *c = assuan_get_pointer(ctx);
	char me[STORE_PRINCIPAL_MAX];
	gpg_error_t r;

	engine_principal(c, me, sizeof(me));
	if ((r = store_request_get(c->pd->store, id, req)) != 0 && gpg_err_code(r) != GPG_ERR_NOT_FOUND)
		return store_failed(ctx, r, "read a request");
	if (r != 0 || (strcmp(req->requester, me) != 0 && !is_approver(c, req->project) && !is_admin(c)))
		return cmd_fail(ctx, GPG_ERR_NOT_FOUND, "no request %lld that you may see (signet pending "
		                "lists what you may approve, signet status your own)", (long long)id);
	return 0;
}

static const char hlp_show[] =
	"SHOW <id>\n"
	"\n"
	"Request ID, if you are its requester, an approver of its project or an\n"
	"admin: D <request object>.";
static gpg_error_t
cmd_show(assuan_context_t ctx, char *line)
{
	struct store_request req;
	char *args[2];
	int64_t id;
	gpg_error_t r;

	if ((r = cmd_get_args(ctx, line, args, 1, "usage: SHOW <id>")) != 0 ||
	    (r = parse_id(ctx, args[0], &id)) != 0 || (r = visible_request(ctx, id, &req)) != 0)
		return r;
	return send_request(ctx, &req);
}

/* Refuse an approval action of C on REQ (CODE_NAME for the audit), audited
 * like any refusal: trying to approve one's own request is an attack. */
static gpg_error_t
refuse_action(assuan_context_t ctx, gpg_err_code_t code, const char *code_name,
              const struct store_request *req, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static gpg_error_t
refuse_action(assuan_context_t ctx, gpg_err_code_t code, const char *code_name,
              const struct store_request *req, const char *fmt, ...)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct audit_event ev;
	char text[POLICYD_MAX_ERRTEXT];
	uint64_t seq = 0;
	int written = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memset(&ev, 0, sizeof(ev));
	ev.event = "deny";
	ev.project = req->project;
	ev.request = req->id;
	ev.result = "denied";
	ev.reason = text;
	ev.code = code_name;
	if (cmd_audit_refusal(c, &ev, &seq, &written) == 0 && written)
		log_info("deny uid %u (%s) request %lld: %s", (unsigned)c->uid, c->user, (long long)req->id, text);
	return cmd_fail(ctx, code, "%s", text);
}

/* The refusal of a verdict V other than OK/ALREADY on REQ. */
static gpg_error_t
refuse_verdict(assuan_context_t ctx, enum store_verdict v, const struct store_request *req, const char *verb)
{
	if (v == STORE_V_SELF)
		return refuse_action(ctx, SIGNET_ERR_DENIED, "self_approval", req, "you cannot %s your own "
		                     "request %lld; another approver must", verb, (long long)req->id);
	return cmd_fail(ctx, GPG_ERR_INV_STATE, "request %lld is %s; it can no longer be %sd",
	                (long long)req->id, v == STORE_V_EXPIRED ? "expired" : store_state_name(req->state),
	                verb);
}

/* ID and the optional (COMMENT_REQUIRED: required) text of an APPROVE or
 * DENY line, with the caller checked to be an approver of its project. */
static gpg_error_t
approval_args(assuan_context_t ctx, char *line, const char *verb, int text_required, int64_t *id,
              char **text, struct store_request *req)
{
	struct conn *c = assuan_get_pointer(ctx);
	char *words[1], approvers[512];
	gpg_error_t r;
	int bad;

	if ((*text = split_rest(line, words, 1, &bad)) == NULL)
		return bad ? cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, BAD_ESCAPE, text_required ? "reason" : "comment")
		           : cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "usage: %s <id> %s", verb,
		                      text_required ? "<reason>" : "[<comment>]");
	if ((r = parse_id(ctx, words[0], id)) != 0 ||
	    (r = check_text(ctx, *text, text_required ? "reason" : "comment", text_required)) != 0 ||
	    (r = visible_request(ctx, *id, req)) != 0)
		return r;
	if (!is_approver(c, req->project)) {
		approvers_of(c, req->project, approvers, sizeof(approvers));
		return refuse_action(ctx, SIGNET_ERR_DENIED, "not_approver", req, "user %s is not an approver "
		                     "of project %s (approvers: %s)", c->user, req->project, approvers);
	}
	return 0;
}

static const char hlp_approve[] =
	"APPROVE <id> [<comment>]\n"
	"\n"
	"Approve request ID as one of its project's approvers (never your own\n"
	"request; a second approval by you counts once).  Answer: S VERDICT\n"
	"counted|already, then D <request object>.  A request that has its\n"
	"approvals becomes a grant; a waiting signature is then made.";
static gpg_error_t
cmd_approve(assuan_context_t ctx, char *line)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct store_request req, after;
	enum store_verdict v;
	char me[STORE_PRINCIPAL_MAX], *comment;
	int64_t id;
	gpg_error_t r;

	if ((r = approval_args(ctx, line, "APPROVE", 0, &id, &comment, &req)) != 0)
		return r;
	engine_principal(c, me, sizeof(me));
	if ((r = store_request_approve(c->pd->store, id, me, comment[0] != '\0' ? comment : NULL,
	                               (int64_t)time(NULL), &after, &v)) != 0)
		return store_failed(ctx, r, "approve");
	if (v != STORE_V_OK && v != STORE_V_ALREADY)
		return refuse_verdict(ctx, v, &after, "approve");
	if (v == STORE_V_OK) {
		if ((r = audit_event(c, "approve", &after, after.state == STORE_APPROVED ? "approved" : "counted",
		                     comment[0] != '\0' ? comment : NULL)) != 0)
			log_error("approval of request %lld is recorded in the store but not in the audit trail",
			          (long long)id);
		engine_notify(c->pd, c->snap->cfg, after.state == STORE_APPROVED ? "approved" : "approval", &after);
		if (after.state == STORE_APPROVED && after.kind == STORE_KIND_SIGN)
			server_wake(c->pd->server, id);
		log_info("uid %u (%s) approved request %lld (%zu of %u)", (unsigned)c->uid, c->user,
		         (long long)id, after.napprovals, after.needed);
	}
	if ((r = assuan_write_status(ctx, "VERDICT", v == STORE_V_OK ? "counted" : "already")) != 0)
		return r;
	return send_request(ctx, &after);
}

static const char hlp_deny[] =
	"DENY <id> <reason>\n"
	"\n"
	"Deny request ID as one of its project's approvers: final (it can no\n"
	"longer be approved); a waiting signature fails at once.  Answer:\n"
	"D <request object>.";
static gpg_error_t
cmd_deny(assuan_context_t ctx, char *line)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct store_request req, after;
	enum store_verdict v;
	char me[STORE_PRINCIPAL_MAX], *reason;
	int64_t id;
	gpg_error_t r;

	if ((r = approval_args(ctx, line, "DENY", 1, &id, &reason, &req)) != 0)
		return r;
	engine_principal(c, me, sizeof(me));
	if ((r = store_request_deny(c->pd->store, id, me, reason, (int64_t)time(NULL), &after, &v)) != 0)
		return store_failed(ctx, r, "deny");
	if (v != STORE_V_OK)
		return refuse_verdict(ctx, v, &after, "denie");
	if (audit_event(c, "reject", &after, "denied", reason) != 0)
		log_error("denial of request %lld is recorded in the store but not in the audit trail",
		          (long long)id);
	engine_notify(c->pd, c->snap->cfg, "denied", &after);
	if (after.kind == STORE_KIND_SIGN)
		server_wake(c->pd->server, id);
	log_info("uid %u (%s) denied request %lld", (unsigned)c->uid, c->user, (long long)id);
	return send_request(ctx, &after);
}

static const char hlp_cancel[] =
	"CANCEL <id>\n"
	"\n"
	"Withdraw your own request ID (pending, or a grant you no longer\n"
	"need).  Answer: D <request object>.";
static gpg_error_t
cmd_cancel(assuan_context_t ctx, char *line)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct store_request req;
	enum store_verdict v;
	char me[STORE_PRINCIPAL_MAX], *args[2];
	int64_t id;
	gpg_error_t r;

	if ((r = cmd_get_args(ctx, line, args, 1, "usage: CANCEL <id>")) != 0 ||
	    (r = parse_id(ctx, args[0], &id)) != 0 || (r = visible_request(ctx, id, &req)) != 0)
		return r;
	engine_principal(c, me, sizeof(me));
	if (strcmp(req.requester, me) != 0)
		return cmd_fail(ctx, SIGNET_ERR_DENIED, "request %lld is not yours; approvers deny, "
		                "requesters cancel", (long long)id);
	if ((r = store_request_cancel(c->pd->store, id, (int64_t)time(NULL), &v)) != 0)
		return store_failed(ctx, r, "cancel");
	if (v != STORE_V_OK)
		return cmd_fail(ctx, GPG_ERR_INV_STATE, "request %lld is %s already", (long long)id,
		                store_state_name(req.state));
	if ((r = store_request_get(c->pd->store, id, &req)) != 0)
		return store_failed(ctx, r, "read a request");
	(void)audit_event(c, "cancel", &req, "cancelled", "withdrawn by its requester");
	engine_notify(c->pd, c->snap->cfg, "cancelled", &req);
	if (req.kind == STORE_KIND_SIGN)
		server_wake(c->pd->server, id);
	return send_request(ctx, &req);
}

const struct cmdtable_entry cmd_approval_table[] = {
	{ "REQUEST",  cmd_request,  hlp_request },
	{ "PENDING",  cmd_pending,  hlp_pending },
	{ "SHOW",     cmd_show,     hlp_show },
	{ "APPROVE",  cmd_approve,  hlp_approve },
	{ "DENY",     cmd_deny,     hlp_deny },
	{ "CANCEL",   cmd_cancel,   hlp_cancel },
	{ "GRANTS",   cmd_grants,   hlp_grants },
	{ "REQUESTS", cmd_requests, hlp_requests },
};
const size_t cmd_approval_ntable = sizeof(cmd_approval_table) / sizeof(cmd_approval_table[0]);
