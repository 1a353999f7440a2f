/* why.c — `signet why`: the full reason of the caller's last refused
 * signature.  gpg can only print "No policy match"; policyd remembers the
 * reason for the requesting user (WHY, doc/policyd-protocol.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "home.h"
#include "pd.h"

struct why_state {
	long long when;
	unsigned long long seq;
	char project[PROJECT_NAME_MAX + 2];
	int seen;
};

static gpg_error_t
why_status(void *opaque, const char *keyword, const char *args)
{
	struct why_state *st = opaque;

	if (strcmp(keyword, "DENIAL") != 0)
		return 0;
	if (sscanf(args, "%lld %llu %65s", &st->when, &st->seq, st->project) == 3)
		st->seen = 1;
	return 0;
}

static void
print_denial(const struct why_state *st, const uint8_t *reason, size_t len)
{
	char when[64];
	time_t t = (time_t)st->when;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", st->when);
	printf("last refused signature: %s, project %s", when, st->project);
	if (st->seq != 0)
		printf(" (audit record %llu)", st->seq);
	printf("\nreason: %.*s\n", (int)len, (const char *)reason);
}

int
why_command(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	struct why_state st;
	assuan_context_t ctx = NULL;
	const char *socket = NULL;
	uint8_t *reason = NULL;
	size_t len = 0;
	gpg_error_t err = 0;
	struct home h;
	int rc;

	memset(&st, 0, sizeof(st));
	if ((rc = cli_parse_home_socket(cli, argc, argv, WHY_USAGE, &socket)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if (optind != argc)
		return cli_usage(WHY_USAGE, "why: unexpected argument '%s'", argv[optind]);
	if (socket == NULL) {
		if ((rc = home_open(cli, &h, &cfg)) != 0)
			return rc;
		socket = cfg->socket;
	}
	if ((rc = pd_open(socket, 0, &ctx)) != CLI_EXIT_OK)
		goto out;
	rc = pd_call(ctx, "WHY", &reason, &len, why_status, &st, NULL, NULL, &err);
	if (rc != CLI_EXIT_OK && gpg_err_code(err) == GPG_ERR_NOT_FOUND) {
		printf("no refused signature of yours since signet-policyd started\n");
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (rc != CLI_EXIT_OK) {
		rc = cli_fail("why: %s; check that signet-policyd is as new as this signet",
		              gpg_strerror(err));
		goto out;
	}
	if (!st.seen) {
		rc = cli_fail("why: signet-policyd sent no DENIAL line; is it older than this signet?");
		goto out;
	}
	print_denial(&st, reason, len);
	rc = CLI_EXIT_OK;
out:
	free(reason);
	if (ctx != NULL)
		pdclient_close(ctx);
	config_free(cfg);
	return rc;
}
