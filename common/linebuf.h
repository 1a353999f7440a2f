/* linebuf.h — one bounded reader of Assuan request lines, for signet-policyd
 * (which reads every connection through it) and signet-scd (which skips the
 * rest of an over-long line with it).
 *
 * A line is at most LINEBUF_MAX bytes including its newline (libassuan's
 * ASSUAN_LINELENGTH).  A longer line is reported once (LINEBUF_TOO_LONG, so
 * the caller can answer "ERR Line too long"), then its rest is dropped up
 * to the newline, and the connection goes on; a line whose rest is longer
 * than LINEBUF_MAX_SKIP is not worth waiting for (LINEBUF_OVERFLOW: hang
 * up).  No allocation: the buffer is part of the struct. */
#ifndef SIGNET_LINEBUF_H
#define SIGNET_LINEBUF_H

#include <stddef.h>

#define LINEBUF_MAX      1002           /* ASSUAN_LINELENGTH: 1000 + [CR,]LF */
#define LINEBUF_MAX_SKIP (64 * 1024)    /* rest of an over-long line dropped before hanging up */

struct linebuf {
	size_t len;          /* bytes held in BUF */
	size_t skipped;      /* bytes of the over-long line dropped so far */
	int skipping;        /* dropping the rest of an over-long line */
	char buf[LINEBUF_MAX];
};

enum linebuf_event {
	LINEBUF_MORE,        /* no whole line yet: read more */
	LINEBUF_LINE,        /* a whole line starts BUF (*LINELEN bytes, newline included) */
	LINEBUF_TOO_LONG,    /* a line over LINEBUF_MAX: answer it, its rest is being dropped */
	LINEBUF_OVERFLOW,    /* the over-long line went on past LINEBUF_MAX_SKIP: hang up */
};

void linebuf_init(struct linebuf *lb);
/* Where to read to, and how much (0 when a whole line is held: hand it out
 * and consume it first). */
char *linebuf_space(struct linebuf *lb, size_t *room);
/* N bytes were read into linebuf_space(). */
void linebuf_added(struct linebuf *lb, size_t n);
/* What the held bytes make: see enum linebuf_event.  LINE leaves the line
 * in place until linebuf_consume(); calling again without consuming
 * returns the same line. */
enum linebuf_event linebuf_next(struct linebuf *lb, size_t *linelen);
/* Drop the first LEN held bytes (the line handed out). */
void linebuf_consume(struct linebuf *lb, size_t len);
/* 1 if part of a line is held or being dropped (the client is mid-line). */
int linebuf_partial(const struct linebuf *lb);

/* signet-scd: libassuan refused a line as too long after reading its first
 * LINEBUF_MAX bytes; read the rest from FD one byte at a time (so nothing
 * after the newline is taken from libassuan) up to LINEBUF_MAX_SKIP bytes.
 * 0 at the newline; -1 at EOF, a read error or the limit (hang up). */
int linebuf_skip_fd(int fd);

#endif
