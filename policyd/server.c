/* server.c — the listening socket, the accept loop and one thread per client.
 *
 * Signals: SIGTERM, SIGINT and SIGHUP are blocked in every thread (main.c
 * blocks them before any thread exists) and read here through a signalfd,
 * so a reload runs in the accept loop's thread, never in a signal handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "platform.h"
#include "policyd.h"
#include "sockpath.h"

#define SERVER_GROUP_BUF 16384   /* getgrnam_r buffer */
#define SERVER_MAX_DISCARD (64 * 1024)   /* rest of an over-long line skipped before hanging up */

/* libassuan reads at most its line length (1000) and reports
 * GPG_ERR_ASS_LINE_TOO_LONG, leaving the rest of the line unread; skip it
 * (byte by byte, so nothing after the newline is lost) and go on, as the
 * protocol promises.  0 on success, -1 to hang up. */
static int
discard_line_rest(int fd)
{
	size_t n = 0;
	ssize_t got;
	char ch;

	while (n < SERVER_MAX_DISCARD) {
		got = read(fd, &ch, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		n++;
		if (ch == '\n')
			return 0;
	}
	return -1;
}

/* 1 if something accepts connections on PATH. */
static int
socket_answers(const char *path)
{
	struct sockaddr_un sa;
	int fd, ok;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static gpg_error_t
lookup_group(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char *buf;
	int rc;

	if ((buf = malloc(SERVER_GROUP_BUF)) == NULL)
		return gpg_error_from_syserror();
	rc = getgrnam_r(name, &gr, buf, SERVER_GROUP_BUF, &res);
	if (rc == 0 && res != NULL)
		*gid = gr.gr_gid;
	free(buf);
	if (rc != 0)
		return gpg_error_from_errno(rc);
	return res ? 0 : gpg_error(GPG_ERR_NOT_FOUND);
}

gpg_error_t
server_listen(struct policyd *pd, char *err, size_t errlen)
{
	gpg_error_t r;
	const char *path = pd->cfg->socket;
	struct sockaddr_un sa;
	struct stat st;
	gid_t gid = (gid_t)-1;
	mode_t old;
	int fd = -1;

	pd->listen_fd = -1;
	if (strlen(path) > SOCKPATH_MAX || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is longer than %d bytes", path, SOCKPATH_MAX);
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	if (pd->cfg->socket_group != NULL && (r = lookup_group(pd->cfg->socket_group, &gid)) != 0) {
		snprintf(err, errlen, "socket_group %s: no such group", pd->cfg->socket_group);
		return r;
	}
	/* ERR names the folder and its owner when someone else made it. */
	if ((r = sockpath_prepare_dir(path, err, errlen)) != 0)
		return r;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return gpg_error(GPG_ERR_EEXIST);
		}
		if (socket_answers(path)) {
			snprintf(err, errlen, "another signet-policyd is already listening on %s", path);
			return gpg_error(GPG_ERR_EADDRINUSE);
		}
		/* Left over by a daemon that did not shut down cleanly. */
		if (unlink(path) != 0) {
			r = gpg_error_from_syserror();
			snprintf(err, errlen, "cannot remove the stale socket %s: %s", path, strerror(errno));
			return r;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto out;
	}
	/* Born private; opened up below to exactly the configured mode. */
	old = umask(077);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		r = gpg_error_from_syserror();
		umask(old);
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		goto out;
	}
	umask(old);
	if (gid != (gid_t)-1) {
		if (chown(path, (uid_t)-1, gid) != 0 || chmod(path, 0660) != 0) {
			r = gpg_error_from_syserror();
			snprintf(err, errlen, "cannot give %s to group %s: %s", path, pd->cfg->socket_group,
			         strerror(errno));
			goto unlink_out;
		}
	} else if (chmod(path, 0666) != 0) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		goto unlink_out;
	}
	if (listen(fd, POLICYD_LISTEN_BACKLOG) != 0) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		goto unlink_out;
	}
	if ((pd->socket_path = strdup(path)) == NULL) {
		r = gpg_error_from_syserror();
		goto unlink_out;
	}
	pd->listen_fd = fd;
	fd = -1;
	r = 0; /* success */
	goto out;
unlink_out:
	unlink(path);
out:
	if (fd >= 0)
		close(fd);
	return r;
}

void
server_close(struct policyd *pd)
{
	if (pd->listen_fd >= 0)
		close(pd->listen_fd);
	pd->listen_fd = -1;
	if (pd->socket_path != NULL)
		unlink(pd->socket_path);
	free(pd->socket_path);
	pd->socket_path = NULL;
}

