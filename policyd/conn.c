/* conn.c — see conn.h. */
#include "conn.h"
#include "connio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "platform.h"

/* libassuan's write: see connio_write(). */
static ssize_t
hook_write(assuan_context_t ctx, assuan_fd_t fd, const void *buf, size_t size)
{
	struct conn *c = assuan_get_pointer(ctx);

	(void)fd;
	if (c->drop_output)
		return (ssize_t)size;
	return connio_write(c, buf, size);
}

/* libassuan's read: the rest of the one line being served, never the
 * socket, and never past its newline (so libassuan keeps nothing back). */
static ssize_t
hook_read(assuan_context_t ctx, assuan_fd_t fd, void *buf, size_t size)
{
	struct conn *c = assuan_get_pointer(ctx);
	size_t n = c->linelen - c->served;

	(void)fd;
	if (n == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (n > size)
		n = size;
	memcpy(buf, c->in.buf + c->served, n);
	c->served += n;
	return (ssize_t)n;
}

/* The socket is ours (conn_free closes it), not libassuan's. */
static int
hook_close(assuan_context_t ctx, assuan_fd_t fd)
{
	(void)ctx;
	(void)fd;
	return 0;
}

static struct assuan_system_hooks conn_hooks = {
	ASSUAN_SYSTEM_HOOKS_VERSION, __assuan_usleep, __assuan_pipe, hook_close, hook_read,
	hook_write, __assuan_recvmsg, __assuan_sendmsg, __assuan_spawn, __assuan_waitpid,
	__assuan_socketpair, __assuan_socket, __assuan_connect,
};

/* process_next() answers libassuan's own commands itself but leaves the OK
 * or ERR of registered ones to its caller: these two tell conn_work()
 * whether a registered command is still unanswered. */
static gpg_error_t
pre_cmd(assuan_context_t ctx, const char *cmd)
{
	struct conn *c = assuan_get_pointer(ctx);

	(void)cmd;
	c->in_cmd = 1;
	return 0;
}

static void
post_cmd(assuan_context_t ctx, gpg_error_t err)
{
	struct conn *c = assuan_get_pointer(ctx);

	(void)err;
	c->in_cmd = 0;
}

gpg_error_t
conn_new(struct policyd *pd, int fd, uid_t uid, pid_t pid, struct conn **out)
{
	struct conn *c = NULL;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	c->pd = pd;
	c->fd = fd;
	c->uid = uid;
	c->pid = pid;
	c->at_line_start = 1;
	linebuf_init(&c->in);
	platform_user_name(uid, c->user, sizeof(c->user));
	if (pthread_mutex_init(&c->wlock, NULL) != 0) {
		free(c);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	*out = c;
	return 0;
}

/* An Assuan context for one request.  policyd keeps no Assuan state
 * between requests (no OPTION, INPUT or OUTPUT), so a connection holds a
 * context only while it runs one: an idle connection costs its struct and
 * line buffer, not libassuan's three line buffers and command table.  The
 * greeting went out at accept (conn_greet); libassuan's own, from
 * assuan_accept(), is dropped by the write hook. */
static gpg_error_t
ctx_open(struct conn *c)
{
	gpg_error_t r;

	if ((r = assuan_new(&c->ctx)) != 0)
		return r;
	assuan_ctx_set_system_hooks(c->ctx, &conn_hooks);
	assuan_set_pointer(c->ctx, c);
	if ((r = assuan_init_socket_server(c->ctx, c->fd, ASSUAN_SOCKET_SERVER_ACCEPTED)) != 0 ||
	    (r = command_register(c->ctx)) != 0 ||
	    (r = assuan_register_pre_cmd_notify(c->ctx, pre_cmd)) != 0 ||
	    (r = assuan_register_post_cmd_notify(c->ctx, post_cmd)) != 0)
		goto fail;
	c->drop_output = 1;
	r = assuan_accept(c->ctx);
	c->drop_output = 0;
	if (r != 0)
		goto fail;
	return 0;
fail:
	assuan_release(c->ctx);
	c->ctx = NULL;
	return r;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	assuan_release(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	pthread_mutex_destroy(&c->wlock);
	free(c->out);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

int
conn_greet(struct conn *c)
{
	char hello[64];
	int n;

	n = snprintf(hello, sizeof(hello), "OK signet-policyd %s ready\n", SIGNET_VERSION);
	return connio_write(c, hello, (size_t)n) == n ? 0 : -1;
}

enum conn_state
conn_pending(struct conn *c, time_t now)
{
	switch (linebuf_next(&c->in, &c->linelen)) {
	case LINEBUF_LINE:
		c->partial_since = 0;
		return CONN_READY;
	case LINEBUF_TOO_LONG:
		log_info("uid %u (%s): line too long", (unsigned)c->uid, c->user);
		c->too_long = 1;
		return CONN_READY;
	case LINEBUF_OVERFLOW:
		log_info("uid %u (%s): line longer than %d bytes: hung up", (unsigned)c->uid, c->user,
		         LINEBUF_MAX_SKIP);
		return CONN_CLOSE;
	case LINEBUF_MORE:
		break;
	}
	if (!linebuf_partial(&c->in))
		c->partial_since = 0;
	else if (c->partial_since == 0)
		c->partial_since = now;
	return CONN_WAIT;
}

enum conn_state
conn_read(struct conn *c, time_t now)
{
	size_t room;
	ssize_t n;
	char *p;

	p = linebuf_space(&c->in, &room);
	if (room > 0) {
		n = recv(c->fd, p, room, MSG_DONTWAIT);
		if (n == 0)
			return CONN_CLOSE;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return CONN_CLOSE;
		if (n > 0)
			linebuf_added(&c->in, (size_t)n);
	}
	return conn_pending(c, now);
}

/* The end of a request's run in a worker: its snapshot, its line and (with
 * CLOSE_CTX) its Assuan context go. */
static void
put_request(struct conn *c, int close_ctx)
{
	snapshot_put(c->snap);
	c->snap = NULL;
	if (close_ctx) {
		assuan_release(c->ctx);
		c->ctx = NULL;
	}
	linebuf_consume(&c->in, c->linelen);
	c->linelen = 0;
}

void
conn_work(struct conn *c)
{
	char errline[128];
	gpg_error_t rc;
	int done = 0;

	int n;

	if (c->too_long) {
		c->too_long = 0;
		n = snprintf(errline, sizeof(errline), "ERR %u Line too long - lines are at most 1000 bytes\n",
		             (unsigned)gpg_error(GPG_ERR_ASS_LINE_TOO_LONG));
		if (connio_write(c, errline, (size_t)n) != n)
			c->dead = 1;
		return;
	}
	if ((rc = ctx_open(c)) != 0) {
		log_error_e(rc, "uid %u: assuan context", (unsigned)c->uid);
		c->dead = 1;
		return;
	}
	c->served = 0;
	c->in_cmd = 0;
	c->snap = snapshot_get(&c->pd->snap);
	rc = assuan_process_next(c->ctx, &done);
	if (c->park != NULL) {
		/* Parked (conn_park): no answer now.  The command stays open
		 * in this context until conn_resume() (see there). */
		put_request(c, 0);
		return;
	}
	if (c->in_cmd)
		rc = assuan_process_done(c->ctx, rc);
	put_request(c, 1);
	if (rc != 0 || done) {
		if (rc != 0 && gpg_err_code(rc) != GPG_ERR_EOF && gpg_err_code(rc) != GPG_ERR_EPIPE)
			log_info("uid %u (%s): connection ended: %s", (unsigned)c->uid, c->user,
			         gpg_strerror(rc));
		c->dead = 1;
	}
}


/* libassuan answers a command only in the context that dispatched it:
 * assuan_process_done() refuses (GPG_ERR_ASS_GENERAL, nothing written)
 * unless the context's in_command flag is set, and only process_next()
 * sets it (libassuan 2.5, assuan-handler.c).  So a parked command keeps
 * its context: about 7 KiB per parked connection (libassuan's line buffers
 * and the command table), 7 MiB for a thousand, rather than a second
 * writer of OK/ERR lines beside libassuan. */
void
conn_resume(struct conn *c, enum park_wake why)
{
	struct park *p = c->park;
	gpg_error_t rc;

	c->snap = snapshot_get(&c->pd->snap);
	if (why == PARK_HANGUP) {
		/* Nobody is left to answer. */
		assuan_release(c->ctx);
		c->ctx = NULL;
		(void)p->resume(c, p, why);
		c->dead = 1;
	} else {
		rc = p->resume(c, p, why);
		if ((rc = assuan_process_done(c->ctx, rc)) != 0) {
			if (gpg_err_code(rc) != GPG_ERR_EPIPE)
				log_info("uid %u (%s): answer after a wait: %s", (unsigned)c->uid, c->user,
				         gpg_strerror(rc));
			c->dead = 1;
		}
		assuan_release(c->ctx);
		c->ctx = NULL;
	}
	snapshot_put(c->snap);
	c->snap = NULL;
	c->park = NULL;
	p->release(p);
}
