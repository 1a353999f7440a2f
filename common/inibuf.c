/* inibuf.c — see inibuf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "inibuf.h"

void
inibuf_init(struct inibuf *ib, const char *name, const char *buf, size_t len,
            char *err, size_t errlen)
{
	memset(ib, 0, sizeof(*ib));
	ib->name = name;
	ib->buf = buf;
	ib->len = len;
	ib->err = err;
	ib->errlen = err != NULL ? errlen : 0;
	if (ib->errlen > 0)
		err[0] = '\0';
}

int
inibuf_next_line(struct inibuf *ib, const char **line, size_t *linelen)
{
	const char *start, *nl;
	size_t len, rest;

	if (ib->err_line != 0 || ib->pos >= ib->len)
		return 0;
	start = ib->buf + ib->pos;
	rest = ib->len - ib->pos;
	nl = memchr(start, '\n', rest);
	len = nl != NULL ? (size_t)(nl - start) : rest;
	ib->pos += nl != NULL ? len + 1 : len;
	ib->lineno++;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	*line = start;
	*linelen = len;
	return 1;
}

void
inibuf_rewind(struct inibuf *ib)
{
	ib->pos = 0;
	ib->lineno = 0;
}

void
inibuf_fail(struct inibuf *ib, int line, const char *fmt, ...)
{
	char msg[INIBUF_MAX_MSG];
	va_list ap;

	if (ib->err_line != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ib->err_line = line > 0 ? line : -1;
	if (ib->errlen == 0)
		return;
	if (line > 0)
		snprintf(ib->err, ib->errlen, "%s:%d: %s", ib->name, line, msg);
	else
		snprintf(ib->err, ib->errlen, "%s: %s", ib->name, msg);
}
