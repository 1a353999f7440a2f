/* pdclient.c — see pdclient.h.
 *
 * The transaction is driven by hand (assuan_write_line +
 * assuan_client_read_response) rather than assuan_transact() because the
 * caller needs the human reason of an ERR line, which assuan_transact()
 * drops, and because a status callback that aborts must still leave the
 * connection in step (we read up to the final OK/ERR). */
#include "pdclient.h"
#include "asswrite.h"
#include "monotime.h"
#include "pollin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* An Assuan line is at most 1000 bytes; keywords are short. */
#define PDCLIENT_MAX_KEYWORD 64

/* What pdclient keeps beside a libassuan context (its pointer): the
 * writer that sends a request line in one write (asswrite.h), and how
 * long a read may wait now. */
struct pdconn {
	struct asswrite out;
	unsigned rcvtimeo;   /* seconds; 0: for ever */
};

static gpg_error_t parse_err(const char *line, size_t len, char *errtext, size_t errtextlen);

/* The socket under CTX, or -1. */
static int
active_fd(assuan_context_t ctx)
{
	assuan_fd_t fd[2];   /* libassuan wants room for at least two */

	if (assuan_get_active_fds(ctx, 0, fd, 2) < 1)
		return -1;
	return fd[0];
}

/* Every read waits in poll() first, with the deadline's timeout: a
 * timeout is ETIMEDOUT, which ends libassuan's read with that error.  And
 * poll() wakes only when there is something to read, where a blocking
 * read on a Unix socket also wakes each time policyd takes a request from
 * its side (the kernel's "room to write" wake-up reaches a reader too):
 * one pair of context switches per request saved. */
