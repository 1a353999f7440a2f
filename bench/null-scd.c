/* null-scd.c — a measuring instrument, not a card: an scdaemon that
 * answers gpg-agent's signing round trips (SERIALNO, SETDATA, PKSIGN) with
 * a fixed 64-byte "signature", for bench/cardmodel.sh.  Bare, it measures
 * what gpg-connect-agent, gpg-agent and their Assuan hops cost by
 * themselves (the floor under any scdaemon); its knobs make it a model
 * card of known cost, each step taken in this order per PKSIGN:
 *   NULL_SCD_HOP=SOCKET   one NOP round trip to a signet-policyd socket
 *                         (one more process in the chain, doing nothing);
 *   NULL_SCD_SPIN_US=N    N µs of CPU (a signature computed on the host);
 *   NULL_SCD_SERIAL_US=N  N µs off the CPU, one session at a time (a sync
 *                         that costs nothing but time);
 *   NULL_SCD_SYNC=FILE    a 300-byte append to FILE and its fdatasync(2),
 *                         one session at a time (a durable record).
 * gpg-agent runs it as its scdaemon-program; the card's serial number is
 * NULL_SCD_SERIAL.  Nothing it returns verifies: gpg-connect-agent only. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <assuan.h>

struct nsd {
	char serial[64];
	long spin_us, serial_us;
	pthread_mutex_t serial_lock;
	char socket_name[108];
	const char *hop;
	int sync_fd;
};

static struct nsd g;   /* a measuring tool: one process, read-only after start */
static __thread int hop_fd = -1;

/* One NOP round trip to the policyd socket at g.hop, on this thread's own
 * connection (made at first use, greeting read then). */
static int
hop(void)
{
	struct sockaddr_un sun;
	char buf[256];
	ssize_t n;
	size_t got = 0;

	if (hop_fd < 0) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", g.hop);
		if ((hop_fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			return -1;
		if (connect(hop_fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || read(hop_fd, buf, sizeof(buf)) <= 0) {
			close(hop_fd);
			hop_fd = -1;
			return -1;
		}
	}
	if (write(hop_fd, "NOP\n", 4) != 4)
		return -1;
	while (got < 3 || memcmp(buf + got - 3, "OK\n", 3) != 0) {
		if ((n = read(hop_fd, buf + got, sizeof(buf) - got)) <= 0)
			return -1;
		got += (size_t)n;
		if (got == sizeof(buf))
			got = 0;
	}
	return 0;
}

static gpg_error_t
cmd_serialno(assuan_context_t ctx, char *line)
{
	(void)line;
	return assuan_write_status(ctx, "SERIALNO", g.serial);
}

static gpg_error_t
cmd_ok(assuan_context_t ctx, char *line)
{
	(void)ctx;
	(void)line;
	return 0;
}

static gpg_error_t
cmd_pksign(assuan_context_t ctx, char *line)
{
	unsigned char sig[64];
	gpg_error_t err = 0;

	(void)line;
	if (g.hop != NULL && hop() != 0)
		return gpg_error(GPG_ERR_NOT_FOUND);
	if (g.spin_us > 0) {
		struct timespec t0, t;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		do
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
		while ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 < g.spin_us);
	}
	if (g.serial_us > 0 || g.sync_fd >= 0) {
		char rec[300];

		memset(rec, 'x', sizeof(rec) - 1);
		rec[sizeof(rec) - 1] = '\n';
		pthread_mutex_lock(&g.serial_lock);
		if (g.serial_us > 0)
			usleep((useconds_t)g.serial_us);
		if (g.sync_fd >= 0 && (write(g.sync_fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec) || fdatasync(g.sync_fd) != 0))
			err = gpg_error_from_syserror();
		pthread_mutex_unlock(&g.serial_lock);
		if (err != 0)
			return err;
	}
	memset(sig, 0x5a, sizeof(sig));
	if ((err = assuan_send_data(ctx, sig, sizeof(sig))) != 0)
		return err;
	return assuan_send_data(ctx, NULL, 0);
}

static gpg_error_t
cmd_getinfo(assuan_context_t ctx, char *line)
{
	if (strcmp(line, "socket_name") == 0 && g.socket_name[0] != '\0')
		return assuan_send_data(ctx, g.socket_name, strlen(g.socket_name));
	if (strcmp(line, "version") == 0)
		return assuan_send_data(ctx, "2.2.40", 6);
	return gpg_error(GPG_ERR_ASS_PARAMETER);
}

static gpg_error_t
setup(assuan_context_t ctx)
{
	static const struct {
		const char *name;
		assuan_handler_t h;
	} cmds[] = {
		{ "SERIALNO", cmd_serialno }, { "SETDATA", cmd_ok },  { "PKSIGN", cmd_pksign },
		{ "GETINFO", cmd_getinfo },   { "RESTART", cmd_ok },  { "LEARN", cmd_ok },
		{ "GETATTR", cmd_ok },        { "KILLSCD", cmd_ok },
	};
	size_t i;
	gpg_error_t err;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if ((err = assuan_register_command(ctx, cmds[i].name, cmds[i].h, NULL)) != 0)
			return err;
	return 0;
}

static void
serve(assuan_context_t ctx)
{
	while (assuan_accept(ctx) == 0)
		if (assuan_process(ctx) != 0)
			break;
}

static void *
conn_thread(void *arg)
{
	int fd = (int)(long)arg;
	assuan_context_t ctx = NULL;

	if (assuan_new(&ctx) == 0 &&
	    assuan_init_socket_server(ctx, fd, ASSUAN_SOCKET_SERVER_ACCEPTED) == 0 && setup(ctx) == 0)
		serve(ctx);
	else
		close(fd);
	assuan_release(ctx);
	return NULL;
}

static void *
accept_thread(void *arg)
{
	int lfd = (int)(long)arg, fd;
	pthread_t t;

	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (pthread_create(&t, NULL, conn_thread, (void *)(long)fd) != 0)
			close(fd);
		else
			pthread_detach(t);
	}
}

