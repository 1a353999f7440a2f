/* restart.c — see restart.h. */
#define GPG_ERR_SOURCE_DEFAULT GPG_ERR_SOURCE_SCD
#include "restart.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "command.h"
#include "log.h"

#define SELF_EXE "/proc/self/exe"
#define DELETED_SUFFIX " (deleted)"

/* The program to run again: the file gpg-agent started, or the one that
 * now stands at its path if a package upgrade replaced it (as a new
 * scdaemon would run the new program); else our own image. */
static void
self_path(char *out, size_t outlen)
{
	size_t slen = strlen(DELETED_SUFFIX);
	ssize_t n;

	n = readlink(SELF_EXE, out, outlen - 1);
	if (n <= 0 || (size_t)n >= outlen - 1) {
		snprintf(out, outlen, "%s", SELF_EXE);
		return;
	}
	out[n] = '\0';
	if ((size_t)n > slen && strcmp(out + n - slen, DELETED_SUFFIX) == 0) {
		out[n - slen] = '\0';
		if (access(out, X_OK) != 0)
			snprintf(out, outlen, "%s", SELF_EXE);
	}
}

void
restart_exec(struct scd_server *srv)
{
	char prog[PATH_MAX], fdbuf[16], sigbuf[16];
	const char *argv[12];
	int i = 0, flags, signo;

	pthread_mutex_lock(&srv->lock);
	signo = srv->event_signal;
	pthread_mutex_unlock(&srv->lock);

	argv[i++] = "signet-scd";
	argv[i++] = srv->multi ? "--multi-server" : "--server";
	argv[i++] = "--homedir";
	argv[i++] = srv->homedir;
	argv[i++] = RESTART_OPT_RESUMED;
	if (srv->listen_fd >= 0 && srv->sockdir[0] != '\0') {
		flags = fcntl(srv->listen_fd, F_GETFD);
		if (flags < 0 || fcntl(srv->listen_fd, F_SETFD, flags & ~FD_CLOEXEC) != 0) {
			log_error("restart: cannot keep the extra socket: %s", strerror(errno));
			return;
		}
		snprintf(fdbuf, sizeof(fdbuf), "%d", srv->listen_fd);
		argv[i++] = RESTART_OPT_LISTEN_FD;
		argv[i++] = fdbuf;
	}
	if (signo > 0) {
		snprintf(sigbuf, sizeof(sigbuf), "%d", signo);
		argv[i++] = RESTART_OPT_EVENT_SIGNAL;
		argv[i++] = sigbuf;
	}
	argv[i] = NULL;
	/* KILLSCD closed the pipe in this image (libassuan's force-close):
	 * put gpg-agent's ends back on 0 and 1 from the copies we kept. */
	if (srv->pipe_keep[0] < 0 || dup2(srv->pipe_keep[0], 0) != 0 ||
	    dup2(srv->pipe_keep[1], 1) != 1) {
		log_error("restart: gpg-agent's pipe was not kept");
		return;
	}
	self_path(prog, sizeof(prog));
	log_info("KILLSCD: restarting in place (%s)", prog);
	/* Every other descriptor of ours is close-on-exec; the socket
	 * connections end here, and gpg-agent's sessions on them see EOF,
	 * as with a scdaemon that exits. */
	execv(prog, (char *const *)argv);
	log_error("restart: cannot run %s: %s", prog, strerror(errno));
}

void
restart_init(struct scd_server *srv)
{
	if (pipe2(srv->wake, O_CLOEXEC) == 0)
		srv->wake_ok = 1;
	else
		log_warn("restart: no wake pipe (%s): a KILLSCD on the extra socket "
		         "restarts at once", strerror(errno));
}

void
restart_request(struct scd_server *srv)
{
	char c = 'r';

	if (!srv->wake_ok) {
		server_restart(srv);
		return;
	}
	log_info("KILLSCD on a socket connection: restarting once the pipe is idle");
	/* One byte is enough however many ask; a full pipe already wakes. */
	while (write(srv->wake[1], &c, 1) < 0 && errno == EINTR)
		;
}

/* Between two pipe commands: wait until FD has input (0) or a restart
 * was asked for (1). */
static int
wait_line(struct scd_server *srv, int fd)
{
	struct pollfd pfd[2];

	for (;;) {
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = srv->wake[0];
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 0;       /* the read reports what is wrong */
		}
		if (pfd[1].revents != 0)
			return 1;
		if (pfd[0].revents != 0)
			return 0;
	}
}

/* libassuan's read on the pipe: outside a command (an INQUIRE's answer is
 * read inside one) wait for the line or a restart. */
static ssize_t
pipe_read(assuan_context_t ctx, assuan_fd_t fd, void *buffer, size_t size)
{
	struct scd_server *srv = command_server(ctx);

	if (command_flush(ctx) != 0)
		return -1;
	if (srv != NULL && srv->wake_ok && !srv->pipe_busy && wait_line(srv, fd))
		server_restart(srv);
	return __assuan_read(ctx, fd, buffer, size);
}

/* CMD is about to run on a connection of SRV: KILLSCD stops the
 * accepting before its OK can reach anyone. */
static void
note_command(struct scd_server *srv, const char *cmd)
{
	if (cmd == NULL || strcasecmp(cmd, "KILLSCD") != 0)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->restart_pending = 1;
	pthread_mutex_unlock(&srv->lock);
}

