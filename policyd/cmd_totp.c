/* cmd_totp.c — the second factor's commands (see cmdutil.h, totp.h):
 * TOTP ENROLL | RESET <user> | STATUS <project>. */
#include "cmdutil.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmdline.h"
#include "log.h"
#include "signet-err.h"
#include "store.h"
#include "totp.h"

#define USAGE "usage: TOTP ENROLL | TOTP RESET <user> | TOTP STATUS <project>"

/* "user:NAME" of user NAME into OUT, or the refusal. */
static gpg_error_t
principal_of(assuan_context_t ctx, const char *user, char out[STORE_PRINCIPAL_MAX])
{
	int n = snprintf(out, STORE_PRINCIPAL_MAX, "user:%s", user);

	if (n < 0 || n >= STORE_PRINCIPAL_MAX)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "user name too long");
	return 0;
}

/* Enrol the caller; the URI goes to the caller only. */
static gpg_error_t
totp_cmd_enroll(assuan_context_t ctx)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct audit_event ev;
	char principal[STORE_PRINCIPAL_MAX], uri[TOTP_URI_MAX], why[POLICYD_MAX_ERRTEXT];
	gpg_error_t r;

	if ((r = principal_of(ctx, c->user, principal)) != 0)
		return r;
	why[0] = '\0';
	r = totp_enroll(c->pd, principal, c->user, c->snap->cfg->instance, uri, sizeof(uri), why,
	                sizeof(why));
	memset(&ev, 0, sizeof(ev));
	ev.event = "totp_enroll";
	ev.result = r == 0 ? "granted" : gpg_err_code(r) == GPG_ERR_EEXIST ? "denied" : "error";
	ev.reason = r == 0 ? "enrolled" : why;
	/* No record, no secret handed out. */
	if (cmd_audit_request(c, &ev, NULL) != 0 && r == 0) {
		explicit_bzero(uri, sizeof(uri));
		/* Nothing was enrolled before (ENROLL refuses then), so
		 * forgetting it again loses no failure count. */
		(void)store_totp_reset(c->pd->store, principal, 1);
		return cmd_fail(ctx, SIGNET_ERR_AUDIT, "the audit trail could not be written; "
		                "nothing was enrolled — tell the signet admin");
	}
	if (r != 0) {
		log_info("totp enroll uid %u (%s): %s", (unsigned)c->uid, c->user, why);
		return cmd_fail(ctx, gpg_err_code(r) == GPG_ERR_EEXIST ? GPG_ERR_EEXIST : SIGNET_ERR_HSM,
		                "%s", why);
	}
	log_info("totp enroll uid %u (%s)", (unsigned)c->uid, c->user);
	r = assuan_send_data(ctx, uri, strlen(uri));
	explicit_bzero(uri, sizeof(uri));
	return r;
}

/* Admin: forget USER's enrolment and failures. */
static gpg_error_t
totp_cmd_reset(assuan_context_t ctx, const char *user)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct audit_event ev;
	char principal[STORE_PRINCIPAL_MAX], by[STORE_PRINCIPAL_MAX], reason[STORE_PRINCIPAL_MAX + 64];
	uint8_t sealed[STORE_SEALED_MAX];
	size_t len = 0;
	gpg_error_t r;

	if ((r = cmd_require_admin(ctx, "TOTP RESET")) != 0)
		return r;
	if ((r = principal_of(ctx, user, principal)) != 0 || (r = principal_of(ctx, c->user, by)) != 0)
		return r;
	/* A typo is an error; a removed user's enrolment can still go. */
	if (getpwnam(user) == NULL &&
	    store_totp_get(c->pd->store, principal, sealed, sizeof(sealed), &len) != 0)
		return cmd_fail(ctx, GPG_ERR_NOT_FOUND, "no user %s on this machine, and no enrolment", user);
	if ((r = store_totp_reset(c->pd->store, principal, 1)) != 0)
		return cmd_fail(ctx, SIGNET_ERR_HSM, "resetting the second factor of %s: %s", principal,
		                gpg_strerror(r));
	memset(&ev, 0, sizeof(ev));
	ev.event = "totp_reset";
	ev.result = "granted";
	ev.by = by;
	snprintf(reason, sizeof(reason), "second factor of %s reset: failures cleared, enrolment removed",
	         principal);
	ev.reason = reason;
	if ((r = cmd_audit_request(c, &ev, NULL)) != 0)
		return cmd_fail(ctx, SIGNET_ERR_AUDIT, "%s was reset but the audit trail could not be "
		                "written (%s)", principal, gpg_strerror(r));
	log_info("totp reset of %s by uid %u (%s)", principal, (unsigned)c->uid, c->user);
	return 0;
}

/* The caller's state on PROJECT: S TOTP <enrolled> <failures> <max>
 * <required>, the last 1 when PROJECT has second_factor = totp (signet-scd
 * shows the tries left as the card's PIN retry counter then). */
static gpg_error_t
totp_cmd_status(assuan_context_t ctx, const char *project)
{
	struct conn *c = assuan_get_pointer(ctx);
	const struct project *p;
	char principal[STORE_PRINCIPAL_MAX], buf[64];
	unsigned failures = 0;
	int enrolled = 0;
	gpg_error_t r;

	if ((p = cmd_lookup_project(ctx, project, &r)) == NULL)
		return r;
	if ((r = principal_of(ctx, c->user, principal)) != 0)
		return r;
	if ((r = totp_status(c->pd, principal, project, &enrolled, &failures)) != 0)
		return cmd_fail(ctx, SIGNET_ERR_HSM, "reading the second factor of %s: %s", principal,
		                gpg_strerror(r));
	snprintf(buf, sizeof(buf), "%d %u %u %d", enrolled, failures, STORE_TOTP_MAX_FAILURES,
	         p->conf->second_factor == SECOND_FACTOR_TOTP);
	return assuan_write_status(ctx, "TOTP", buf);
}

static const char hlp_totp[] =
	"TOTP ENROLL | TOTP RESET <user> | TOTP STATUS <project>\n"
	"\n"
	"ENROLL: a new TOTP secret for you, answered once as an otpauth URI\n"
	"(refused if you are enrolled: an admin resets first).  RESET (admin):\n"
	"forget USER's secret and clear their failures on every project.\n"
	"STATUS: S TOTP <enrolled 0|1> <failures in a row> <max> <required 0|1>\n"
	"on PROJECT (required: the project has second_factor = totp).";
static gpg_error_t
cmd_totp(assuan_context_t ctx, char *line)
{
	struct conn *c = assuan_get_pointer(ctx);
	char *args[3];
	size_t nargs = 0;

	if (cmdline_parse(line, NULL, 0, args, 3, &nargs) != 0 || nargs == 0)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, USAGE);
	if (c->pd->store == NULL || c->pd->totp == NULL)
		return cmd_fail(ctx, SIGNET_ERR_HSM, "signet-policyd has no state store for the second factor");
	if (strcmp(args[0], "ENROLL") == 0 && nargs == 1)
		return totp_cmd_enroll(ctx);
	if (strcmp(args[0], "RESET") == 0 && nargs == 2)
		return totp_cmd_reset(ctx, args[1]);
	if (strcmp(args[0], "STATUS") == 0 && nargs == 2)
		return totp_cmd_status(ctx, args[1]);
	return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, USAGE);
}

const struct cmdtable_entry cmd_totp_table[] = {
	{ "TOTP", cmd_totp, hlp_totp },
};
const size_t cmd_totp_ntable = sizeof(cmd_totp_table) / sizeof(cmd_totp_table[0]);
