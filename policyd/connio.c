/* connio.c — see connio.h. */
#include "connio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

/* Keep BUF for the loop to send: the client is not reading right now.
 * -1 (ENOBUFS) past POLICYD_MAX_OUTPUT: the connection is dropped. */
static int
out_append(struct conn *c, const char *buf, size_t size)
{
	size_t want = c->outlen + size, nsize;
	char *tmp;

	if (size > POLICYD_MAX_OUTPUT || want > POLICYD_MAX_OUTPUT) {
		errno = ENOBUFS;
		return -1;
	}
	if (want > c->outsize) {
		nsize = c->outsize == 0 ? 4096 : c->outsize;
		while (nsize < want)
			nsize *= 2;
		if (nsize > POLICYD_MAX_OUTPUT)
			nsize = POLICYD_MAX_OUTPUT;
		if ((tmp = realloc(c->out, nsize)) == NULL)
			return -1;
		c->out = tmp;
		c->outsize = nsize;
	}
	memcpy(c->out + c->outlen, buf, size);
	c->outlen = want;
	return 0;
}

int
connio_has_output(const struct conn *c)
{
	return c->outlen > 0;
}

int
connio_flush(struct conn *c)
{
	ssize_t n;

	while (c->outlen > 0) {
		n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	/* An answer that had to wait: give the memory back. */
	free(c->out);
	c->out = NULL;
	c->outsize = 0;
	return 1;
}

/* Straight to the socket while it takes it, else into
 * the connection's output queue, which the event loop sends with a
 * deadline once the request is done.  So a worker never waits on a client.
 * A piece that libassuan is sure to follow at once (asswrite.h) waits in
 * the queue too, so that an answer leaves in one send and wakes the client
 * once.  The writer lock is held for one piece, and the heartbeat only
 * writes at a line start with an empty queue, so it never lands inside a
 * line. */
ssize_t
connio_write(struct conn *c, const void *buf, size_t size)
{
	ssize_t n = 0;
	int rc = 0, hold;

	if (size == 0)
		return 0;
	pthread_mutex_lock(&c->wlock);
	hold = asswrite_line_feed(&c->wline, buf, size, 0) &&
	       c->outlen + size <= ASSWRITE_HOLD_MAX;
	if (c->outlen > 0 || hold) {
		/* Behind what waits already, or held itself: then all that
		 * waits goes once this piece ends the answer. */
		if ((rc = out_append(c, buf, size)) == 0 && !hold && connio_flush(c) < 0)
			rc = -1;
	} else {
		do
			n = send(c->fd, buf, size, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			rc = -1;
		else if (n < 0)
			n = 0;
		if (rc == 0 && (size_t)n < size)
			rc = out_append(c, (const char *)buf + n, size - (size_t)n);
	}
	c->at_line_start = rc == 0 && ((const char *)buf)[size - 1] == '\n';
	pthread_mutex_unlock(&c->wlock);
	if (rc != 0 && errno == ENOBUFS)
		log_info("uid %u (%s): more than %d bytes of answer unread: dropped", (unsigned)c->uid,
		         c->user, POLICYD_MAX_OUTPUT);
	return rc == 0 ? (ssize_t)size : -1;
}

void
connio_heartbeat(struct conn *c, long seconds)
{
	char line[64];
	ssize_t n;
	int len;

	if (pthread_mutex_trylock(&c->wlock) != 0)
		return;   /* the worker is writing: the client hears from us anyway */
	if (c->at_line_start && c->outlen == 0) {
		len = snprintf(line, sizeof(line), "S PROGRESS %ld\n", seconds);
		n = send(c->fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0 && n < len) {
			/* Half a line in the stream: nothing can follow it. */
			c->at_line_start = 0;
			shutdown(c->fd, SHUT_RDWR);
		}
	}
	pthread_mutex_unlock(&c->wlock);
}

void
connio_send_refusal(int fd, const char *line)
{
	(void)send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
}
