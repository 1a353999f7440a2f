/* asswrite.h — one write per answer for libassuan's output.
 *
 * libassuan writes a line in pieces: "OK", then "\n"; "S ", the text, then
 * "\n"; a command line, then "\n".  Each write(2) to a Unix socket wakes
 * the reader, and on a virtual machine the woken reader preempts the
 * writer: a PKSIGN answered in three writes cost three pairs of context
 * switches (doc/policyd-protocol.md, "One write per answer").  A write
 * hook holds a piece until the write that ends its line, and holds data
 * lines ("D …") until the line after them (the END, OK or ERR that
 * libassuan sends right behind them), so that a whole answer leaves in
 * one write.
 *
 * Only pieces that libassuan always completes at once are held: a line's
 * beginning, and data lines, which are always followed by another line
 * before libassuan reads.  A status line is held only while the writer
 * asked for it (asswrite_hold_status: a handler that ends right after its
 * status lines), so a status line sent while a command still waits (S
 * PROGRESS) goes out at once.  The read hooks flush first, so nothing held
 * can wait across a read. */
#ifndef SIGNET_ASSWRITE_H
#define SIGNET_ASSWRITE_H

#include <stddef.h>
#include <sys/types.h>

#include <assuan.h>

#define ASSWRITE_HOLD_MAX 4096   /* held bytes; more is written at once */

/* Where a stream of writes is within its current line. */
struct asswrite_line {
	int mid;     /* part of a line is written, not yet its newline */
	char kind;   /* 'D', 'S' or another first letter of the current or last line */
};

/* Feed one write of SIZE bytes to L.  Returns 1 if the write may wait for
 * the next (it ends inside a line, or ends a data line), or with STATUS,
 * a status line too. */
int asswrite_line_feed(struct asswrite_line *l, const char *buf, size_t size, int status);

/* How the held bytes reach FD: libassuan's own write (__assuan_write) or
 * the caller's (a socket sent with MSG_NOSIGNAL, say). */
typedef ssize_t (*asswrite_raw_fn)(assuan_context_t ctx, assuan_fd_t fd, const void *buf,
                                   size_t size);

/* A blocking writer (signet-scd's answers, policyd clients' requests). */
struct asswrite {
	asswrite_raw_fn raw;
	struct asswrite_line line;
	int hold_status;             /* hold S lines too, until the next flush */
	assuan_fd_t fd;              /* where the held bytes go */
	size_t len;
	char buf[ASSWRITE_HOLD_MAX];
};

/* RAW NULL: __assuan_write. */
void asswrite_init(struct asswrite *w, asswrite_raw_fn raw);
/* The write hook's work: hold BUF or write it after what is held (to FD,
 * through W's raw write, retrying short writes).  Returns SIZE, or -1 with
 * errno set. */
ssize_t asswrite_write(struct asswrite *w, assuan_context_t ctx, assuan_fd_t fd, const void *buf,
                       size_t size);
/* Write what is held.  0, or -1 with errno set (the held bytes are
 * dropped: the stream is broken anyway). */
int asswrite_flush(struct asswrite *w, assuan_context_t ctx);
/* Until the next flush, also hold whole status lines: for a handler that
 * ends right after them (its OK then leaves in the same write). */
void asswrite_hold_status(struct asswrite *w);

#endif