static gpg_error_t
pipe_pre_cmd(assuan_context_t ctx, const char *cmd)
{
	struct scd_server *srv = command_server(ctx);

	if (srv != NULL) {
		srv->pipe_busy = 1;
		note_command(srv, cmd);
	}
	return 0;
}

static gpg_error_t
socket_pre_cmd(assuan_context_t ctx, const char *cmd)
{
	struct scd_server *srv = command_server(ctx);

	if (srv != NULL)
		note_command(srv, cmd);
	return 0;
}

gpg_error_t
restart_watch_socket(assuan_context_t ctx)
{
	return assuan_register_pre_cmd_notify(ctx, socket_pre_cmd);
}

int
restart_accept(struct scd_server *srv)
{
	struct pollfd pfd;
	int fd, pending;

	pfd.fd = srv->listen_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, -1) < 0)
		return -1;
	/* The check and the accept under one lock: once note_command set
	 * the flag, nothing more is taken off the backlog.  The socket is
	 * non-blocking, so the lock is never held while waiting. */
	pthread_mutex_lock(&srv->lock);
	pending = srv->restart_pending;
	fd = pending ? -2 : accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	pthread_mutex_unlock(&srv->lock);
	return fd;
}

/* Called once the answer is written. */
static void
pipe_post_cmd(assuan_context_t ctx, gpg_error_t err)
{
	struct scd_server *srv = command_server(ctx);

	(void)err;
	if (srv != NULL)
		srv->pipe_busy = 0;
}

void
restart_watch_pipe(struct scd_server *srv, assuan_context_t ctx)
{
	struct assuan_system_hooks hooks = {
		ASSUAN_SYSTEM_HOOKS_VERSION, __assuan_usleep, __assuan_pipe,
		__assuan_close, pipe_read, command_write, __assuan_recvmsg,
		__assuan_sendmsg, __assuan_spawn, __assuan_waitpid,
		__assuan_socketpair, __assuan_socket, __assuan_connect
	};
	gpg_error_t err;

	if (!srv->wake_ok)
		return;
	if ((err = assuan_register_pre_cmd_notify(ctx, pipe_pre_cmd)) != 0 ||
	    (err = assuan_register_post_cmd_notify(ctx, pipe_post_cmd)) != 0) {
		log_warn_e(err, "restart: a KILLSCD on the extra socket restarts at once");
		srv->wake_ok = 0;
		return;
	}
	/* Copied by libassuan. */
	assuan_ctx_set_system_hooks(ctx, &hooks);
}

int
restart_parse_int(const char *opt, const char *value, long min, long max, int *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < min || v > max) {
		log_error("%s: '%s' is not a number from %ld to %ld", opt, value, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* 0 if FD is a listening stream socket bound where server_socket_open
 * binds; the path into SUN. */
static gpg_error_t
check_socket(int fd, struct sockaddr_un *sun)
{
	size_t plen = strlen(SERVER_SOCKDIR_TEMPLATE) + 1 + strlen(SERVER_SOCKET_NAME);
	size_t prefix = strlen(SERVER_SOCKDIR_TEMPLATE) - strlen("XXXXXX");
	socklen_t len = sizeof(*sun), ilen = sizeof(int);
	struct stat st;
	int listening = 0, type = 0;

	memset(sun, 0, sizeof(*sun));
	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) != 0 || !listening ||
	    (ilen = sizeof(int), getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ilen)) != 0 ||
	    type != SOCK_STREAM ||
	    getsockname(fd, (struct sockaddr *)sun, &len) != 0 || sun->sun_family != AF_UNIX)
		return gpg_error(GPG_ERR_INV_ARG);
	sun->sun_path[sizeof(sun->sun_path) - 1] = '\0';
	if (strlen(sun->sun_path) != plen ||
	    strncmp(sun->sun_path, SERVER_SOCKDIR_TEMPLATE, prefix) != 0 ||
	    sun->sun_path[plen - strlen(SERVER_SOCKET_NAME) - 1] != '/' ||
	    strcmp(sun->sun_path + plen - strlen(SERVER_SOCKET_NAME), SERVER_SOCKET_NAME) != 0)
		return gpg_error(GPG_ERR_INV_NAME);
	return 0;
}

gpg_error_t
restart_adopt_socket(struct scd_server *srv, int fd)
{
	struct sockaddr_un sun;
	size_t dirlen;
	gpg_error_t err;
	int flags;

	if ((err = check_socket(fd, &sun)) != 0) {
		log_error_e(err, "restart: descriptor %d is not our extra socket", fd);
		close(fd);
		return err;
	}
	flags = fcntl(fd, F_GETFD);
	if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0 ||
	    (flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
		err = gpg_error_from_syserror();
		close(fd);
		return err;
	}
	dirlen = strlen(SERVER_SOCKDIR_TEMPLATE);
	memcpy(srv->sockdir, sun.sun_path, dirlen);
	srv->sockdir[dirlen] = '\0';
	memcpy(srv->socket_name, sun.sun_path, sizeof(sun.sun_path));
	srv->listen_fd = fd;
	log_debug("extra socket %s kept across the restart", srv->socket_name);
	return 0;
}
