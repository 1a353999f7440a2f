/* daemonproc.c — pid files and /proc identity of Signet's daemons. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "daemonproc.h"

#define DAEMONPROC_POLL_MS     100
#define DAEMONPROC_PIDFILE_MAX 32
#define DAEMONPROC_COMM_MAX    16      /* TASK_COMM_LEN */

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

int
daemonproc_read_pid(const char *path, pid_t *pid)
{
	char buf[DAEMONPROC_PIDFILE_MAX + 1], *end;
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

int
daemonproc_is(pid_t pid, const char *prog)
{
	char path[64], comm[DAEMONPROC_COMM_MAX + 16];

	if (pid <= 1 || (kill(pid, 0) != 0 && errno != EPERM))
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	if (read_short(path, 0, comm, sizeof(comm)) <= 0)
		return 0;
	comm[strcspn(comm, "\n")] = '\0';
	/* comm is cut at 15 bytes ("signet-policyd" is 14, "signet-tsa" 10). */
	if (strncmp(comm, prog, DAEMONPROC_COMM_MAX - 1) != 0)
		return 0;
	return !is_zombie(pid);
}

int
daemonproc_running(const char *prog, const char *pidfile, int remove_stale, pid_t *pid)
{
	int have = daemonproc_read_pid(pidfile, pid);

	if (have == 1 && daemonproc_is(*pid, prog))
		return 1;
	*pid = 0;
	/* Stale: the daemon died without cleaning up. */
	if (have != 0 && remove_stale && unlink(pidfile) == 0)
		printf("removed stale pid file %s\n", pidfile);
	return 0;
}

int
daemonproc_stop(const char *prog, pid_t pid, const char *pidfile, const char *log)
{
	struct timespec ts = { 0, DAEMONPROC_POLL_MS * 1000000L };
	int i;

	if (kill(pid, SIGTERM) != 0)
		return cli_fail("stop %s (pid %ld): %s; stop it as its owner or root", prog, (long)pid,
		                strerror(errno));
	for (i = 0; i < DAEMONPROC_STOP_TIMEOUT * 1000 / DAEMONPROC_POLL_MS; i++) {
		if (!daemonproc_is(pid, prog))
			break;
		nanosleep(&ts, NULL);
	}
	if (daemonproc_is(pid, prog))
		return cli_fail("stop %s (pid %ld): still running %d s after SIGTERM; see %s, then `kill -KILL %ld`",
		                prog, (long)pid, DAEMONPROC_STOP_TIMEOUT, log, (long)pid);
	if (unlink(pidfile) == 0)
		printf("removed pid file %s\n", pidfile);
	printf("%s (pid %ld) stopped\n", prog, (long)pid);
	return CLI_EXIT_OK;
}
