/* grants.c — `signet grants`: the caller's approved grants (GRANTS), with
 * the signatures each has left and when it ends. */
#include "commands.h"
#include "reqcmd.h"
#include "reqview.h"

int
grants_command(struct cli *cli, int argc, char **argv)
{
	return reqcmd_list(cli, argc, argv, GRANTS_USAGE, "GRANTS", "grants: list your grants",
	                   "you hold no grant; ask for one with `signet request --project NAME --count N "
	                   "--reason TEXT`", reqview_grants);
}
