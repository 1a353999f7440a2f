/* park.h — a request that waits without a thread: a SIGN held open until
 * its approvers act (DESIGN: "a waiting request is state in the store plus
 * a parked connection, not a blocked thread").
 *
 * A command handler parks its connection with conn_park(): the command gets
 * no answer yet and the worker goes on to other clients.  The event loop
 * then holds the connection like an idle one (no worker, no HSM session,
 * no snapshot; only the Assuan context of the open command is kept, as
 * libassuan answers a command only in the context that dispatched it),
 * sends it "S PROGRESS <seconds>" every POLICYD_HEARTBEAT_SEC so that
 * signet-scd's deadline between lines does not fire, applies no idle
 * timeout, and watches for a hang-up (EPOLLRDHUP: seen at once, even with
 * unread bytes; what the client sends meanwhile waits in the socket and
 * is served after the answer).  It resumes the request in a worker,
 * exactly once, when the first of these happens: server_wake() for its
 * key (an approval or denial), its deadline, the client hanging up, or
 * policyd stopping (SIGTERM: before the daemon exits, within
 * POLICYD_STOP_WAIT_SEC).
 *
 * The snapshot of the parked command is released while it waits: P must
 * keep names (project, requester), not pointers into c->snap, and resume
 * looks them up in the snapshot in force then (a reload meanwhile
 * applies). */
#ifndef SIGNET_POLICYD_PARK_H
#define SIGNET_POLICYD_PARK_H

#include <stdint.h>
#include <time.h>
#include <gpg-error.h>

struct conn;
struct server;

enum park_wake {
	PARK_WOKEN = 1,     /* server_wake(KEY): look at the store to see why */
	PARK_TIMEOUT,       /* the deadline passed */
	PARK_HANGUP,        /* the client went away: no answer can be sent */
	PARK_SHUTDOWN,      /* policyd stops: answer if possible */
};

struct park {
	int64_t key;        /* what it waits for (the store request id) */
	time_t deadline;    /* monotonic seconds (monotime.h) */
	/* In a worker, exactly once.  For PARK_WOKEN, PARK_TIMEOUT and
	 * PARK_SHUTDOWN, C has an Assuan context (c->ctx) and a snapshot
	 * (c->snap) as in a command handler: write the data (assuan_send_data)
	 * and return the command's result, which conn.c answers as OK or ERR
	 * (with the reason cmd_fail() set).  For PARK_HANGUP nothing can be
	 * written (c->ctx is NULL; c->snap is set); the return value is
	 * ignored and the connection is closed after. */
	gpg_error_t (*resume)(struct conn *c, struct park *p, enum park_wake why);
	void (*release)(struct park *p);   /* frees P, after resume */
};

/* In a command handler: the command is answered later, by P->resume.  C
 * owns P from now on (also on failure: then P is released and the
 * returned error is the command's answer).  Returns what the handler
 * returns.  Set everything P->resume and server_wake() read (key,
 * deadline) before calling: a wake may come before the handler returns. */
gpg_error_t conn_park(struct conn *c, struct park *p);

/* Any thread: resume the connection parked on KEY with PARK_WOKEN (no-op
 * when none is; several keys may be woken at once).  Never waits beyond a
 * mutex. */
void server_wake(struct server *srv, int64_t key);

/* Parked connections now (for GETINFO and the benchmark). */
unsigned server_parked(struct server *srv);

#endif