void
server_serve_conn(struct conn *c)
{
	gpg_error_t rc;
	assuan_context_t ctx = NULL;
	char hello[64], errline[128];
	int fd = c->fd;

	if ((rc = assuan_new(&ctx)) != 0) {
		log_error_e(rc, "assuan_new");
		return;
	}
	rc = assuan_init_socket_server(ctx, c->fd, ASSUAN_SOCKET_SERVER_ACCEPTED);
	if (rc != 0) {
		log_error_e(rc, "assuan_init_socket_server");
		goto out;
	}
	c->fd = -1; /* owned by CTX now */
	if ((rc = command_register(ctx)) != 0) {
		log_error_e(rc, "register commands");
		goto out;
	}
	snprintf(hello, sizeof(hello), "signet-policyd %s ready", SIGNET_VERSION);
	assuan_set_hello_line(ctx, hello);
	assuan_set_pointer(ctx, c);
	for (;;) {
		rc = assuan_accept(ctx);
		if (rc == (gpg_error_t)-1 || gpg_err_code(rc) == GPG_ERR_EOF)
			break;
		if (rc != 0) {
			/* EPIPE: a client that only checked that we listen. */
			if (gpg_err_code(rc) != GPG_ERR_EPIPE)
				log_info("uid %u: accept: %s", (unsigned)c->uid, gpg_strerror(rc));
			break;
		}
		while (gpg_err_code(rc = assuan_process(ctx)) == GPG_ERR_ASS_LINE_TOO_LONG) {
			log_info("uid %u: line too long", (unsigned)c->uid);
			snprintf(errline, sizeof(errline), "ERR %u Line too long - lines are at most 1000 bytes",
			         (unsigned)gpg_error(GPG_ERR_ASS_LINE_TOO_LONG));
			if (assuan_write_line(ctx, errline) != 0 || discard_line_rest(fd) != 0)
				break;
		}
		if (rc != 0 && gpg_err_code(rc) != GPG_ERR_EOF)
			log_info("uid %u: connection ended: %s", (unsigned)c->uid, gpg_strerror(rc));
	}
out:
	assuan_release(ctx);
}

static void *
conn_thread(void *arg)
{
	struct conn *c = arg;
	struct policyd *pd = c->pd;

	server_serve_conn(c);
	if (c->fd >= 0)
		close(c->fd);
	explicit_bzero(c, sizeof(*c));
	free(c);
	atomic_fetch_sub(&pd->nconn, 1);
	return NULL;
}

/* Take over the accepted FD: credentials, connection cap, thread. */
static void
server_start_conn(struct policyd *pd, int fd)
{
	struct conn *c = NULL;
	struct timeval idle;
	pthread_attr_t attr;
	pthread_t tid;
	gpg_error_t r;
	int rc;

	if (atomic_fetch_add(&pd->nconn, 1) >= POLICYD_MAX_CONN) {
		atomic_fetch_sub(&pd->nconn, 1);
		pd->full_dropped++;
		/* At most one line a minute, however hard a client hammers. */
		if (time(NULL) - pd->full_warned >= 60) {
			log_warn("%d connections open: closed %lu new one(s)", POLICYD_MAX_CONN, pd->full_dropped);
			pd->full_warned = time(NULL);
			pd->full_dropped = 0;
		}
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_error("out of memory for a connection");
		goto fail;
	}
	c->pd = pd;
	c->fd = fd;
	if ((r = platform_peercred(fd, &c->uid, NULL, &c->pid)) != 0) {
		log_error_e(r, "SO_PEERCRED");
		goto fail;
	}
	platform_user_name(c->uid, c->user, sizeof(c->user));
	/* An idle client gives its thread back: signet-scd keeps connections
	 * for reuse, and a local user must not hold the connection slots. */
	idle.tv_sec = POLICYD_IDLE_TIMEOUT_SEC;
	idle.tv_usec = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle)) != 0)
		log_warn("SO_RCVTIMEO: %s", strerror(errno));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, conn_thread, c);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		log_error("pthread_create: %s", strerror(rc));
		goto fail;
	}
	return;
fail:
	free(c);
	close(fd);
	atomic_fetch_sub(&pd->nconn, 1);
}

int
server_run(struct policyd *pd)
{
	sigset_t set;
	struct pollfd pfd[2];
	struct signalfd_siginfo si;
	char err[1024];
	gpg_error_t r;
	int sfd, fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		log_error("signalfd: %s", strerror(errno));
		return 1;
	}
	pfd[0].fd = pd->listen_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = sfd;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents & POLLIN) {
			if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				/* The audit names who sent it (kill(2) fills these in). */
				char user[POLICYD_USER_MAX];
				struct configaudit_by by = { "SIGHUP", 1, (uid_t)si.ssi_uid, user, (pid_t)si.ssi_pid };

				platform_user_name((uid_t)si.ssi_uid, user, sizeof(user));
				if ((r = policyd_reload(pd, &by, err, sizeof(err))) != 0)
					log_error("reload refused, the old configuration stays: %s", err);
				else
					log_info("configuration reloaded (SIGHUP)");
				continue;
			}
			log_info("signal %u: shutting down", si.ssi_signo);
			break;
		}
		if (pfd[0].revents & POLLIN) {
			fd = accept4(pd->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0) {
				if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
					log_warn("accept: %s", strerror(errno));
				/* EMFILE and friends: do not spin on the ready socket. */
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
					poll(NULL, 0, 100);
				continue;
			}
			server_start_conn(pd, fd);
		}
	}
	close(sfd);
	return 0;
}
