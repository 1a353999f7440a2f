/* daemon.c — `signet start` and `signet stop`: signet-policyd of a home.
 *
 * The pid file is only a hint: a pid is signalled only when /proc says the
 * process is signet-policyd, so a stale file whose pid was reused by another
 * program is never acted on. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "home.h"
#include "pd.h"
#include "run.h"

#define DAEMON_PROG          "signet-policyd"
#define DAEMON_STOP_TIMEOUT  10        /* seconds */
#define DAEMON_POLL_MS       100
#define DAEMON_PIDFILE_MAX   32

/* Read at most SIZE - 1 bytes of PATH (one read: pid files and /proc
 * files are short) into BUF and NUL-terminate them.  Returns the byte
 * count, or -1 with errno from open() or read(). */
static ssize_t
read_short(const char *path, int flags, char *buf, size_t size)
{
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | flags)) < 0)
		return -1;
	n = read(fd, buf, size - 1);
	saved = errno;
	close(fd);
	errno = saved;
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Read a positive pid from PATH: 1 found, 0 no file, -1 garbage. */
static int
read_pidfile(const char *path, pid_t *pid)
{
	char buf[DAEMON_PIDFILE_MAX + 1], *end;
	ssize_t n;
	long v;

	*pid = 0;
	if ((n = read_short(path, O_NOFOLLOW, buf, sizeof(buf))) < 0)
		return errno == ENOENT ? 0 : -1;
	if (n == 0)
		return -1;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\0' && *end != '\n') || v <= 1 || v > 0x3fffffff)
		return -1;
	*pid = (pid_t)v;
	return 1;
}

/* A daemon that exited but was not reaped yet (no init reaping in some
 * containers) still has its comm; it counts as gone. */