static ssize_t
hook_read(assuan_context_t ctx, assuan_fd_t fd, void *buf, size_t size)
{
	struct pdconn *pc = assuan_get_pointer(ctx);
	int rc, ms = -1;

	/* Nothing held waits across a read (asswrite.h). */
	if (pc != NULL && asswrite_flush(&pc->out, ctx) != 0)
		return -1;
	if (pc != NULL && pc->rcvtimeo != 0)
		ms = (int)pc->rcvtimeo * 1000;
	if ((rc = pollin_wait(fd, ms)) == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return __assuan_read(ctx, fd, buf, size);
}

/* Every byte libassuan sends goes through here (even assuan_release's
 * BYE): MSG_NOSIGNAL, so a policyd that goes away mid-line gives the
 * caller EPIPE, never SIGPIPE, whatever the caller's own signal set-up. */
static ssize_t
send_nosignal(assuan_context_t ctx, assuan_fd_t fd, const void *buf, size_t size)
{
	(void)ctx;
	return send(fd, buf, size, MSG_NOSIGNAL);
}

/* A request line in one write, not two: policyd's worker would otherwise
 * wake for the first half. */
static ssize_t
hook_write(assuan_context_t ctx, assuan_fd_t fd, const void *buf, size_t size)
{
	struct pdconn *pc = assuan_get_pointer(ctx);

	if (pc == NULL)
		return send_nosignal(ctx, fd, buf, size);
	return asswrite_write(&pc->out, ctx, fd, buf, size);
}

static struct assuan_system_hooks pdclient_hooks = {
	ASSUAN_SYSTEM_HOOKS_VERSION, __assuan_usleep, __assuan_pipe, __assuan_close, hook_read,
	hook_write, __assuan_recvmsg, __assuan_sendmsg, __assuan_spawn, __assuan_waitpid,
	__assuan_socketpair, __assuan_socket, __assuan_connect,
};

/* Reads give up after SEC seconds (0: never); hook_read waits. */
static void
set_read_timeout(struct pdconn *pc, unsigned sec)
{
	pc->rcvtimeo = sec;
}

/* Before libassuan reads the greeting: wait for policyd's first line, and
 * take an ERR line (a refused connection: policyd is full) for what it
 * says rather than libassuan's "connect failed". */
static gpg_error_t
check_greeting(int fd)
{
	char line[ASSUAN_LINELENGTH + 1];
	ssize_t n;
	int rc;

	if ((rc = pollin_wait(fd, PDCLIENT_GREETING_SEC * 1000)) == 0)
		return gpg_error(GPG_ERR_ETIMEDOUT);
	if (rc < 0)
		return gpg_error_from_syserror();
	n = recv(fd, line, sizeof(line) - 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 4 || memcmp(line, "ERR ", 4) != 0)
		return 0;   /* libassuan reads and judges it */
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	return parse_err(line + 4, strlen(line + 4), NULL, 0);
}

/* libassuan's release writes BYE through the hook, so our part goes
 * after the context. */
static void
ctx_release(assuan_context_t ctx)
{
	struct pdconn *pc;

	if (ctx == NULL)
		return;
	pc = assuan_get_pointer(ctx);
	assuan_release(ctx);
	free(pc);
}

gpg_error_t
pdclient_connect(const char *socket_path, assuan_context_t *ctxp)
{
	struct sockaddr_un sun;
	assuan_context_t ctx = NULL;
	struct pdconn *pc = NULL, *own;
	gpg_error_t err;
	size_t len;
	int fd = -1;

	if (ctxp != NULL)
		*ctxp = NULL;
	if (socket_path == NULL || ctxp == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	len = strlen(socket_path);
	if (len == 0)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (len >= sizeof(sun.sun_path))
		return gpg_error(GPG_ERR_ENAMETOOLONG);

	/* Connect ourselves: assuan_socket_connect() folds every failure into
	 * GPG_ERR_ASS_CONNECT_FAILED, and callers must tell "not running"
	 * (ENOENT, ECONNREFUSED) from "not allowed" (EACCES). */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, socket_path, len + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		err = gpg_error_from_syserror();
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		err = gpg_error_from_syserror();
		goto out;
	}
	if ((err = check_greeting(fd)) != 0)
		goto out;
	if ((pc = calloc(1, sizeof(*pc))) == NULL) {
		err = gpg_error_from_syserror();
		goto out;
	}
	asswrite_init(&pc->out, send_nosignal);
	if ((err = assuan_new(&ctx)) != 0)
		goto out;
	assuan_ctx_set_system_hooks(ctx, &pdclient_hooks);
	/* Owned by the context from here: ctx_release frees it. */
	assuan_set_pointer(ctx, pc);
	own = pc;
	pc = NULL;
	set_read_timeout(own, PDCLIENT_GREETING_SEC);
	/* Takes over FD (also on error) and reads the greeting. */
	err = assuan_socket_connect_fd(ctx, fd, 0);
	fd = -1;
	if (err != 0)
		goto out;
	set_read_timeout(own, 0);
	*ctxp = ctx;
	ctx = NULL;
	err = 0; /* success */
out:
	if (fd != -1)
		close(fd);
	ctx_release(ctx);
	free(pc);
	return err;
}

void
pdclient_close(assuan_context_t ctx)
{
	ctx_release(ctx);
}

struct reply {
	uint8_t *data;
	size_t len, size;
	int want_data;
	gpg_error_t pending;   /* first local failure; reported after OK/ERR */
};

static gpg_error_t
add_data(struct reply *r, const char *buf, size_t len)
{
	size_t size;
	uint8_t *tmp;

	if (!r->want_data || r->pending != 0 || len == 0)
		return 0;
	if (len > PDCLIENT_MAX_DATA - r->len)
		return gpg_error(GPG_ERR_TOO_LARGE);
	if (r->len + len > r->size) {
		size = r->size == 0 ? 1024 : r->size;
		while (size < r->len + len)
			size *= 2;
		if (size > PDCLIENT_MAX_DATA)
			size = PDCLIENT_MAX_DATA;
		if ((tmp = realloc(r->data, size)) == NULL)
			return gpg_error(GPG_ERR_ENOMEM);
		r->data = tmp;
		r->size = size;
	}
	memcpy(r->data + r->len, buf, len);
	r->len += len;
	return 0;
}

static gpg_error_t
pass_status(const char *line, size_t len, pdclient_status_cb cb, void *opaque)
{
	char copy[ASSUAN_LINELENGTH + 1];
	char *args;
	size_t kwlen;

	if (cb == NULL)
		return 0;
	if (len > ASSUAN_LINELENGTH)
		len = ASSUAN_LINELENGTH;
	memcpy(copy, line, len);
	copy[len] = '\0';
	kwlen = strcspn(copy, " ");
	if (kwlen == 0 || kwlen > PDCLIENT_MAX_KEYWORD)
		return gpg_error(GPG_ERR_ASS_INV_RESPONSE);
	args = copy + kwlen;
	if (*args != '\0')
		*args++ = '\0';
	while (*args == ' ')
		args++;
	return cb(opaque, copy, args);
}

/* "ERR <code> <strerror> <<source>> - <reason>" (libassuan's
 * assuan_process_done): return the code, copy the reason (or, without one,
 * everything after the code) to ERRTEXT. */
static gpg_error_t
parse_err(const char *line, size_t len, char *errtext, size_t errtextlen)
{
	char copy[ASSUAN_LINELENGTH + 1];
	unsigned long code;
	char *end, *text, *dash;

	if (len > ASSUAN_LINELENGTH)
		len = ASSUAN_LINELENGTH;
	memcpy(copy, line, len);
	copy[len] = '\0';
	errno = 0;
	code = strtoul(copy, &end, 10);
	if (end == copy || errno != 0 || code == 0 || code > 0xffffffffUL)
		code = GPG_ERR_ASS_INV_RESPONSE;
	text = end;
	while (*text == ' ')
		text++;
	if ((dash = strstr(text, "> - ")) != NULL)
		text = dash + 4;
	if (errtext != NULL && errtextlen > 0) {
		strncpy(errtext, text, errtextlen - 1);
		errtext[errtextlen - 1] = '\0';
	}
	return (gpg_error_t)code;
}

gpg_error_t
pdclient_transact(assuan_context_t ctx, const char *command,
                  uint8_t **data, size_t *datalen,
                  pdclient_status_cb cb, void *opaque,
                  char *errtext, size_t errtextlen)
{
	return pdclient_transact_deadline(ctx, command, NULL, data, datalen, cb, opaque,
	                                  errtext, errtextlen);
}

/* Before each line of an answer: the read timeout DL leaves from START;
 * GPG_ERR_ETIMEDOUT once the whole answer is late. */
static gpg_error_t
arm_deadline(struct pdconn *pc, const struct pdclient_deadline *dl, time_t start)
{
	unsigned sec = dl->line_sec;
	time_t left;

	if (dl->total_sec != 0) {
		left = start + (time_t)dl->total_sec - monotime_sec();
		if (left <= 0)
			return gpg_error(GPG_ERR_ETIMEDOUT);
		if (sec == 0 || (time_t)sec > left)
			sec = (unsigned)left;
	}
	set_read_timeout(pc, sec);
	return 0;
}

gpg_error_t
pdclient_transact_deadline(assuan_context_t ctx, const char *command,
                           const struct pdclient_deadline *dl,
                           uint8_t **data, size_t *datalen,
                           pdclient_status_cb cb, void *opaque,
                           char *errtext, size_t errtextlen)
{
	time_t start = monotime_sec();
	struct reply r = { NULL, 0, 0, data != NULL, 0 };
	struct pdconn *pc;
	assuan_response_t resp = -1;
	gpg_error_t err, e;
	char *line;
	int linelen, off;

	if (data != NULL)
		*data = NULL;
	if (datalen != NULL)
		*datalen = 0;
	if (errtext != NULL && errtextlen > 0)
		errtext[0] = '\0';
	if (ctx == NULL || command == NULL || strpbrk(command, "\r\n") != NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	if ((pc = assuan_get_pointer(ctx)) == NULL || active_fd(ctx) < 0)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (dl == NULL)
		set_read_timeout(pc, 0);
	if ((err = assuan_write_line(ctx, command)) != 0)
		goto out;
	for (;;) {
		if (dl != NULL && (err = arm_deadline(pc, dl, start)) != 0)
			goto out;
		/* A read timeout (policyd stopped or stuck) is ETIMEDOUT. */
		if ((err = assuan_client_read_response(ctx, &line, &linelen)) != 0)
			goto out;
		if ((err = assuan_client_parse_response(ctx, line, linelen, &resp, &off)) != 0)
			goto out;
		if (off < 0 || off > linelen) {
			err = gpg_error(GPG_ERR_ASS_INV_RESPONSE);
			goto out;
		}
		switch (resp) {
		case ASSUAN_RESPONSE_OK:
			err = 0;
			goto out;
		case ASSUAN_RESPONSE_ERROR:
			err = parse_err(line + off, (size_t)(linelen - off), errtext, errtextlen);
			goto out;
		case ASSUAN_RESPONSE_DATA:
			if ((e = add_data(&r, line + off, (size_t)(linelen - off))) != 0 && r.pending == 0)
				r.pending = e;
			break;
		case ASSUAN_RESPONSE_STATUS:
			if (r.pending == 0 &&
			    (e = pass_status(line + off, (size_t)(linelen - off), cb, opaque)) != 0)
				r.pending = e;
			break;
		case ASSUAN_RESPONSE_INQUIRE:
			/* policyd does not inquire; cancelling keeps the
			 * exchange in step and ends in an ERR. */
			if ((err = assuan_write_line(ctx, "CAN")) != 0)
				goto out;
			if (r.pending == 0)
				r.pending = gpg_error(GPG_ERR_ASS_CANCELED);
			break;
		default:
			break;  /* END, comments */
		}
	}
out:
	/* A local failure (callback abort, too much data) wins over the
	 * server's OK, but not over a transport error. */
	if (r.pending != 0 && (err == 0 || resp == ASSUAN_RESPONSE_ERROR))
		err = r.pending;
	if (err == 0 && data != NULL) {
		*data = r.data;
		if (datalen != NULL)
			*datalen = r.len;
		r.data = NULL;
	}
	free(r.data);
	return err;
}
