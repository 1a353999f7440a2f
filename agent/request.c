/* request.c — `signet request` (ask the project's approvers for a grant of
 * N signatures) and `signet cancel` (withdraw one's own request).  The
 * request id goes alone on stdout's first line, so that a pipeline can
 * keep it: id=$(signet request --project rel --reason "release 1.2"). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "duration.h"
#include "pd.h"
#include "reqcmd.h"
#include "reqview.h"

#define REQUEST_DEFAULT_TTL "24h"
#define REQUEST_MAX_TTL     (30 * 86400)   /* policyd's limit (STORE_MAX_TTL) */

/* --count: a positive number (policyd enforces the upper limit). */
static int
parse_count(const char *s, unsigned long *count)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*count = strtoul(s, &end, 10);
	return errno != 0 || *end != '\0' || *count == 0 ? -1 : 0;
}

/* The REQUEST line for O into LINE (PD_LINE_MAX + 1 bytes). */
static int
request_line(const struct reqopt *o, char *line)
{
	unsigned long count = 1;
	uint32_t ttl = 0;

	if (o->project == NULL)
		return cli_usage(REQUEST_USAGE, "request: which project? give --project NAME");
	if (!config_project_name_ok(o->project))
		return cli_usage(REQUEST_USAGE, "request: '%s' is not a project name (letters, digits, '.', '_', "
		                 "'-'; see `signet status`)", o->project);
	if (o->reason == NULL)
		return cli_usage(REQUEST_USAGE, "request: say why with --reason TEXT (the approvers read it)");
	if (o->count != NULL && parse_count(o->count, &count) != 0)
		return cli_usage(REQUEST_USAGE, "request: --count '%s' is not a positive number of signatures",
		                 o->count);
	if (duration_parse(o->ttl != NULL ? o->ttl : REQUEST_DEFAULT_TTL, REQUEST_MAX_TTL, &ttl) != 0 || ttl == 0)
		return cli_usage(REQUEST_USAGE, "request: --ttl '%s': want a number and a unit s, m, h or d "
		                 "(30m, 12h, 7d), at most 30d", o->ttl);
	snprintf(line, PD_LINE_MAX + 1, "REQUEST --count=%lu --ttl=%" PRIu32 " %s", count, ttl, o->project);
	return pd_line_add_text(line, o->reason, "request: --reason");
}

int
request_command(struct cli *cli, int argc, char **argv)
{
	char line[PD_LINE_MAX + 1];
	json_t *r = NULL;
	json_int_t id;
	struct reqopt o;
	int rc;

	rc = reqcmd_parse(cli, argc, argv, REQUEST_USAGE, REQCMD_PROJECT REQCMD_COUNT REQCMD_TTL REQCMD_REASON,
	                  0, &o);
	if (rc != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if ((rc = request_line(&o, line)) != CLI_EXIT_OK)
		return rc;
	rc = pd_query_json(cli, o.socket, line, JSON_OBJECT, &r, NULL, NULL, "request: open the request", NULL);
	if (rc != CLI_EXIT_OK)
		goto out;
	id = json_integer_value(json_object_get(r, "id"));
	if (id <= 0) {
		rc = cli_fail("request: signet-policyd's answer names no request id; is it older or newer than "
		              "this signet? (`signet status` shows your open requests)");
		goto out;
	}
	printf("%" JSON_INTEGER_FORMAT "\n", id);
	fflush(stdout);
	fprintf(stderr, "request %" JSON_INTEGER_FORMAT " on project %s opened: ", id, o.project);
	reqview_state(r, stderr);
	fprintf(stderr, "approvers see it with `signet pending`; you follow it with `signet show %"
	        JSON_INTEGER_FORMAT "` or `signet status`, and sign as usual once it is approved\n", id);
	rc = CLI_EXIT_OK;
out:
	json_decref(r);
	return rc;
}

int
cancel_command(struct cli *cli, int argc, char **argv)
{
	json_t *r = NULL;
	struct reqopt o;
	int rc;

	rc = reqcmd_one(cli, argc, argv, CANCEL_USAGE, "", "CANCEL", NULL, NULL, "cancel: cancel the request",
	                "only the requester may cancel, and only an open request; check with `signet status`",
	                &o, &r);
	if (rc == CLI_EXIT_OK)
		printf("cancelled request %" PRId64 "\n", o.id);
	json_decref(r);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}