static int
extra_socket(void)
{
	struct sockaddr_un sun;
	char dir[] = "/tmp/nsdXXXXXX";
	int fd;

	if (mkdtemp(dir) == NULL || (fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/S.scdaemon", dir);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || listen(fd, 16) != 0) {
		close(fd);
		return -1;
	}
	snprintf(g.socket_name, sizeof(g.socket_name), "%s", sun.sun_path);
	return fd;
}

int
main(void)
{
	assuan_context_t ctx = NULL;
	assuan_fd_t fds[2] = { 0, 1 };
	const char *serial = getenv("NULL_SCD_SERIAL");
	pthread_t t;
	int lfd;

	if (serial == NULL || strlen(serial) >= sizeof(g.serial)) {
		fprintf(stderr, "null-scd: set NULL_SCD_SERIAL to the card's serial number\n");
		return 2;
	}
	snprintf(g.serial, sizeof(g.serial), "%s", serial);
	g.spin_us = getenv("NULL_SCD_SPIN_US") != NULL ? atol(getenv("NULL_SCD_SPIN_US")) : 0;
	g.serial_us = getenv("NULL_SCD_SERIAL_US") != NULL ? atol(getenv("NULL_SCD_SERIAL_US")) : 0;
	pthread_mutex_init(&g.serial_lock, NULL);
	g.hop = getenv("NULL_SCD_HOP");
	g.sync_fd = getenv("NULL_SCD_SYNC") == NULL ? -1
	            : open(getenv("NULL_SCD_SYNC"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if ((lfd = extra_socket()) < 0 || pthread_create(&t, NULL, accept_thread, (void *)(long)lfd) != 0) {
		fprintf(stderr, "null-scd: no extra socket: %s\n", strerror(errno));
		return 1;
	}
	if (assuan_new(&ctx) != 0 || assuan_init_pipe_server(ctx, fds) != 0 || setup(ctx) != 0) {
		fprintf(stderr, "null-scd: cannot start the pipe server\n");
		return 1;
	}
	serve(ctx);
	assuan_release(ctx);
	return 0;
}
