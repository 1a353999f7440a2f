/* daemon.c — `signet start` and `signet stop`: the daemons of a home,
 * signet-policyd and, once `signet tsa init` has run, signet-tsa.
 *
 * Both are found through their pid files and /proc (daemonproc.h): a pid
 * is signalled only when /proc says the process is the daemon named. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "commands.h"
#include "daemonproc.h"
#include "home.h"
#include "pd.h"
#include "run.h"
#include "tsad.h"

#define DAEMON_PROG "signet-policyd"

/* 1 when something answers at SOCKET with a version (into VERSION). */
static int
answers(const char *socket, char *version, size_t versionlen)
{
	assuan_context_t ctx = NULL;
	char reason[256];
	uint8_t *data = NULL;
	size_t len = 0;
	int ok = 0;

	version[0] = '\0';
	if (pd_open(socket, 1, &ctx) != CLI_EXIT_OK)
		return 0;
	if (pdclient_transact(ctx, "GETINFO version", &data, &len, NULL, NULL, reason, sizeof(reason)) == 0) {
		ok = 1;
		if (len < versionlen && memchr(data, 0, len) == NULL) {
			memcpy(version, data, len);
			version[len] = '\0';
		}
	}
	free(data);
	pdclient_close(ctx);
	return ok;
}

/* --home and --help only, then the home's config: CLI_EXIT_OK,
 * CLI_HELP_SHOWN, or the failure's exit code (printed). */
static int
open_home(struct cli *cli, int argc, char **argv, const char *usage, struct home *h,
          struct signet_config **cfg)
{
	int rc;

	*cfg = NULL;
	if ((rc = cli_parse_home(cli, argc, argv, usage)) != CLI_EXIT_OK)
		return rc;
	if (optind != argc)
		return cli_usage(usage, "%s: unexpected argument '%s'", argv[0], argv[optind]);
	return home_open(cli, h, cfg);
}

static const char *
policyd_log(const struct home *h, const struct signet_config *cfg)
{
	return cfg->log ? cfg->log : h->log;
}

/* Start H's signet-policyd unless it runs (and answers) already. */
static int
start_policyd(const struct cli *cli, const struct home *h, const struct signet_config *cfg)
{
	char *args[] = { DAEMON_PROG, "--config", (char *)h->conf, "--daemon", "--pidfile", (char *)h->pidfile,
	                 NULL };
	char version[128];
	pid_t pid = 0;
	int rc, status = -1;

	if (daemonproc_running(DAEMON_PROG, h->pidfile, 1, &pid)) {
		if (answers(cfg->socket, version, sizeof(version))) {
			printf("signet-policyd is already running (pid %ld, socket %s)\n", (long)pid, cfg->socket);
			return CLI_EXIT_OK;
		}
		return cli_fail("start signet-policyd: pid %ld from %s is running but does not answer at %s; "
		                "see %s, then `signet stop` and `signet start`",
		                (long)pid, h->pidfile, cfg->socket, h->log);
	}
	if (answers(cfg->socket, version, sizeof(version)))
		return cli_fail("start signet-policyd: another signet-policyd (%s) already answers at %s but %s does "
		                "not name it; stop that one first", version[0] ? version : "unknown version",
		                cfg->socket, h->pidfile);
	/* --daemon returns only once the socket listens. */
	if ((rc = run_sibling(cli, DAEMON_PROG, args, cfg->softhsm2_conf, NULL, &status)) != CLI_EXIT_OK)
		return rc;
	if (status != 0)
		return cli_fail("start signet-policyd: it exited with status %d; see the messages above and %s",
		                status, policyd_log(h, cfg));
	if (!answers(cfg->socket, version, sizeof(version)))
		return cli_fail("start signet-policyd: it reported success but does not answer at %s; see %s",
		                cfg->socket, policyd_log(h, cfg));
	if (daemonproc_read_pid(h->pidfile, &pid) == 1)
		printf("signet-policyd %s started (pid %ld), listening on %s\n", version, (long)pid, cfg->socket);
	else
		printf("signet-policyd %s started, listening on %s\n", version, cfg->socket);
	return CLI_EXIT_OK;
}

/* Stop H's signet-policyd if it runs. */
static int
stop_policyd(const struct home *h, const struct signet_config *cfg)
{
	char version[128];
	pid_t pid = 0;

	if (!daemonproc_running(DAEMON_PROG, h->pidfile, 1, &pid)) {
		if (answers(cfg->socket, version, sizeof(version)))
			return cli_fail("stop signet-policyd: a signet-policyd answers at %s but %s does not name it; "
			                "stop it by its pid (it was not started by `signet start` for this home)",
			                cfg->socket, h->pidfile);
		printf("signet-policyd is not running (home %s)\n", h->dir);
		return CLI_EXIT_OK;
	}
	return daemonproc_stop(DAEMON_PROG, pid, h->pidfile, policyd_log(h, cfg));
}

int
daemon_command_start(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	struct home h;
	int rc;

	if ((rc = open_home(cli, argc, argv, START_USAGE, &h, &cfg)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	/* The TSA does not need policyd, but a home whose policyd cannot
	 * start is broken: say so first and start nothing more. */
	if ((rc = start_policyd(cli, &h, cfg)) == CLI_EXIT_OK)
		rc = tsad_start(cli, &h);
	config_free(cfg);
	return rc;
}

int
daemon_command_stop(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	struct home h;
	int rc, rc_tsa;

	if ((rc = open_home(cli, argc, argv, STOP_USAGE, &h, &cfg)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	/* Both, whatever happens to the first; policyd first, so that its
	 * last checkpoint can still get a time-stamp from the home's TSA. */
	rc = stop_policyd(&h, cfg);
	rc_tsa = tsad_stop(&h);
	config_free(cfg);
	return rc != CLI_EXIT_OK ? rc : rc_tsa;
}
