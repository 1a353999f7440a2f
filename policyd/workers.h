/* workers.h — a fixed pool of threads that run tasks from one queue.
 *
 * The event loop queues a connection with a whole request line (or a
 * refusal to audit); a worker runs it and the task's own function hands
 * the result back.  Threads exist per pool, not per connection, so idle
 * connections cost no thread. */
#ifndef SIGNET_POLICYD_WORKERS_H
#define SIGNET_POLICYD_WORKERS_H

#include <stddef.h>
#include <gpg-error.h>

struct task {
	struct task *next;
	void (*run)(struct task *t);   /* in a worker; owns T from then on */
};

struct workers;

/* Start N threads.  Signals must already be blocked in the caller (they
 * inherit its mask). */
gpg_error_t workers_start(size_t n, struct workers **out);
/* Queue T (FIFO); never blocks beyond the queue's mutex. */
void workers_submit(struct workers *w, struct task *t);
/* 1 if tasks wait for a worker: a worker must not keep serving one
 * connection then (fairness between clients). */
int workers_waiting(struct workers *w);

#endif
