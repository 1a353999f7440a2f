/* project-policy.c — `signet project set NAME KEY=VALUE…` and `signet
 * project show NAME [--json]`: an admin reads and changes a project's
 * policy through policyd (PROJECT SET / PROJECT SHOW), which validates,
 * writes its own configuration, reloads and audits.  This command never
 * writes signet.conf. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "home.h"
#include "pd.h"
#include "percent.h"

#define POLICY_LINE_MAX 1000     /* ASSUAN_LINELENGTH: one request line */

/* --home and, with JSON not NULL, --json; then NAME (and the rest). */
static int
parse_opts(struct cli *cli, int argc, char **argv, int *json)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	/* set ("+"): stop at NAME, so no "KEY-=…" word is taken for an option. */
	while ((c = getopt_long(argc, argv, json == NULL ? "+:h" : ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': cli->home_arg = optarg; break;
		case 'j':
			if (json == NULL)
				return cli_usage(PROJECT_USAGE, "project %s: unknown option --json", argv[0]);
			*json = 1;
			break;
		case 'h': printf("usage: signet %s\n", PROJECT_USAGE); return CLI_HELP_SHOWN;
		default: return cli_bad_option(PROJECT_USAGE, argc, argv, c);
		}
	}
	if (optind >= argc)
		return cli_usage(PROJECT_USAGE, "project %s: the project NAME is missing", argv[0]);
	if (!config_project_name_ok(argv[optind]))
		return cli_fail("check project name '%s': use 1 to %d characters of A-Z a-z 0-9 . _ -",
		                argv[optind], PROJECT_NAME_MAX);
	return CLI_EXIT_OK;
}

/* "PROJECT SET NAME k=v…" with each value %-escaped into CMD. */
static int
build_set(const char *name, int n, char **items, char *cmd, size_t cmdlen)
{
	char val[POLICY_LINE_MAX];
	size_t pos;
	int i, k;

	k = snprintf(cmd, cmdlen, "PROJECT SET %s", name);
	pos = (size_t)k;
	for (i = 0; i < n; i++) {
		const char *eq = strchr(items[i], '=');
		size_t klen;

		if (eq == NULL || eq == items[i])
			return cli_usage(PROJECT_USAGE, "project set: '%s' is not KEY=VALUE (signers+=user:NAME and "
			                 "signers-=user:NAME add and remove one)", items[i]);
		klen = (size_t)(eq - items[i]) + 1;
		if (percent_encode(eq + 1, val, sizeof(val)) != 0 ||
		    (k = snprintf(cmd + pos, cmdlen - pos, " %.*s%s", (int)klen, items[i], val)) < 0 ||
		    (size_t)k >= cmdlen - pos)
			return cli_fail("project set: the values are too long for one request; set fewer keys at once");
		pos += (size_t)k;
	}
	return CLI_EXIT_OK;
}

int
project_set_command(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	assuan_context_t ctx = NULL;
	char cmd[POLICY_LINE_MAX], doing[PROJECT_NAME_MAX + 64];
	const char *name;
	struct home h;
	int rc, i;

	if ((rc = parse_opts(cli, argc, argv, NULL)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	name = argv[optind];
	if (optind + 1 >= argc)
		return cli_usage(PROJECT_USAGE, "project set: give at least one KEY=VALUE");
	if ((rc = build_set(name, argc - optind - 1, argv + optind + 1, cmd, sizeof(cmd))) != CLI_EXIT_OK)
		return rc;
	snprintf(doing, sizeof(doing), "change the policy of %s (PROJECT SET)", name);
	if ((rc = home_open(cli, &h, &cfg)) != 0 || (rc = pd_open(cfg->socket, 0, &ctx)) != 0 ||
	    (rc = pd_call(ctx, cmd, NULL, NULL, NULL, NULL, doing, "fix the value and run it again",
	                  NULL)) != 0)
		goto out;
	for (i = optind + 1; i < argc; i++)
		printf("project %s: %s\n", name, argv[i]);
	printf("signet-policyd wrote %s and put it in force; `signet project show %s` shows the policy\n",
	       h.conf, name);
out:
	if (ctx != NULL)
		pdclient_close(ctx);
	config_free(cfg);
	return rc;
}

/* The human form of PROJECT SHOW's object. */
static int
print_show(const char *name, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *o = json_loadb(text, len, 0, &jerr), *keys, *eff, *v;
	const char *k;

	if (o == NULL || !json_is_object(keys = json_object_get(o, "keys"))) {
		json_decref(o);
		return cli_fail("show project %s: signet-policyd sent no policy object (%s); see its log", name,
		                jerr.text);
	}
	printf("project %s, as in %s:\n", name, json_string_value(json_object_get(o, "file")) ?
	       json_string_value(json_object_get(o, "file")) : "signet.conf");
	json_object_foreach(keys, k, v)
		printf("  %-14s = %s\n", k, json_string_value(v) ? json_string_value(v) : "");
	eff = json_object_get(o, "effective");
	if (json_is_object(eff)) {
		printf("in force (defaults filled in):\n");
		json_object_foreach(eff, k, v) {
			if (json_is_integer(v))
				printf("  %-14s %lld\n", k, (long long)json_integer_value(v));
			else
				printf("  %-14s %s\n", k, json_string_value(v) && *json_string_value(v) ?
				       json_string_value(v) : "(none)");
		}
	} else {
		printf("not in force yet (signet-policyd has not loaded it)\n");
	}
	json_decref(o);
	return CLI_EXIT_OK;
}

int
project_show_command(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	assuan_context_t ctx = NULL;
	char cmd[PROJECT_NAME_MAX + 16], doing[PROJECT_NAME_MAX + 64];
	uint8_t *data = NULL;
	size_t len = 0;
	struct home h;
	int rc, json = 0;

	if ((rc = parse_opts(cli, argc, argv, &json)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if (optind + 1 != argc)
		return cli_usage(PROJECT_USAGE, "project show: unexpected argument '%s'", argv[optind + 1]);
	snprintf(cmd, sizeof(cmd), "PROJECT SHOW %s", argv[optind]);
	snprintf(doing, sizeof(doing), "show the policy of %s (PROJECT SHOW)", argv[optind]);
	if ((rc = home_open(cli, &h, &cfg)) != 0 || (rc = pd_open(cfg->socket, 0, &ctx)) != 0 ||
	    (rc = pd_call(ctx, cmd, &data, &len, NULL, NULL, doing, NULL, NULL)) != 0)
		goto out;
	if (json) {
		fwrite(data, 1, len, stdout);
		putchar('\n');
		rc = CLI_EXIT_OK;
	} else {
		rc = print_show(argv[optind], (const char *)data, len);
	}
out:
	free(data);
	if (ctx != NULL)
		pdclient_close(ctx);
	config_free(cfg);
	return rc;
}
