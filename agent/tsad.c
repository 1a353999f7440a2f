/* tsad.c — starting, stopping and reporting a home's signet-tsa. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemonproc.h"
#include "run.h"
#include "tsaconf.h"
#include "tsad.h"

#define TSAD_LOG_TAIL 2048   /* bytes of the log shown when a start fails */

int
tsad_running(const struct home *h, pid_t *pid)
{
	return daemonproc_running(TSAD_PROG, h->tsa_pidfile, 0, pid);
}

/* The log file of TC (the home's default when tsa.conf names none). */
static const char *
log_of(const struct home *h, const struct tsaconf *tc)
{
	return tc->log[0] != '\0' ? tc->log : h->tsa_log;
}

/* The last TSAD_LOG_TAIL bytes of PATH on stderr, from a line start. */
static void
print_log_tail(const char *path)
{
	char buf[TSAD_LOG_TAIL + 1], *p;
	off_t size;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > 0 && lseek(fd, size > TSAD_LOG_TAIL ? size - TSAD_LOG_TAIL : 0, SEEK_SET) >= 0 &&
	    (n = read(fd, buf, TSAD_LOG_TAIL)) > 0) {
		buf[n] = '\0';
		p = buf;
		if (size > TSAD_LOG_TAIL && (p = strchr(buf, '\n')) != NULL)
			p++;
		if (p != NULL && *p != '\0')
			fprintf(stderr, "---- %s (end)\n%s", path, p);
	}
	close(fd);
}

/* Read H's tsa.conf into TC.  1: read; 0: there is none (not
 * initialised); -1: failure, printed unless QUIET. */
static int
load(const struct home *h, struct tsaconf *tc, int quiet)
{
	char err[512];
	gpg_error_t rc;

	rc = tsaconf_read(h->tsa_conf, tc, err, sizeof(err));
	if (gpg_err_code(rc) == GPG_ERR_ENOENT)
		return 0;
	if (rc != 0) {
		if (!quiet)
			cli_fail("read %s: %s; fix the file (signet-tsa(8))", h->tsa_conf,
			         err[0] ? err : gpg_strerror(rc));
		return -1;
	}
	return 1;
}

/* Run signet-tsa --daemon; its own output is kept and shown only if it
 * fails (it reports start-up errors on stderr before detaching). */
static int
spawn(const struct cli *cli, const struct home *h, const struct tsaconf *tc, const char *url)
{
	char *args[] = { TSAD_PROG, "--config", (char *)h->tsa_conf, "--daemon", "--pidfile",
	                 (char *)h->tsa_pidfile, NULL };
	char *out = NULL;
	pid_t pid = 0;
	int rc, status = -1;

	/* --daemon returns only once the listener is up. */
	if ((rc = run_sibling(cli, TSAD_PROG, args, NULL, &out, &status)) != CLI_EXIT_OK)
		goto out;
	if (status != 0) {
		fflush(stdout);
		if (out != NULL && out[0] != '\0')
			fputs(out, stderr);
		else
			print_log_tail(log_of(h, tc));
		rc = cli_fail("start %s: it exited with status %d; see the reason above and %s, fix %s, "
		              "then `signet start` again", TSAD_PROG, status, log_of(h, tc), h->tsa_conf);
		goto out;
	}
	if (daemonproc_read_pid(h->tsa_pidfile, &pid) == 1)
		printf("%s started (pid %ld), serving %s\n", TSAD_PROG, (long)pid, url);
	else
		printf("%s started, serving %s\n", TSAD_PROG, url);
	rc = CLI_EXIT_OK;
out:
	free(out);
	return rc;
}

int
tsad_start(const struct cli *cli, const struct home *h)
{
	struct tsaconf tc;
	struct stat st;
	char url[TSACONF_URL_MAX];
	pid_t pid = 0;
	int have;

	if ((have = load(h, &tc, 0)) <= 0)
		return have == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	if (tsaconf_url(&tc, url, sizeof(url)) != 0)
		return cli_fail("read %s: listen = %s is not ADDRESS:PORT; fix it (signet-tsa(8))",
		                h->tsa_conf, tc.listen);
	if (tc.cert[0] == '\0' || stat(tc.cert, &st) != 0) {
		printf("%s not started: its certificate %s is not there yet; finish `signet tsa init` "
		       "(after --csr: signet tsa init --cert CERT --ca CA)\n", TSAD_PROG,
		       tc.cert[0] ? tc.cert : "(cert in tsa.conf)");
		return CLI_EXIT_OK;
	}
	if (daemonproc_running(TSAD_PROG, h->tsa_pidfile, 1, &pid)) {
		printf("%s is already running (pid %ld, %s)\n", TSAD_PROG, (long)pid, url);
		return CLI_EXIT_OK;
	}
	return spawn(cli, h, &tc, url);
}

int
tsad_stop(const struct home *h)
{
	struct tsaconf tc;
	struct stat st;
	pid_t pid = 0;
	int have;

	/* A broken tsa.conf does not keep a running daemon alive: the pid
	 * file is all stopping needs. */
	if ((have = load(h, &tc, 1)) < 0)
		memset(&tc, 0, sizeof(tc));
	if (!daemonproc_running(TSAD_PROG, h->tsa_pidfile, 1, &pid)) {
		if (have == 1 || lstat(h->tsa_pidfile, &st) == 0)
			printf("%s is not running (home %s)\n", TSAD_PROG, h->dir);
		return CLI_EXIT_OK;
	}
	return daemonproc_stop(TSAD_PROG, pid, h->tsa_pidfile, log_of(h, &tc));
}

void
tsad_print_status(const struct home *h)
{
	struct tsaconf tc;
	struct stat st;
	char url[TSACONF_URL_MAX];
	pid_t pid = 0;
	int have;

	have = load(h, &tc, 0);
	if (have == 0) {
		printf("tsa:      not initialised (`signet tsa init` sets it up)\n");
		return;
	}
	if (have < 0) {
		printf("tsa:      %s unreadable (see above)\n", h->tsa_conf);
		return;
	}
	if (tsaconf_url(&tc, url, sizeof(url)) != 0)
		snprintf(url, sizeof(url), "listen = %s", tc.listen);
	if (tsad_running(h, &pid))
		printf("tsa:      running, pid %ld, %s\n", (long)pid, url);
	else if (tc.cert[0] == '\0' || stat(tc.cert, &st) != 0)
		printf("tsa:      waiting for its certificate %s (signet tsa init --cert CERT --ca CA)\n", tc.cert);
	else
		printf("tsa:      not running (`signet start` starts it at %s)\n", url);
}
