/* cmdutil.c — see cmdutil.h. */
#include "cmdutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmdline.h"
#include "denylog.h"
#include "hex.h"
#include "hsm.h"
#include "p11uri.h"
#include "log.h"
#include "pgpkey.h"
#include "policy.h"
#include "signet-err.h"

#define CMD_ERR_TEXT_SHOWN 100   /* libassuan cuts the text of an ERR line here */

gpg_error_t
cmd_fail(assuan_context_t ctx, gpg_err_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Answer CODE with a reason for humans.  libassuan keeps only the first
 * CMD_ERR_TEXT_SHOWN bytes of the text on the ERR line, so a longer reason
 * goes out whole in an "S REASON" status line first (protocol doc). */
gpg_error_t
cmd_fail(assuan_context_t ctx, gpg_err_code_t code, const char *fmt, ...)
{
	struct conn *c = assuan_get_pointer(ctx);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->errtext, sizeof(c->errtext), fmt, ap);
	va_end(ap);
	if (strlen(c->errtext) > CMD_ERR_TEXT_SHOWN)
		assuan_write_status(ctx, "REASON", c->errtext);
	return assuan_set_error(ctx, gpg_error(code), c->errtext);
}

gpg_error_t
cmd_fail_parse(assuan_context_t ctx, gpg_error_t r, const char *usage)
{
	switch (gpg_err_code(r)) {
	case GPG_ERR_UNKNOWN_OPTION:
		return cmd_fail(ctx, GPG_ERR_UNKNOWN_OPTION, "unknown option; usage: %s", usage);
	default:
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "bad arguments; usage: %s", usage);
	}
}

/* Split LINE (no options) into exactly WANT arguments (ARGS holds WANT + 1
 * pointers), or answer GPG_ERR_ASS_PARAMETER with USAGE. */
gpg_error_t
cmd_get_args(assuan_context_t ctx, char *line, char **args, size_t want, const char *usage)
{
	size_t nargs = 0;

	if (cmdline_parse(line, NULL, 0, args, want + 1, &nargs) != 0 || nargs != want)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "%s", usage);
	return 0;
}

int
cmd_is_keygrip(const char *s)
{
	size_t i;

	for (i = 0; i < PGPKEY_GRIP_HEX - 1; i++)
		if (hex_digit_value(s[i]) < 0)
			return 0;
	return s[i] == '\0';
}

gpg_error_t
cmd_audit_request(struct conn *c, struct audit_event *ev, uint64_t *seq)
{
	return cmd_audit_request_as(c, ev, 0, seq);
}

gpg_error_t
cmd_audit_request_as(struct conn *c, struct audit_event *ev, int64_t expected, uint64_t *seq)
{
	gpg_error_t r;

	ev->has_requester = 1;
	ev->uid = c->uid;
	ev->user = c->user;
	ev->pid = c->pid;
	r = expected != 0 ? audit_append_expected(c->pd->audit, ev, expected, seq)
	                  : audit_append(c->pd->audit, ev, seq);
	if (r != 0)
		log_error_e(r, "audit append (%s for uid %u)", ev->event, (unsigned)c->uid);
	return r;
}

/* Record the refusal EV of connection C through the coalescing denylog:
 * *WRITTEN is 0 when it was only counted (then it is not logged either). */
gpg_error_t
cmd_audit_refusal(struct conn *c, struct audit_event *ev, uint64_t *seq, int *written)
{
	return denylog_refuse(c->pd->denylog, time(NULL), c->uid, c->user, c->pid, ev, seq, written);
}

/* 0 if the caller may run admin command WHAT; else the refusal, audited
 * (a removed admin trying an old group session leaves a trace). */
gpg_error_t
cmd_require_admin(assuan_context_t ctx, const char *what)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct requester rq;
	struct audit_event ev;
	uint64_t seq;
	int written, admin;
	gpg_error_t r;

	requester_init(&rq, c->pd->ids, c->uid);
	admin = policy_is_admin(c->snap->cfg, &rq, c->pd->self_uid);
	requester_release(&rq);
	if (admin)
		return 0;
	r = cmd_fail(ctx, SIGNET_ERR_NOT_ADMIN, "%s is an admin command and user %s is not an admin "
	         "(add it to [policyd] admins)", what, c->user);
	/* Audited (and coalesced like any refusal: a user may ask in a loop). */
	memset(&ev, 0, sizeof(ev));
	ev.event = "deny";
	ev.result = "denied";
	ev.reason = c->errtext;
	if (cmd_audit_refusal(c, &ev, &seq, &written) == 0 && written)
		log_info("deny uid %u (%s): %s", (unsigned)c->uid, c->user, c->errtext);
	return r;
}

const struct project *
cmd_lookup_project(assuan_context_t ctx, const char *name, gpg_error_t *r)
{
	struct conn *c = assuan_get_pointer(ctx);
	const struct project *p;
	char vis[PROJECT_NAME_MAX + 8];

	if (!config_project_name_ok(name)) {
		log_vis(name, vis, sizeof(vis));
		*r = cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "\"%s\" is not a project name ([A-Za-z0-9._-], 1-64)", vis);
		return NULL;
	}
	if ((p = project_table_find(c->snap->projects, name)) == NULL) {
		*r = cmd_fail(ctx, SIGNET_ERR_NO_KEY, "no project %s (signet keylist shows yours)", name);
		return NULL;
	}
	*r = 0;
	return p;
}


/* Checks of the label, the key pair on the token, its audit record. */
gpg_error_t
cmd_keygen_token(assuan_context_t ctx, enum key_algo algo, const char *label, char *uri, size_t urilen)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct audit_event ev;
	uint8_t id[HSM_KEY_ID_LEN];
	char why[POLICYD_MAX_ERRTEXT], reason[P11URI_MAX_LEN + 32];
	gpg_error_t r;

	if (!config_project_name_ok(label))
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "a key label is a project name ([A-Za-z0-9._-], 1-64)");
	if (config_name_is_tsa_object(label))
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "labels " CONFIG_TSA_OBJECT " and " CONFIG_TSA_OBJECT
		            "-* are kept for signet-tsa's keys on the token; pick another label");
	if ((r = p11uri_format(c->snap->cfg->token, label, uri, urilen)) != 0)
		return cmd_fail(ctx, gpg_err_code(r), "cannot format the key URI");
	if ((r = hsm_random(c->pd->hsm, id, sizeof(id), why, sizeof(why))) != 0 ||
	    (r = hsm_keygen(c->pd->hsm, project_key_type(algo), key_algo_bits(algo), label, id, sizeof(id),
	                    why, sizeof(why))) != 0) {
		log_error("keygen %s: %s", label, why);
		if (gpg_err_code(r) == GPG_ERR_EEXIST)
			return cmd_fail(ctx, GPG_ERR_EEXIST, "%s; pick another label", why);
		return cmd_fail(ctx, SIGNET_ERR_HSM, "key generation failed: %s", why);
	}
	memset(&ev, 0, sizeof(ev));
	snprintf(reason, sizeof(reason), "%s %s", key_algo_name(algo), uri);
	ev.event = "keygen";
	ev.project = label;
	ev.result = "granted";
	ev.reason = reason;
	if ((r = cmd_audit_request(c, &ev, NULL)) != 0)
		return cmd_fail(ctx, SIGNET_ERR_AUDIT, "key %s was generated but the audit trail could not be "
		            "written (%s)", uri, gpg_strerror(r));
	log_info("keygen %s by %s: %s", key_algo_name(algo), c->user, uri);
	return 0;
}
