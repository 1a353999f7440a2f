/* reqcmd.c — option parsing and command shapes shared by the approval
 * commands (reqcmd.h). */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd.h"
#include "reqcmd.h"
#include "reqview.h"

/* Request ids are positive 63-bit numbers; anything else is a typo. */
static int
parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return -1;
	*id = v;
	return 0;
}

int
reqcmd_parse(struct cli *cli, int argc, char **argv, const char *usage, const char *allowed,
             int want_id, struct reqopt *o)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "project", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "ttl", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{ "comment", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int c, li;

	memset(o, 0, sizeof(*o));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, &li)) != -1) {
		if (c == ':' || c == '?')
			return cli_bad_option(usage, argc, argv, c);
		if (c != 'H' && c != 'h' && c != 'S' && strchr(allowed, c) == NULL)
			return cli_usage(usage, "%s: unknown option --%s", argv[0], opts[li].name);
		switch (c) {
		case 'H': cli->home_arg = optarg; break;
		case 'h': printf("usage: signet %s\n", usage); return CLI_HELP_SHOWN;
		case 'S': o->socket = optarg; break;
		case 'j': o->json = 1; break;
		case 'p': o->project = optarg; break;
		case 'n': o->count = optarg; break;
		case 't': o->ttl = optarg; break;
		case 'r': o->reason = optarg; break;
		case 'c': o->comment = optarg; break;
		}
	}
	if (!want_id) {
		if (optind != argc)
			return cli_usage(usage, "%s: unexpected argument '%s'", argv[0], argv[optind]);
		return CLI_EXIT_OK;
	}
	if (optind >= argc)
		return cli_usage(usage, "%s: which request? give its id (see `signet pending`)", argv[0]);
	if (parse_id(argv[optind], &o->id) != 0)
		return cli_usage(usage, "%s: '%s' is not a request id (a number such as 17; see `signet "
		                 "pending`)", argv[0], argv[optind]);
	if (optind + 1 != argc)
		return cli_usage(usage, "%s: unexpected argument '%s'", argv[0], argv[optind + 1]);
	return CLI_EXIT_OK;
}

/* "S MORE <n>": policyd left out N older requests (a list holds 200). */
static gpg_error_t
more_status(void *opaque, const char *keyword, const char *args)
{
	unsigned long *more = opaque;

	if (strcmp(keyword, "MORE") == 0)
		*more = strtoul(args, NULL, 10);
	return 0;
}

int
reqcmd_list(struct cli *cli, int argc, char **argv, const char *usage, const char *command,
            const char *what, const char *empty, void (*table)(const json_t *))
{
	unsigned long more = 0;
	json_t *a = NULL;
	struct reqopt o;
	int rc;

	if ((rc = reqcmd_parse(cli, argc, argv, usage, REQCMD_JSON, 0, &o)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if ((rc = pd_query_json(cli, o.socket, command, JSON_ARRAY, &a, more_status, &more, what,
	                        NULL)) != CLI_EXIT_OK)
		goto out;
	if (o.json)
		reqview_json(a);
	else if (json_array_size(a) == 0)
		printf("%s\n", empty);
	else
		table(a);
	if (more > 0)
		fprintf(stderr, "(%lu older not shown: signet-policyd lists the %zu newest)\n", more,
		        json_array_size(a));
out:
	json_decref(a);
	return rc;
}

int
reqcmd_one(struct cli *cli, int argc, char **argv, const char *usage, const char *allowed,
           const char *verb, pdclient_status_cb cb, void *opaque, const char *what,
           const char *todo, struct reqopt *o, json_t **r)
{
	char line[PD_LINE_MAX + 1], textwhat[64];
	const char *text = NULL;
	int rc;

	*r = NULL;
	if ((rc = reqcmd_parse(cli, argc, argv, usage, allowed, 1, o)) != CLI_EXIT_OK)
		return rc;
	if (strstr(allowed, REQCMD_REASON) != NULL) {
		if (o->reason == NULL)
			return cli_usage(usage, "%s: say why with --reason TEXT (the requester reads it)", argv[0]);
		text = o->reason;
		snprintf(textwhat, sizeof(textwhat), "%s: --reason", argv[0]);
	} else if (o->comment != NULL) {
		text = o->comment;
		snprintf(textwhat, sizeof(textwhat), "%s: --comment", argv[0]);
	}
	snprintf(line, sizeof(line), "%s %" PRId64, verb, o->id);
	if (text != NULL && (rc = pd_line_add_text(line, text, textwhat)) != CLI_EXIT_OK)
		return rc;
	return pd_query_json(cli, o->socket, line, JSON_OBJECT, r, cb, opaque, what, todo);
}
