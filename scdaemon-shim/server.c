/* server.c — see server.h. */
#define GPG_ERR_SOURCE_DEFAULT GPG_ERR_SOURCE_SCD
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <assuan.h>

#include "command.h"
#include "linebuf.h"
#include "log.h"
#include "platform.h"
#include "restart.h"

struct conn_arg {
	struct scd_server *srv;
	int fd;
	uid_t uid;
	pid_t pid;
};

/* A server context whose own errors (unknown command, line too long)
 * carry the SCD source like ours. */
static gpg_error_t
new_context(assuan_context_t *ctx)
{
	assuan_log_cb_t log_cb = NULL;
	void *log_data = NULL;

	assuan_get_log_cb(&log_cb, &log_data);
	return assuan_new_ext(ctx, GPG_ERR_SOURCE_SCD, assuan_get_malloc_hooks(), log_cb, log_data);
}

/* libassuan answers a line over ASSUAN_LINELENGTH with nothing but an
 * error from assuan_process(), after dropping the first 1002 bytes; the
 * rest of that line is still unread in the kernel (libassuan keeps no
 * bytes past a too-long line).  Drop it up to its newline through the
 * bounded reader policyd uses too, so that the tail is not taken for a
 * command, then send the ERR the client waits for.  Returns 0, or -1 at
 * EOF, a read error or a line past LINEBUF_MAX_SKIP (hang up). */
static int
skip_long_line(assuan_context_t ctx, int fd)
{
	char line[128];

	if (linebuf_skip_fd(fd) != 0)
		return -1;
	snprintf(line, sizeof(line), "ERR %u Line passed to IPC too long <SCD>",
	         (unsigned int)gpg_err_make(GPG_ERR_SOURCE_SCD, GPG_ERR_ASS_LINE_TOO_LONG));
	return assuan_write_line(ctx, line) == 0 ? 0 : -1;
}

/* Accept commands on CTX (reading from FD) until the peer leaves (EOF,
 * BYE) or KILLSCD.  GREETED: the peer had its hello from the image before
 * a restart in place, so the first accept (which sends it) is skipped.
 * Returns 1 if KILLSCD asked the process to restart. */
static int
serve(assuan_context_t ctx, int fd, struct scd_conn *conn, const char *who, int greeted)
{
	gpg_error_t err;
	int resumed = greeted;

	for (;;) {
		if (resumed && !greeted)
			break;  /* a pipe is accepted once: that was before */
		err = greeted ? 0 : assuan_accept(ctx);
		greeted = 0;
		if (err == (gpg_error_t)-1 || gpg_err_code(err) == GPG_ERR_EOF)
			break;
		if (err != 0) {
			log_info("%s: accept: %s", who, gpg_strerror(err));
			break;
		}
		/* A pipe server cannot be accepted twice: stay in
		 * assuan_process while the connection is usable. */
		for (;;) {
			err = assuan_process(ctx);
			if (gpg_err_code(err) != GPG_ERR_ASS_LINE_TOO_LONG ||
			    command_stop_requested(conn))
				break;
			log_info("%s: line too long (max %d bytes): refused", who, ASSUAN_LINELENGTH);
			if (skip_long_line(ctx, fd) != 0)
				break;
		}
		if (err != 0)
			log_info("%s: assuan processing failed: %s", who, gpg_strerror(err));
		if (command_stop_requested(conn))
			return 1;
	}
	return 0;
}

static void *
conn_thread(void *opaque)
{
	struct conn_arg *arg = opaque;
	struct scd_server *srv = arg->srv;
	assuan_context_t ctx = NULL;
	struct scd_conn *conn = NULL;
	gpg_error_t err;

	if ((err = new_context(&ctx)) != 0) {
		log_error_e(err, "socket connection: assuan_new");
		close(arg->fd);
		goto out;
	}
	/* Takes over the descriptor. */
	if ((err = assuan_init_socket_server(ctx, arg->fd, ASSUAN_SOCKET_SERVER_ACCEPTED)) != 0) {
		log_error_e(err, "socket connection: init");
		close(arg->fd);
		goto out;
	}
	if ((err = command_attach(ctx, srv, 0, &conn)) != 0 ||
	    (err = restart_watch_socket(ctx)) != 0) {
		log_error_e(err, "socket connection: register commands");
		goto out;
	}
	log_debug("socket connection from pid %ld", (long)arg->pid);
	/* The pipe restarts the process between two of its commands. */
	if (serve(ctx, arg->fd, conn, "socket connection", 0))
		restart_request(srv);
out:
	/* The context first: its hooks point at CONN until it is gone. */
	assuan_release(ctx);
	command_detach(conn);
	pthread_mutex_lock(&srv->lock);
	srv->nconns--;
	pthread_mutex_unlock(&srv->lock);
	free(arg);
	return NULL;
}

