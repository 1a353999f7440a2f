/* linebuf.c — see linebuf.h. */
#include "linebuf.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void
linebuf_init(struct linebuf *lb)
{
	lb->len = 0;
	lb->skipped = 0;
	lb->skipping = 0;
}

char *
linebuf_space(struct linebuf *lb, size_t *room)
{
	*room = sizeof(lb->buf) - lb->len;
	if (!lb->skipping && memchr(lb->buf, '\n', lb->len) != NULL)
		*room = 0;
	return lb->buf + lb->len;
}

void
linebuf_added(struct linebuf *lb, size_t n)
{
	if (n > sizeof(lb->buf) - lb->len)
		n = sizeof(lb->buf) - lb->len;
	lb->len += n;
}

void
linebuf_consume(struct linebuf *lb, size_t len)
{
	if (len > lb->len)
		len = lb->len;
	memmove(lb->buf, lb->buf + len, lb->len - len);
	lb->len -= len;
}

enum linebuf_event
linebuf_next(struct linebuf *lb, size_t *linelen)
{
	const char *nl;
	size_t n;

	*linelen = 0;
	if (lb->skipping) {
		nl = memchr(lb->buf, '\n', lb->len);
		n = nl != NULL ? (size_t)(nl - lb->buf) + 1 : lb->len;
		lb->skipped += n;
		linebuf_consume(lb, n);
		if (lb->skipped > LINEBUF_MAX_SKIP)
			return LINEBUF_OVERFLOW;
		if (nl == NULL)
			return LINEBUF_MORE;
		lb->skipping = 0;
		lb->skipped = 0;
	}
	if ((nl = memchr(lb->buf, '\n', lb->len)) != NULL) {
		*linelen = (size_t)(nl - lb->buf) + 1;
		return LINEBUF_LINE;
	}
	if (lb->len < sizeof(lb->buf))
		return LINEBUF_MORE;
	/* LINEBUF_MAX bytes and no newline: what libassuan calls too long. */
	lb->skipping = 1;
	lb->skipped = lb->len;
	lb->len = 0;
	return LINEBUF_TOO_LONG;
}

int
linebuf_partial(const struct linebuf *lb)
{
	return lb->skipping || lb->len > 0;
}

int
linebuf_skip_fd(int fd)
{
	struct linebuf lb;
	size_t room, linelen;
	ssize_t n;
	char *p;

	linebuf_init(&lb);
	lb.skipping = 1;
	lb.skipped = LINEBUF_MAX;   /* what libassuan already read */
	while (lb.skipping) {
		p = linebuf_space(&lb, &room);
		n = read(fd, p, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		linebuf_added(&lb, (size_t)n);
		if (linebuf_next(&lb, &linelen) == LINEBUF_OVERFLOW)
			return -1;
	}
	return 0;
}
