/* workers.c — see workers.h.  The pool lives until the process ends (the
 * daemon leaves with _exit, as requests may be in flight). */
#include "workers.h"

#include <pthread.h>
#include <stdlib.h>

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct task *head, *tail;
};

static void *
worker_main(void *arg)
{
	struct workers *w = arg;
	struct task *t;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (w->head == NULL)
			pthread_cond_wait(&w->cond, &w->lock);
		t = w->head;
		w->head = t->next;
		if (w->head == NULL)
			w->tail = NULL;
		pthread_mutex_unlock(&w->lock);
		t->next = NULL;
		t->run(t);
	}
	return NULL;
}

gpg_error_t
workers_start(size_t n, struct workers **out)
{
	struct workers *w;
	pthread_t tid;
	size_t i;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	for (i = 0; i < n; i++) {
		if (pthread_create(&tid, NULL, worker_main, w) != 0)
			return gpg_error(GPG_ERR_EAGAIN);   /* started ones keep waiting: harmless */
		pthread_detach(tid);
	}
	*out = w;
	return 0;
}

void
workers_submit(struct workers *w, struct task *t)
{
	t->next = NULL;
	pthread_mutex_lock(&w->lock);
	if (w->tail != NULL)
		w->tail->next = t;
	else
		w->head = t;
	w->tail = t;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}
