/* inibuf.h — a configuration file held in memory and handed to libinih
 * one line at a time (ini_parse_stream), with the line numbers libinih does
 * not give its handler and the first error kept as "NAME:LINE: reason"
 * (STYLE 18).  signet.conf (common/config.c) and signet-scd.conf
 * (scdaemon-shim/scdconf.c) are both read through it; each keeps its own
 * ini_reader, because their line rules differ. */
#ifndef SIGNET_INIBUF_H
#define SIGNET_INIBUF_H

#include <stddef.h>

#define INIBUF_MAX_MSG 512     /* a reason, before "NAME:LINE: " is added */

struct inibuf {
	const char *name;      /* file name for messages */
	const char *buf;       /* LEN bytes, need not be NUL-terminated */
	size_t len;
	size_t pos;            /* where the next line starts */
	int lineno;            /* number of the line taken last (1-based) */
	int err_line;          /* 0: no error yet; -1: one not tied to a line */
	char *err;             /* ERRLEN bytes; NULL with 0: no text kept */
	size_t errlen;
};

/* Start IB over BUF/LEN.  ERR (if not NULL) is set to "". */
void inibuf_init(struct inibuf *ib, const char *name, const char *buf, size_t len,
                 char *err, size_t errlen);

/* Take the next line: *LINE points at it in the buffer, *LINELEN is its
 * length without the "\n" and without a "\r" just before it, and
 * IB->lineno counts it.  Returns 1, or 0 at the end of the buffer or once an
 * error has been recorded.  NUL bytes are left for the caller to judge. */
int inibuf_next_line(struct inibuf *ib, const char **line, size_t *linelen);

/* Back to the first line (after a first pass over all of them). */
void inibuf_rewind(struct inibuf *ib);

/* Record the first error as "NAME:LINE: MSG" (LINE <= 0: "NAME: MSG") and
 * set IB->err_line to LINE (or -1).  Once an error is recorded, later calls
 * change nothing: the first error wins. */
void inibuf_fail(struct inibuf *ib, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
