/* workers.c — see workers.h.  The pool lives until the process ends (the
 * daemon leaves with _exit, as requests may be in flight).
 *
 * Idle workers wait on a stack, and a task goes to the one that went idle
 * last: under light load the same thread (and likely the same CPU, with
 * its caches warm from the last signature) serves request after request,
 * as a thread per connection did, instead of rotating through the pool. */
#include "workers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct worker {
	struct workers *pool;
	pthread_cond_t cond;
	struct task *task;          /* handed over while on the idle stack */
	struct worker *next_idle;
};

struct workers {
	pthread_mutex_t lock;
	struct worker *idle;        /* stack: the most recently idle first */
	struct task *head, *tail;   /* waiting while no worker is idle */
	atomic_int queued;          /* HEAD != NULL, readable without the lock */
};

static void *
worker_main(void *arg)
{
	struct worker *me = arg;
	struct workers *w = me->pool;
	struct task *t;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		if ((t = w->head) != NULL) {
			w->head = t->next;
			if (w->head == NULL) {
				w->tail = NULL;
				atomic_store(&w->queued, 0);
			}
		} else {
			me->next_idle = w->idle;
			w->idle = me;
			while (me->task == NULL)
				pthread_cond_wait(&me->cond, &w->lock);
			t = me->task;
			me->task = NULL;
		}
		pthread_mutex_unlock(&w->lock);
		t->next = NULL;
		t->run(t);
		pthread_mutex_lock(&w->lock);
	}
	return NULL;
}

gpg_error_t
workers_start(size_t n, struct workers **out)
{
	struct workers *w;
	struct worker *me;
	pthread_t tid;
	size_t i;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	pthread_mutex_init(&w->lock, NULL);
	for (i = 0; i < n; i++) {
		if ((me = calloc(1, sizeof(*me))) == NULL)
			return gpg_error(GPG_ERR_ENOMEM);
		me->pool = w;
		pthread_cond_init(&me->cond, NULL);
		if (pthread_create(&tid, NULL, worker_main, me) != 0)
			return gpg_error(GPG_ERR_EAGAIN);   /* started ones keep waiting: harmless */
		pthread_detach(tid);
	}
	*out = w;
	return 0;
}

void
workers_submit(struct workers *w, struct task *t)
{
	struct worker *me;

	t->next = NULL;
	pthread_mutex_lock(&w->lock);
	if ((me = w->idle) != NULL) {
		w->idle = me->next_idle;
		me->task = t;
		pthread_cond_signal(&me->cond);
	} else {
		if (w->tail != NULL)
			w->tail->next = t;
		else
			w->head = t;
		w->tail = t;
		atomic_store(&w->queued, 1);
	}
	pthread_mutex_unlock(&w->lock);
}

int
workers_waiting(struct workers *w)
{
	/* Asked after every request: no lock for a hint that may be stale
	 * by the time it is used anyway. */
	return atomic_load(&w->queued);
}
