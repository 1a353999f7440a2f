/* asswrite.c — see asswrite.h. */
#include "asswrite.h"

#include <errno.h>
#include <string.h>

int
asswrite_line_feed(struct asswrite_line *l, const char *buf, size_t size, int status)
{
	const char *nl;
	size_t i = 0;

	if (size == 0)
		return 1;
	while (i < size) {
		if (!l->mid) {
			/* libassuan writes "D " and "S " with their line, so
			 * a first letter alone is another kind of line. */
			l->kind = size - i >= 2 && buf[i + 1] == ' ' ? buf[i] : '\0';
			l->mid = 1;
		}
		if ((nl = memchr(buf + i, '\n', size - i)) == NULL)
			break;
		i = (size_t)(nl - buf) + 1;
		l->mid = 0;
	}
	return l->mid || l->kind == 'D' || (status && l->kind == 'S');
}

void
asswrite_init(struct asswrite *w, asswrite_raw_fn raw)
{
	memset(w, 0, sizeof(*w));
	w->raw = raw != NULL ? raw : __assuan_write;
	w->fd = ASSUAN_INVALID_FD;
}

static int
write_all(struct asswrite *w, assuan_context_t ctx, assuan_fd_t fd, const char *buf, size_t size)
{
	ssize_t n;

	while (size > 0) {
		n = w->raw(ctx, fd, buf, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EPIPE;
			return -1;
		}
		buf += n;
		size -= (size_t)n;
	}
	return 0;
}

int
asswrite_flush(struct asswrite *w, assuan_context_t ctx)
{
	size_t len = w->len;

	w->len = 0;
	w->hold_status = 0;
	if (len == 0)
		return 0;
	return write_all(w, ctx, w->fd, w->buf, len);
}

ssize_t
asswrite_write(struct asswrite *w, assuan_context_t ctx, assuan_fd_t fd, const void *buf,
               size_t size)
{
	int hold = asswrite_line_feed(&w->line, buf, size, w->hold_status);

	if (w->len > 0 && w->fd != fd && asswrite_flush(w, ctx) != 0)
		return -1;
	w->fd = fd;
	if (size <= sizeof(w->buf) - w->len) {
		memcpy(w->buf + w->len, buf, size);
		w->len += size;
		if (hold)
			return (ssize_t)size;
		return asswrite_flush(w, ctx) == 0 ? (ssize_t)size : -1;
	}
	if (asswrite_flush(w, ctx) != 0 || write_all(w, ctx, fd, buf, size) != 0)
		return -1;
	return (ssize_t)size;
}

void
asswrite_hold_status(struct asswrite *w)
{
	w->hold_status = 1;
}
