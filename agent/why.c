/* why.c — `signet why`: the caller's recent refused signatures, each with
 * its reason code, the full reason and what to do next.  gpg can only
 * print "No policy match"; policyd remembers the reasons for the
 * requesting user (WHY --json, doc/policyd-protocol.md).  A policyd from
 * before WHY --json knows only the last one (plain WHY). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "pd.h"
#include "reqcmd.h"
#include "reqview.h"

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

/* The old WHY: the last refusal only (a policyd from before WHY --json). */
static int
why_last(assuan_context_t ctx)
{
	struct why_state st;
	uint8_t *reason = NULL;
	size_t len = 0;
	gpg_error_t err = 0;
	int rc;

	memset(&st, 0, sizeof(st));
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
	return rc;
}

int
why_command(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	assuan_context_t ctx = NULL;
	json_t *a = NULL;
	gpg_error_t err = 0;
	struct reqopt o;
	int rc;

	if ((rc = reqcmd_parse(cli, argc, argv, WHY_USAGE, REQCMD_JSON, 0, &o)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if ((rc = pd_connect(cli, o.socket, &cfg, &ctx)) != CLI_EXIT_OK)
		goto out;
	rc = pd_call_json(ctx, "WHY --json", JSON_ARRAY, &a, NULL, NULL, NULL, NULL, &err);
	if (rc != CLI_EXIT_OK && err != 0 &&
	    (gpg_err_code(err) == GPG_ERR_UNKNOWN_OPTION || gpg_err_code(err) == GPG_ERR_ASS_PARAMETER)) {
		if (o.json) {
			rc = cli_fail("why --json: this signet-policyd is older than WHY --json; run `signet why` "
			              "without --json, or update signet-policyd");
			goto out;
		}
		rc = why_last(ctx);
		goto out;
	}
	if (rc != CLI_EXIT_OK && err != 0 && gpg_err_code(err) != GPG_ERR_NOT_FOUND) {
		rc = cli_fail("why: %s; check that signet-policyd is as new as this signet", gpg_strerror(err));
		goto out;
	}
	if (rc != CLI_EXIT_OK && err == 0)
		goto out;   /* the answer was no JSON array: pd_call_json said so */
	if (a == NULL && (a = json_array()) == NULL) {
		rc = cli_fail("why: out of memory; try again");
		goto out;
	}
	if (o.json) {
		reqview_json(a);
	} else if (json_array_size(a) == 0) {
		printf("no refused signature of yours since signet-policyd started\n");
	} else {
		printf("your refused signatures, newest first:\n\n");
		reqview_refusals(a);
	}
	rc = CLI_EXIT_OK;
out:
	json_decref(a);
	if (ctx != NULL)
		pdclient_close(ctx);
	config_free(cfg);
	return rc;
}
