/* connio.h — a connection's output: every write of policyd to a client goes
 * through here, and none ever waits.
 *
 * What the socket does not take at once waits in the connection's queue
 * (at most POLICYD_MAX_OUTPUT bytes), which the event loop sends with
 * connio_flush() and a deadline.  One writer at a time (c->wlock); the
 * heartbeat writes only at a line boundary with an empty queue, so it never
 * lands inside a line of the answer. */
#ifndef SIGNET_POLICYD_CONNIO_H
#define SIGNET_POLICYD_CONNIO_H

#include <sys/types.h>

#include "policyd.h"

/* Write SIZE bytes of BUF for C (libassuan's write hook): to the socket as
 * far as it takes them, the rest to the queue.  Returns SIZE, or -1 when
 * the queue would pass POLICYD_MAX_OUTPUT (errno ENOBUFS, logged) or the
 * socket failed. */
ssize_t connio_write(struct conn *c, const void *buf, size_t size);
/* 1 if part of an answer waits in the queue. */
int connio_has_output(const struct conn *c);
/* The loop's thread: send what the queue holds, without waiting.  1: all
 * sent (the queue's memory is freed); 0: the socket is full again; -1: the
 * connection failed. */
int connio_flush(struct conn *c);

/* The loop's thread, while a worker runs C's request or C is parked: send
 * "S PROGRESS <SECONDS>" if the output is between two lines, the queue is
 * empty and the line fits into the socket now; never waits.  A line that
 * fits only in part breaks the connection (shut down; the worker then
 * fails). */
void connio_heartbeat(struct conn *c, long seconds);

/* Send LINE (with its newline) to a connection being refused: never
 * waits, best effort. */
void connio_send_refusal(int fd, const char *line);

#endif
