/* policyd-load — signet-policyd's own signing rate: N client threads, each
 * with its own connection, send SIGN for PROJECT in a loop for SECS seconds.
 * Prints: clients ops ops_per_s p50_us p99_us errors
 *
 *   policyd-load -s SOCKET -p PROJECT [-c CLIENTS] [-t SECS]
 *   policyd-load -s SOCKET -i N
 *
 * -i: open N idle connections (each greeted), print "held N" (or how many
 * before policyd refused or closed one) and hold them until standard input
 * ends.
 * -w: open N connections that each send SIGN for PROJECT and wait for
 * approvers (policyd answers "S REQUEST <id> …" and keeps the command
 * open), print "waiting N" (or how many got that far) and hold them until
 * standard input ends.
 *
 *   policyd-load -s SOCKET -p PROJECT -w N
 *
 * -n: send NOP instead of SIGN (no -p): the round trip alone, with
 * nothing checked, signed or written; what any request costs at least.
 *
 *   policyd-load -s SOCKET -n [-c CLIENTS] [-t SECS]
 */
#include <assuan.h>
#include <gpg-error.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 64
#define MAX_SAMPLES 200000

struct worker {
	const char *socket;
	const char *cmd;
	double secs;
	long ops, errors;
	uint32_t *lat_us;
	size_t nlat;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static gpg_error_t
discard_data(void *opaque, const void *buf, size_t len)
{
	(void)opaque; (void)buf; (void)len;
	return 0;
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	assuan_context_t ctx = NULL;
	double end, t0, t1;

	if (assuan_new(&ctx) || assuan_socket_connect(ctx, w->socket, ASSUAN_INVALID_PID, 0)) {
		fprintf(stderr, "policyd-load: cannot connect to %s\n", w->socket);
		w->errors++;
		goto out;
	}
	end = now_s() + w->secs;
	while ((t0 = now_s()) < end) {
		if (assuan_transact(ctx, w->cmd, discard_data, NULL, NULL, NULL, NULL, NULL))
			w->errors++;
		else
			w->ops++;
		t1 = now_s();
		if (w->nlat < MAX_SAMPLES)
			w->lat_us[w->nlat++] = (uint32_t)((t1 - t0) * 1e6);
	}
out:
	assuan_release(ctx);
	return NULL;
}

/* One connection that read policyd's greeting, or -1. */
static int
idle_connect(const char *path)
{
	struct sockaddr_un sa;
	char buf[256];
	ssize_t n;
	int fd;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    (n = read(fd, buf, sizeof buf)) < 3 || memcmp(buf, "OK ", 3) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One connection whose SIGN (CMD) waits for approvers, or -1. */
static int
wait_connect(const char *path, const char *cmd)
{
	struct timeval tv = { .tv_sec = 30 };
	char buf[2048], line[600];
	size_t have = 0;
	ssize_t n;
	int fd;

	if ((fd = idle_connect(path)) < 0)
		return -1;
	snprintf(line, sizeof line, "%s\n", cmd);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		goto bad;
	while (have < sizeof buf - 1 && (n = read(fd, buf + have, sizeof buf - 1 - have)) > 0) {
		have += (size_t)n;
		buf[have] = '\0';
		if (strncmp(buf, "S REQUEST ", 10) == 0 || strstr(buf, "\nS REQUEST ") != NULL)
			return fd;
		if (strncmp(buf, "ERR", 3) == 0 || strstr(buf, "\nERR") != NULL ||
		    strncmp(buf, "OK", 2) == 0 || strstr(buf, "\nOK") != NULL)
			break;
	}
bad:
	close(fd);
	return -1;
}

static int
idle_hold(const char *path, long n)
{
	char c;
	long i;

	for (i = 0; i < n; i++)
		if (idle_connect(path) < 0)
			break;
	printf("held %ld\n", i);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return i == n ? 0 : 1;
}

static int
wait_hold(const char *path, const char *cmd, long n)
{
	char c;
	long i;

	for (i = 0; i < n; i++)
		if (wait_connect(path, cmd) < 0)
			break;
	printf("waiting %ld\n", i);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return i == n ? 0 : 1;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char *socket = NULL, *project = NULL;
	int clients = 1, c, i;
	long idle = 0, waiting = 0;
	int nop = 0;
	double secs = 3;
	char cmd[512];
	struct worker w[MAX_CLIENTS];
	pthread_t th[MAX_CLIENTS];
	uint32_t *all;
	size_t nall = 0;
	long ops = 0, errors = 0;

	while ((c = getopt(argc, argv, "s:p:c:t:i:w:n")) != -1) {
		switch (c) {
		case 'i': idle = atol(optarg); break;
		case 'n': nop = 1; break;
		case 'w': waiting = atol(optarg); break;
		case 's': socket = optarg; break;
		case 'p': project = optarg; break;
		case 'c': clients = atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		default: goto usage;
		}
	}
	if (socket && idle > 0)
		return idle_hold(socket, idle);
	if (!socket || (!project && !nop) || clients < 1 || clients > MAX_CLIENTS || secs <= 0)
		goto usage;
	if (nop)
		snprintf(cmd, sizeof cmd, "NOP");
	else
		snprintf(cmd, sizeof cmd, "SIGN --hash=sha256 %s %s", project,
		         "5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A");
	if (waiting > 0)
		return wait_hold(socket, cmd, waiting);
	gpgrt_check_version(NULL);
	assuan_set_gpg_err_source(GPG_ERR_SOURCE_USER_1);
	all = calloc((size_t)clients * MAX_SAMPLES, sizeof *all);
	if (!all)
		return 1;
	for (i = 0; i < clients; i++) {
		w[i] = (struct worker){ .socket = socket, .cmd = cmd, .secs = secs,
		                        .lat_us = all + (size_t)i * MAX_SAMPLES };
		pthread_create(&th[i], NULL, worker_run, &w[i]);
	}
	for (i = 0; i < clients; i++) {
		pthread_join(th[i], NULL);
		ops += w[i].ops;
		errors += w[i].errors;
		memmove(all + nall, w[i].lat_us, w[i].nlat * sizeof *all);
		nall += w[i].nlat;
	}
	qsort(all, nall, sizeof *all, cmp_u32);
	printf("%d\t%ld\t%.1f\t%u\t%u\t%ld\n", clients, ops, ops / secs,
	       nall ? all[nall / 2] : 0, nall ? all[nall * 99 / 100] : 0, errors);
	free(all);
	return errors ? 1 : 0;
usage:
	fprintf(stderr, "usage: policyd-load -s SOCKET -p PROJECT [-c CLIENTS] [-t SECS]\n"
	                "       policyd-load -s SOCKET -i IDLE-CONNECTIONS\n"
	                "       policyd-load -s SOCKET -p PROJECT -w WAITING-SIGNS\n"
	                "       policyd-load -s SOCKET -n [-c CLIENTS] [-t SECS]\n");
	return 2;
}
