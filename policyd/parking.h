/* parking.h — the registry of parked connections (park.h) that workers and
 * the event loop share.
 *
 * A connection enters it in a worker (conn_park) and leaves it in the loop,
 * when the loop decides to resume it: that decision is taken in the loop's
 * thread only, once, so a wake, a deadline and a hang-up that race resume
 * the request exactly once.  A wake (any thread) only marks the connection
 * parked on its key; the loop takes the marked ones it holds.  A wake that
 * comes before the loop holds the connection (the worker that parked it
 * has not handed it back yet) stays marked and is seen when it arrives.
 * One mutex, held for a list walk, never across I/O. */
#ifndef SIGNET_POLICYD_PARKING_H
#define SIGNET_POLICYD_PARKING_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

struct conn;

struct parking {
	pthread_mutex_t lock;   /* guards HEAD, the members' park links and woken marks */
	struct conn *head;      /* parked (or being parked), not yet resumed */
	unsigned woken;         /* of them, woken and not taken yet */
	atomic_uint held;       /* of them, held by the loop (GETINFO parked) */
};

void parking_init(struct parking *pk);
/* A worker, in conn_park(): C (c->park set) waits from now on. */
void parking_add(struct parking *pk, struct conn *c);
/* Any thread: mark the connection parked on KEY as woken.  1 if one was
 * (the loop must then look: parking_take_woken), 0 if none is parked on
 * KEY or it was woken already. */
int parking_wake(struct parking *pk, int64_t key);
/* The loop: C leaves the registry (no-op if it left already).  1 if it had
 * been woken meanwhile. */
int parking_remove(struct parking *pk, struct conn *c);
/* The loop: take the woken connections it holds (c->parked) out of the
 * registry; returns them linked through c->wake_next.  Costs a mutex when
 * nothing was woken (it runs after every request handed back). */
struct conn *parking_take_woken(struct parking *pk);

#endif