static void *
accept_thread(void *opaque)
{
	struct scd_server *srv = opaque;
	struct conn_arg *arg;
	pthread_attr_t attr;
	pthread_t tid;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int fd, busy;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		/* Once a KILLSCD is being answered, connections wait in the
		 * backlog for the next image (restart.h) instead of being
		 * accepted here and cut off by the restart. */
		if ((fd = restart_accept(srv)) == -2)
			break;
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				log_warn("extra socket: accept: %s", strerror(errno));
				sleep(1);
				continue;
			}
			log_error("extra socket: accept: %s; no more socket connections",
			          strerror(errno));
			break;
		}
		/* Only our own user: the folder is 0700 already, but /tmp is
		 * shared and the check costs nothing (STYLE 16). */
		if (platform_peercred(fd, &uid, &gid, &pid) != 0 || uid != getuid()) {
			log_warn("extra socket: refused a connection from uid %ld (pid %ld)",
			         (long)uid, (long)pid);
			close(fd);
			continue;
		}
		pthread_mutex_lock(&srv->lock);
		busy = srv->nconns >= SERVER_MAX_CONNS;
		if (!busy)
			srv->nconns++;
		pthread_mutex_unlock(&srv->lock);
		if (busy) {
			log_warn("extra socket: %d connections open; refusing another",
			         SERVER_MAX_CONNS);
			close(fd);
			continue;
		}
		if ((arg = calloc(1, sizeof(*arg))) == NULL) {
			close(fd);
			goto undo;
		}
		arg->srv = srv;
		arg->fd = fd;
		arg->uid = uid;
		arg->pid = pid;
		log_info("extra socket: socket connection from pid %ld", (long)pid);
		if (pthread_create(&tid, &attr, conn_thread, arg) != 0) {
			log_warn("extra socket: cannot start a thread");
			close(fd);
			free(arg);
			goto undo;
		}
		continue;
undo:
		pthread_mutex_lock(&srv->lock);
		srv->nconns--;
		pthread_mutex_unlock(&srv->lock);
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

gpg_error_t
server_socket_open(struct scd_server *srv)
{
	struct sockaddr_un sun;
	gpg_error_t err;
	int fd = -1, n;

	srv->listen_fd = -1;
	srv->sockdir[0] = '\0';
	srv->socket_name[0] = '\0';
	memcpy(srv->sockdir, SERVER_SOCKDIR_TEMPLATE, sizeof(SERVER_SOCKDIR_TEMPLATE));
	/* mkdtemp makes the folder 0700: only we can reach the socket. */
	if (mkdtemp(srv->sockdir) == NULL) {
		err = gpg_error_from_syserror();
		log_error_e(err, "extra socket: mkdtemp %s", SERVER_SOCKDIR_TEMPLATE);
		srv->sockdir[0] = '\0';
		return err;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", srv->sockdir,
	             SERVER_SOCKET_NAME);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		err = gpg_error(GPG_ERR_ENAMETOOLONG);
		goto fail;
	}
	/* Non-blocking: restart_accept() accepts under a lock, only after
	 * poll() said a connection waits. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		err = gpg_error_from_syserror();
		goto fail;
	}
	memcpy(srv->socket_name, sun.sun_path, sizeof(sun.sun_path));
	srv->listen_fd = fd;
	log_debug("extra socket at %s", srv->socket_name);
	return 0;
fail:
	log_error_e(err, "extra socket %s", sun.sun_path);
	if (fd >= 0)
		close(fd);
	server_socket_remove(srv);
	return err;
}

gpg_error_t
server_socket_start(struct scd_server *srv)
{
	pthread_t tid;
	int rc;

	if (srv->listen_fd < 0)
		return gpg_error(GPG_ERR_NOT_INITIALIZED);
	if ((rc = pthread_create(&tid, NULL, accept_thread, srv)) != 0) {
		log_error("extra socket: cannot start the accept thread: %s", strerror(rc));
		server_socket_remove(srv);
		return gpg_error_from_errno(rc);
	}
	pthread_detach(tid);
	return 0;
}

void
server_socket_remove(struct scd_server *srv)
{
	char path[sizeof(srv->sockdir) + sizeof(SERVER_SOCKET_NAME) + 1];

	if (srv == NULL || srv->sockdir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/%s", srv->sockdir, SERVER_SOCKET_NAME);
	unlink(path);
	rmdir(srv->sockdir);
	/* The descriptor stays open: the accept thread may still use it, and
	 * the process is about to end. */
	srv->sockdir[0] = '\0';
	srv->socket_name[0] = '\0';
}

