/* http-deadline.c — see http-deadline.h. */
#include "http-deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "monotime.h"

/* One open connection. */
struct tracked {
	int fd;
	long long since;               /* monotonic ms: its request (or the connection) began */
	int answering;                 /* the request is complete: no deadline */
	int cut;                       /* shut down by the reaper */
	struct tracked *prev, *next;
};

struct tsa_deadline {
	long long timeout_ms;
	pthread_mutex_t lock;          /* guards the list and stopping; never held across I/O
	                                  but shutdown(2), which does not block */
	pthread_cond_t wake;
	struct tracked *head;
	int stopping;
	pthread_t reaper;
	int have_reaper;
};

/* Shut down every connection past its deadline (caller locks); how many. */
static unsigned long
cut_late(struct tsa_deadline *d, long long now)
{
	struct tracked *t;
	unsigned long n = 0;

	for (t = d->head; t != NULL; t = t->next) {
		if (t->answering || t->cut || now - t->since < d->timeout_ms)
			continue;
		/* libmicrohttpd sees the end of the stream and closes the
		 * connection itself; the fd stays open (and ours) until its
		 * NOTIFY_CLOSED has taken it off this list. */
		(void)shutdown(t->fd, SHUT_RDWR);
		t->cut = 1;
		n++;
	}
	return n;
}

static void *
reaper_main(void *arg)
{
	struct tsa_deadline *d = arg;
	struct timespec until;
	unsigned long n;
	long long next;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		next = monotime_ms() + TSA_DEADLINE_TICK_MS;
		until.tv_sec = next / 1000;
		until.tv_nsec = (next % 1000) * 1000000;
		(void)pthread_cond_timedwait(&d->wake, &d->lock, &until);
		if (d->stopping)
			break;
		n = cut_late(d, monotime_ms());
		if (n > 0) {
			pthread_mutex_unlock(&d->lock);
			log_warn("http: cut off %lu request(s) not complete within request_timeout (%llds)", n,
			         d->timeout_ms / 1000);
			pthread_mutex_lock(&d->lock);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

gpg_error_t
tsa_deadline_start(unsigned request_timeout_s, struct tsa_deadline **dp, char *err, size_t errlen)
{
	struct tsa_deadline *d;
	pthread_condattr_t ca;

	*dp = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return gpg_error(GPG_ERR_ENOMEM);
	}
	d->timeout_ms = (long long)request_timeout_s * 1000;
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&d->reaper, NULL, reaper_main, d) != 0) {
		snprintf(err, errlen, "cannot start the request deadline thread");
		tsa_deadline_free(d);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	d->have_reaper = 1;
	*dp = d;
	return 0;
}

void
tsa_deadline_stop(struct tsa_deadline *d)
{
	if (d == NULL || !d->have_reaper)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->reaper, NULL);
	d->have_reaper = 0;
}

void
tsa_deadline_free(struct tsa_deadline *d)
{
	struct tracked *t, *next;

	if (d == NULL)
		return;
	tsa_deadline_stop(d);
	for (t = d->head; t != NULL; t = next) {
		next = t->next;
		free(t);
	}
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static struct tracked *
track_new(struct tsa_deadline *d, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct tracked *t;

	if (ci == NULL || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->fd = ci->connect_fd;
	t->since = monotime_ms();
	pthread_mutex_lock(&d->lock);
	t->next = d->head;
	if (d->head != NULL)
		d->head->prev = t;
	d->head = t;
	pthread_mutex_unlock(&d->lock);
	return t;
}

static void
track_free(struct tsa_deadline *d, struct tracked *t)
{
	pthread_mutex_lock(&d->lock);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		d->head = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&d->lock);
	free(t);
}

void
tsa_deadline_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                    enum MHD_ConnectionNotificationCode toe)
{
	struct tsa_deadline *d = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		/* Untracked (out of memory): only the idle timeout applies. */
		*socket_context = track_new(d, conn);
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context != NULL) {
		track_free(d, *socket_context);
		*socket_context = NULL;
	}
}

static struct tracked *
tracked_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

/* CONN's request is being answered (ANSWERING), or ended and the clock
 * restarts for the next one. */
static void
mark(struct tsa_deadline *d, struct MHD_Connection *conn, int answering)
{
	struct tracked *t = tracked_of(conn);

	if (t == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	t->answering = answering;
	if (!answering)
		t->since = monotime_ms();
	pthread_mutex_unlock(&d->lock);
}

void
tsa_deadline_answering(struct tsa_deadline *d, struct MHD_Connection *conn)
{
	mark(d, conn, 1);
}

void
tsa_deadline_next(struct tsa_deadline *d, struct MHD_Connection *conn)
{
	mark(d, conn, 0);
}
