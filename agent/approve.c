/* approve.c — the approver's commands: `signet pending` (requests the
 * caller may approve), `signet show ID`, `signet approve ID`, `signet deny
 * ID`.  policyd decides who may see and approve what; these only ask and
 * show (doc/policyd-protocol.md, "Approvals"). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "reqcmd.h"
#include "reqview.h"

#define APPROVER_TODO "check the id with `signet pending` (only the project's approvers may act on a " \
                      "request, never its requester)"

int
pending_command(struct cli *cli, int argc, char **argv)
{
	return reqcmd_list(cli, argc, argv, PENDING_USAGE, "PENDING", "pending: list the requests",
	                   "no request waits for your approval", reqview_table);
}

int
show_command(struct cli *cli, int argc, char **argv)
{
	json_t *r = NULL;
	struct reqopt o;
	int rc;

	rc = reqcmd_one(cli, argc, argv, SHOW_USAGE, REQCMD_JSON, "SHOW", NULL, NULL, "show: read the request",
	                "check the id (its requester, the project's approvers and admins may read it)", &o, &r);
	if (rc == CLI_EXIT_OK && o.json)
		reqview_json(r);
	else if (rc == CLI_EXIT_OK)
		reqview_detail(r);
	json_decref(r);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

/* S VERDICT counted|already: was this approval new? */
static gpg_error_t
verdict_status(void *opaque, const char *keyword, const char *args)
{
	int *counted = opaque;

	if (strcmp(keyword, "VERDICT") != 0)
		return 0;
	if (strcmp(args, "counted") == 0)
		*counted = 1;
	else if (strcmp(args, "already") == 0)
		*counted = 0;
	return 0;
}

int
approve_command(struct cli *cli, int argc, char **argv)
{
	json_t *r = NULL;
	struct reqopt o;
	int counted = -1, rc;

	rc = reqcmd_one(cli, argc, argv, APPROVE_USAGE, REQCMD_COMMENT, "APPROVE", verdict_status, &counted,
	                "approve: approve the request", APPROVER_TODO, &o, &r);
	if (rc == CLI_EXIT_OK) {
		if (counted == 0)
			printf("request %" PRId64 ": your approval was already counted (each approver counts "
			       "once)\n", o.id);
		else
			printf("request %" PRId64 ": your approval is counted\n", o.id);
		reqview_state(r, stdout);
	}
	json_decref(r);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}

int
deny_command(struct cli *cli, int argc, char **argv)
{
	json_t *r = NULL;
	struct reqopt o;
	int rc;

	rc = reqcmd_one(cli, argc, argv, DENY_USAGE, REQCMD_REASON, "DENY", NULL, NULL, "deny: deny the request",
	                APPROVER_TODO, &o, &r);
	if (rc == CLI_EXIT_OK) {
		printf("request %" PRId64 ": ", o.id);
		reqview_state(r, stdout);
	}
	json_decref(r);
	return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
}