static int
is_zombie(pid_t pid)
{
	char path[64], stat[512], *p;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (read_short(path, 0, stat, sizeof(stat)) <= 0)
		return 1;
	p = strrchr(stat, ')');
	return p == NULL || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

/* 1 if PID is alive and is signet-policyd. */
static int
is_policyd(pid_t pid)
{
	char path[64], comm[32];

	if (kill(pid, 0) != 0 && errno != EPERM)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	if (read_short(path, 0, comm, sizeof(comm)) <= 0)
		return 0;
	comm[strcspn(comm, "\n")] = '\0';
	/* comm is cut at 15 bytes; "signet-policyd" is 14. */
	if (strcmp(comm, DAEMON_PROG) != 0)
		return 0;
	return !is_zombie(pid);
}

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

int
daemon_command_start(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	char policyd[PATH_MAX], version[128];
	struct run_env env = { .n = 0 };
	struct home h;
	pid_t pid = 0;
	gpg_error_t err;
	int rc, status = -1, have;

	if ((rc = open_home(cli, argc, argv, START_USAGE, &h, &cfg)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;

	have = read_pidfile(h.pidfile, &pid);
	if (have == 1 && is_policyd(pid)) {
		if (answers(cfg->socket, version, sizeof(version))) {
			printf("signet-policyd is already running (pid %ld, socket %s)\n", (long)pid, cfg->socket);
			rc = CLI_EXIT_OK;
		} else {
			rc = cli_fail("start signet-policyd: pid %ld from %s is running but does not answer at %s; "
			              "see %s, then `signet stop` and `signet start`",
			              (long)pid, h.pidfile, cfg->socket, h.log);
		}
		goto out;
	}
	if (have != 0) {
		/* Stale: the daemon died without cleaning up. */
		if (unlink(h.pidfile) == 0)
			printf("removed stale pid file %s\n", h.pidfile);
	}
	if (answers(cfg->socket, version, sizeof(version))) {
		rc = cli_fail("start signet-policyd: another signet-policyd (%s) already answers at %s but %s does "
		              "not name it; stop that one first", version[0] ? version : "unknown version",
		              cfg->socket, h.pidfile);
		goto out;
	}
	if ((err = cli_sibling(cli, DAEMON_PROG, policyd, sizeof(policyd))) != 0) {
		rc = cli_fail("find %s in %s: %s; build it (`make`) or install signet completely",
		              DAEMON_PROG, cli->bindir, gpg_strerror(err));
		goto out;
	}
	if ((err = run_env_init(&env)) != 0 ||
	    (cfg->softhsm2_conf && (err = run_env_set(&env, "SOFTHSM2_CONF", cfg->softhsm2_conf)) != 0)) {
		rc = cli_fail("prepare the environment: %s; try again", gpg_strerror(err));
		goto out;
	}
	{
		char *args[] = { DAEMON_PROG, "--config", h.conf, "--daemon", "--pidfile", h.pidfile, NULL };

		/* --daemon returns only once the socket listens. */
		err = run_program(policyd, args, &env, NULL, 0, NULL, &status);
	}
	if (err != 0) {
		rc = cli_fail("run %s: %s; check that it is executable", policyd, gpg_strerror(err));
		goto out;
	}
	if (status != 0) {
		rc = cli_fail("start signet-policyd: it exited with status %d; see the messages above and %s",
		              status, cfg->log ? cfg->log : h.log);
		goto out;
	}
	if (!answers(cfg->socket, version, sizeof(version))) {
		rc = cli_fail("start signet-policyd: it reported success but does not answer at %s; see %s",
		              cfg->socket, cfg->log ? cfg->log : h.log);
		goto out;
	}
	if (read_pidfile(h.pidfile, &pid) == 1)
		printf("signet-policyd %s started (pid %ld), listening on %s\n", version, (long)pid, cfg->socket);
	else
		printf("signet-policyd %s started, listening on %s\n", version, cfg->socket);
	rc = CLI_EXIT_OK;
out:
	run_env_clear(&env);
	config_free(cfg);
	return rc;
}

int
daemon_command_stop(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	char version[128];
	struct home h;
	struct timespec ts = { 0, DAEMON_POLL_MS * 1000000L };
	pid_t pid = 0;
	int rc, have, i;

	if ((rc = open_home(cli, argc, argv, STOP_USAGE, &h, &cfg)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;

	have = read_pidfile(h.pidfile, &pid);
	if (have != 1 || !is_policyd(pid)) {
		if (have != 0 && unlink(h.pidfile) == 0)
			printf("removed stale pid file %s\n", h.pidfile);
		if (answers(cfg->socket, version, sizeof(version))) {
			rc = cli_fail("stop signet-policyd: a signet-policyd answers at %s but %s does not name it; "
			              "stop it by its pid (it was not started by `signet start` for this home)",
			              cfg->socket, h.pidfile);
			goto out;
		}
		printf("signet-policyd is not running (home %s)\n", h.dir);
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (kill(pid, SIGTERM) != 0) {
		rc = cli_fail("stop signet-policyd (pid %ld): %s; stop it as its owner or root",
		              (long)pid, strerror(errno));
		goto out;
	}
	for (i = 0; i < DAEMON_STOP_TIMEOUT * 1000 / DAEMON_POLL_MS; i++) {
		if (!is_policyd(pid))
			break;
		nanosleep(&ts, NULL);
	}
	if (is_policyd(pid)) {
		rc = cli_fail("stop signet-policyd (pid %ld): still running %d s after SIGTERM; see %s, "
		              "then `kill -KILL %ld`", (long)pid, DAEMON_STOP_TIMEOUT,
		              cfg->log ? cfg->log : h.log, (long)pid);
		goto out;
	}
	if (unlink(h.pidfile) == 0)
		printf("removed pid file %s\n", h.pidfile);
	printf("signet-policyd (pid %ld) stopped\n", (long)pid);
	rc = CLI_EXIT_OK;
out:
	config_free(cfg);
	return rc;
}
