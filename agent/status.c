/* status.c — `signet status`: is policyd reachable, where did we look, what
 * may the caller sign with, which of the caller's requests are open (a
 * signature waiting for approvers among them), and does the home's
 * signet-tsa run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "home.h"
#include "pd.h"
#include "platform.h"
#include "reqview.h"
#include "tsad.h"

/* The caller's open requests (REQUESTS): waiting signatures, pending grant
 * requests, approved grants.  A policyd from before approvals does not
 * know REQUESTS: then there is nothing to show. */
static void
print_requests(assuan_context_t ctx)
{
	json_t *a = NULL;
	gpg_error_t err = 0;
	size_t i;

	if (pd_call_json(ctx, "REQUESTS", JSON_ARRAY, &a, NULL, NULL, NULL, NULL, &err) != CLI_EXIT_OK) {
		if (err != 0 && gpg_err_code(err) != GPG_ERR_ASS_UNKNOWN_CMD && gpg_err_code(err) != GPG_ERR_UNKNOWN_COMMAND)
			printf("requests: could not list them (%s)\n", gpg_strerror(err));
		goto out;
	}
	if (json_array_size(a) == 0) {
		printf("requests: none open\n");
		goto out;
	}
	printf("your open requests and grants:\n");
	for (i = 0; i < json_array_size(a); i++)
		reqview_open(json_array_get(a, i));
out:
	json_decref(a);
}

int
status_command(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	assuan_context_t ctx = NULL;
	struct pd_key *keys = NULL;
	const char *socket = NULL, *source = NULL;
	char version[128], pid[32], serial[64], user[128];
	struct home h;
	size_t n = 0, i;
	int rc;

	if ((rc = cli_parse_home_socket(cli, argc, argv, STATUS_USAGE, &socket)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if (optind != argc)
		return cli_usage(STATUS_USAGE, "status: unexpected argument '%s'", argv[optind]);
	if (socket != NULL) {
		source = "--socket";
	} else {
		if ((rc = home_open(cli, &h, &cfg)) != 0)
			return rc;
		socket = cfg->socket;
		source = h.conf;
	}
	printf("socket:   %s (from %s)\n", socket, source);
	if (pd_open(socket, 1, &ctx) != CLI_EXIT_OK) {
		printf("policyd:  not reachable\n");
		if (cfg != NULL)
			tsad_print_status(&h);
		rc = cli_fail("signet-policyd is not running at %s; start it with `signet%s%s start`", socket,
		              cfg != NULL ? " --home " : "", cfg != NULL ? h.dir : "");
		goto out;
	}
	if ((rc = pd_getinfo(ctx, "version", version, sizeof(version))) != 0)
		goto out;
	if (pd_getinfo(ctx, "pid", pid, sizeof(pid)) != 0)
		snprintf(pid, sizeof(pid), "?");
	if (pd_getinfo(ctx, "serialno", serial, sizeof(serial)) != 0)
		snprintf(serial, sizeof(serial), "?");
	printf("policyd:  running, version %s, pid %s\n", version, pid);
	printf("card:     serial %s\n", serial);
	if (cfg != NULL)
		tsad_print_status(&h);
	if ((keys = calloc(PD_MAX_KEYS, sizeof(*keys))) == NULL) {
		rc = cli_fail("list keys: out of memory; try again");
		goto out;
	}
	if ((rc = pd_keylist(ctx, keys, PD_MAX_KEYS, &n)) != 0)
		goto out;
	platform_user_name(getuid(), user, sizeof(user));
	if (n == 0) {
		printf("projects: none that you (%s) may sign with\n", user);
	} else {
		printf("projects you (%s) may sign with:\n", user);
		for (i = 0; i < n; i++)
			printf("  %-24s %-8s %s\n", keys[i].project, keys[i].algo, keys[i].fpr);
	}
	print_requests(ctx);
	rc = CLI_EXIT_OK;
out:
	free(keys);
	if (ctx != NULL)
		pdclient_close(ctx);
	config_free(cfg);
	return rc;
}
