/* conn.h — one client connection of signet-policyd: its bounded input, its
 * deadline-bound output, and libassuan running one request at a time.
 *
 * The event loop (server.c) reads bytes with conn_read() until a whole line
 * is held, then hands the connection to a worker, which runs that one line
 * with conn_work(): libassuan reads it from the buffer through per-context
 * system hooks (never from the socket) and writes the answer through a hook
 * that never waits: what the socket does not take goes to the connection's
 * output queue (at most POLICYD_MAX_OUTPUT bytes), which the loop sends
 * with connio_flush() within POLICYD_WRITE_TIMEOUT_SEC or drops the client.
 * The next line is not read while an answer is unsent, so a connection's
 * unread output is one answer, and no worker ever waits on a client.
 * All writes, the loop's S PROGRESS heartbeat included, go through one
 * writer lock per connection and only between whole lines.
 *
 * A command may park instead of answering (park.h): conn_work() then keeps
 * the request's Assuan context with the command open and returns; the loop
 * holds the connection (its only writer meanwhile) until a worker runs
 * conn_resume(), which answers the command in that context. */
#ifndef SIGNET_POLICYD_CONN_H
#define SIGNET_POLICYD_CONN_H

#include <time.h>
#include <gpg-error.h>

#include "park.h"
#include "policyd.h"

enum conn_state {
	CONN_WAIT,     /* nothing to run yet: wait for input */
	CONN_READY,    /* a line (or a too-long one) to hand to a worker */
	CONN_CLOSE,    /* EOF, error, or a line past every limit */
};

/* A connection for the accepted, non-blocking FD of UID/PID.  It gets
 * an Assuan context (the protocol's commands registered) only while it
 * runs a request.  Takes over FD only on success. */
gpg_error_t conn_new(struct policyd *pd, int fd, uid_t uid, pid_t pid,
                     struct conn **out);
/* Close the socket and free C.  NULL is a no-op. */
void conn_free(struct conn *c);

/* The loop's thread: send the greeting (never waits).  0, or -1 to drop
 * the connection. */
int conn_greet(struct conn *c);
/* The loop's thread: read what the socket has (once) and say what C holds.
 * NOW (monotonic seconds) starts the partial-line clock. */
enum conn_state conn_read(struct conn *c, time_t now);
/* What C holds without reading: after a request, another whole line may
 * already be buffered (a client that pipelines). */
enum conn_state conn_pending(struct conn *c, time_t now);

/* A worker: run the line conn_read() found (or answer that it was too long).
 * Sets c->dead when the connection must be closed (output over
 * POLICYD_MAX_OUTPUT, BYE, transport error). */
void conn_work(struct conn *c);

/* A worker: answer C's parked command (park.h) — P->resume with an Assuan
 * context and a snapshot, then its OK or ERR — and release the park.  For
 * PARK_HANGUP nothing is written and c->dead is set. */
void conn_resume(struct conn *c, enum park_wake why);

#endif