void
server_shutdown(struct scd_server *srv, int status)
{
	server_socket_remove(srv);
	log_info("signet-scd exiting");
	/* Other threads may be inside libassuan or talking to policyd: end
	 * now rather than run exit handlers under their feet. */
	_exit(status);
}

/* Keep close-on-exec copies of the pipe's ends for restart_exec. */
static int
keep_pipe(struct scd_server *srv, int infd, int outfd)
{
	srv->pipe_keep[0] = fcntl(infd, F_DUPFD_CLOEXEC, 3);
	srv->pipe_keep[1] = srv->pipe_keep[0] < 0 ? -1 : fcntl(outfd, F_DUPFD_CLOEXEC, 3);
	if (srv->pipe_keep[1] >= 0)
		return 0;
	if (srv->pipe_keep[0] >= 0)
		close(srv->pipe_keep[0]);
	srv->pipe_keep[0] = -1;
	return -1;
}

int
server_serve_pipe(struct scd_server *srv, int infd, int outfd)
{
	assuan_context_t ctx = NULL;
	struct scd_conn *conn = NULL;
	assuan_fd_t filedes[2] = { infd, outfd };
	gpg_error_t err;
	int ret = -1, given = 0;

	if ((err = new_context(&ctx)) != 0) {
		log_error_e(err, "pipe: assuan_new");
		goto out;
	}
	if ((err = assuan_init_pipe_server(ctx, filedes)) != 0) {
		log_error_e(err, "pipe: init");
		goto out;
	}
	given = 1;
	if ((err = command_attach(ctx, srv, 1, &conn)) != 0) {
		log_error_e(err, "pipe: register commands");
		goto out;
	}
	pthread_mutex_lock(&srv->lock);
	/* libassuan learns the agent's pid from _assuan_pipe_connect_pid. */
	srv->agent_pid = assuan_get_pid(ctx);
	if (srv->agent_pid == ASSUAN_INVALID_PID)
		srv->agent_pid = 0;
	pthread_mutex_unlock(&srv->lock);
	restart_watch_pipe(srv, ctx);
	ret = serve(ctx, infd, conn, "pipe", srv->pipe_greeted);
out:
	assuan_release(ctx);   /* before CONN, as in conn_thread() */
	command_detach(conn);
	if (!given) {
		close(infd);
		if (outfd != infd)
			close(outfd);
	}
	return ret;
}

int
server_run_pipe(struct scd_server *srv)
{
	int r;

	/* libassuan closes the pipe on KILLSCD (force-close); the restart
	 * needs gpg-agent's ends, so keep copies. */
	if (keep_pipe(srv, 0, 1) != 0)
		log_warn_e(gpg_error_from_syserror(), "pipe: no copy kept; KILLSCD will exit");
	r = server_serve_pipe(srv, 0, 1);
	if (r == 1)
		server_restart(srv);
	if (r == 0)
		log_info("pipe: gpg-agent closed the connection");
	return r < 0 ? 1 : 0;
}

void
server_restart(struct scd_server *srv)
{
	restart_exec(srv);
	server_shutdown(srv, 0);
}
