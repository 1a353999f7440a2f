/* loop.c — the event loop: one thread owns the listening socket, the
 * signals and every idle connection; a pool of workers runs requests.
 *
 * A connection costs a struct and a 1 KiB line buffer while idle, no
 * thread and no Assuan context; no worker ever waits on a client either (an
 * answer the socket does not take is sent from here, with a deadline); so
 * thousands of idle connections are cheap, and what one user can hold is
 * bounded by max_connections_per_user.
 * Idle limits count whole requests: POLICYD_IDLE_TIMEOUT_SEC after the last
 * answered request (a partial line does not reset it) and
 * POLICYD_PARTIAL_TIMEOUT_SEC for one unfinished line.  Nothing here ever
 * waits on a client, so SIGTERM and SIGHUP are handled whatever clients do;
 * a reload runs in a worker (it reads the HSM), not here.
 *
 * Parked connections (park.h): a command that waits for approvers hands
 * its connection back parked; the loop holds it with only EPOLLRDHUP (and
 * EPOLLOUT for output left over) armed, no idle limit, its S PROGRESS
 * heartbeat and its deadline checked in the 1 s tick (no timer per
 * connection), and its Assuan context kept open (conn.c says why): about
 * 8 KiB each with the struct (1,000 parked add 8 MiB of RSS) and no CPU
 * between ticks.  Which of a wake (server_wake, any thread, through the
 * eventfd as workers hand back connections), its deadline, its hang-up or
 * SIGTERM comes first is decided here, in one thread, so it resumes once
 * (unpark()).  SIGTERM answers the parked ones (PARK_SHUTDOWN) before
 * server_run() returns.
 *
 * Signals: SIGTERM, SIGINT and SIGHUP are blocked in every thread (main.c
 * blocks them before any thread exists) and read here through a signalfd. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "connio.h"
#include "connlimit.h"
#include "log.h"
#include "monotime.h"
#include "park.h"
#include "parking.h"
#include "platform.h"
#include "policyd.h"
#include "signet-err.h"
#include "workers.h"

#define LOOP_MAX_EVENTS  256
#define LOOP_ACCEPT_BATCH 64      /* accepts per wake-up, so clients get served meanwhile */
#define LOOP_MAX_DUE     32       /* refusal reports per tick batch */

struct server {
	struct policyd *pd;
	int epfd, sfd, evfd;
	int listen_paused;              /* out of descriptors: retried each tick */
	unsigned fd_cap;                /* connections the open-file limit leaves room for */
	struct workers *workers;
	struct connlimit *limits;
	struct conn *all;               /* every connection */
	pthread_mutex_t done_lock;      /* guards DONE only */
	struct conn *done;              /* handed back by workers */
	struct parking parking;         /* parked connections (park.h) */
	unsigned nparked;               /* held parked by the loop */
	unsigned nresuming;             /* resume tasks not handed back yet */
	int stopping;                   /* SIGTERM: parked requests are being answered */
	time_t stop_deadline;           /* monotonic: leave then in any case */
};

struct audit_task {
	struct task task;
	struct policyd *pd;
	struct connlimit_refusal r;
	unsigned max;
};

struct reload_task {
	struct task task;
	struct policyd *pd;
	uid_t uid;                      /* who sent SIGHUP (kill(2) fills it in) */
	pid_t pid;
};

/* Raise the open-file limit to its hard limit: each connection is a
 * descriptor.  Returns how many connections that leaves room for. */
static unsigned
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024 - POLICYD_FD_RESERVE;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > CONFIG_MAX_CONN + POLICYD_FD_RESERVE)
		return CONFIG_MAX_CONN;
	if (rl.rlim_cur <= POLICYD_FD_RESERVE * 2)
		return (unsigned)rl.rlim_cur / 2;
	return (unsigned)(rl.rlim_cur - POLICYD_FD_RESERVE);
}

static void
arm(struct server *srv, struct conn *c, int op)
{
	struct epoll_event ev;

	if (c->parked)
		ev.events = EPOLLRDHUP | (c->flushing ? EPOLLOUT : 0) | EPOLLONESHOT;
	else
		ev.events = (c->flushing ? EPOLLOUT : EPOLLIN) | EPOLLONESHOT;
	ev.data.ptr = c;
	if (c->unwatched) {
		op = EPOLL_CTL_ADD;
		c->unwatched = 0;
	}
	if (epoll_ctl(srv->epfd, op, c->fd, &ev) != 0) {
		log_error("epoll_ctl: %s", strerror(errno));
		shutdown(c->fd, SHUT_RDWR);   /* never silently forgotten: EOF next */
	}
}

/* No events for C while a worker has it.  Out of the set, not re-armed
 * with no events: EPOLL_CTL_MOD always adds EPOLLHUP, which a client that
 * left would raise at once, and the worker may hand C back (to be freed)
 * before the loop sees that event.  arm() adds it again. */
static void
disarm(struct server *srv, struct conn *c)
{
	(void)epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	c->unwatched = 1;
}

/* Wake the loop: workers handed something back, or a key was woken. */
static void
poke(struct server *srv)
{
	uint64_t one = 1;

	if (write(srv->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("eventfd: %s", strerror(errno));
}

static void
conn_close(struct server *srv, struct conn *c)
{
	(void)epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->all = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	connlimit_release(srv->limits, c->uid);
	conn_free(c);
}

/* In a worker, after an answer: wait up to POLICYD_LINGER_MS for the
 * client's next line, as a thread per connection would (a client that
 * sends its next request at once is then served without two thread
 * wake-ups through the loop).  Only while no other request waits for a
 * worker, and for at most POLICYD_LINGER_MAX requests or a second, so one
 * busy client cannot keep a worker from the others.  1 if a whole line
 * (or a too-long one) is there to run. */
static int
linger(struct conn *c)
{
	struct pollfd p = { c->fd, POLLIN, 0 };

	if (poll(&p, 1, POLICYD_LINGER_MS) != 1)
		return 0;
	switch (conn_read(c, monotime_sec())) {
	case CONN_READY:
		return 1;
	case CONN_CLOSE:
		c->dead = 1;
		return 0;
	case CONN_WAIT:
		return 0;
	}
	return 0;
}

/* In a worker: C goes back to the loop (take_back). */
static void
hand_back(struct server *srv, struct conn *c)
{
	pthread_mutex_lock(&srv->done_lock);
	c->done_next = srv->done;
	srv->done = c;
	pthread_mutex_unlock(&srv->done_lock);
	poke(srv);
}

/* In a worker: run C's line (and, for a while, the lines that follow at
 * once), then hand C back to the loop.  A parked command ends the run: the
 * loop holds C until it resumes. */
static void
run_conn(struct task *t)
{
	struct conn *c = (struct conn *)((char *)t - offsetof(struct conn, task));
	struct server *srv = c->pd->server;
	time_t start = monotime_sec();
	int n = 0;

	do
		conn_work(c);
	while (!c->dead && c->park == NULL && !connio_has_output(c) && !linebuf_partial(&c->in) &&
	       ++n < POLICYD_LINGER_MAX && monotime_sec() - start < 1 &&
	       !workers_waiting(srv->workers) && linger(c));
	/* The common case, answered in full and nothing more buffered: wait
	 * for the next line in epoll straight away rather than through the
	 * loop, which saves a thread wake-up.  Nothing here can make the loop
	 * close C meanwhile (it was just active). */
	if (!c->dead && c->park == NULL && !connio_has_output(c) && !linebuf_partial(&c->in)) {
		c->last_request = monotime_sec();
		c->partial_since = 0;
		atomic_store(&c->busy, 0);
		arm(srv, c, EPOLL_CTL_MOD);
		return;
	}
	hand_back(srv, c);
}

/* In a worker: answer C's parked command (conn_resume), then hand C back
 * like after any request (it may hold lines sent meanwhile). */
static void
run_resume(struct task *t)
{
	struct conn *c = (struct conn *)((char *)t - offsetof(struct conn, task));

	conn_resume(c, (enum park_wake)c->park_why);
	hand_back(c->pd->server, c);
}

static void
dispatch(struct server *srv, struct conn *c, time_t now)
{
	c->busy = 1;
	c->busy_since = now;
	c->last_beat = now;
	c->task.run = run_conn;
	workers_submit(srv->workers, &c->task);
}

/* The one place that resumes a parked request: in the loop's thread, and
 * only for a connection still in the registry or just handed back parked,
 * so whatever comes first (a wake, the deadline, a hang-up, SIGTERM)
 * resumes it, once. */
static void
unpark(struct server *srv, struct conn *c, enum park_wake why, time_t now)
{
	(void)parking_remove(&srv->parking, c);
	if (c->parked) {
		c->parked = 0;
		srv->nparked--;
		atomic_fetch_sub(&srv->parking.held, 1);
	}
	disarm(srv, c);
	c->flushing = 0;     /* what is unsent goes out after the answer, with a new deadline */
	c->resuming = 1;
	srv->nresuming++;
	c->park_why = why;
	c->busy = 1;
	c->busy_since = c->park_since;
	c->last_beat = now;
	c->task.run = run_resume;
	workers_submit(srv->workers, &c->task);
}

/* A worker handed C back with its command parked: hold it (no worker, no
 * idle limit), sending what the command wrote before it parked; or resume
 * it at once when its key was woken meanwhile or policyd is stopping. */
static void
park_arrived(struct server *srv, struct conn *c, time_t now)
{
	int r;

	if (srv->stopping) {
		unpark(srv, c, PARK_SHUTDOWN, now);
		return;
	}
	c->parked = 1;
	srv->nparked++;
	atomic_fetch_add(&srv->parking.held, 1);
	c->last_beat = now;
	if (connio_has_output(c)) {
		c->out_deadline = now + POLICYD_WRITE_TIMEOUT_SEC;
		if ((r = connio_flush(c)) < 0) {
			unpark(srv, c, PARK_HANGUP, now);
			return;
		}
		c->flushing = r == 0;
	}
	/* A wake that came while the worker still had C is taken by
	 * take_wakes(), at the end of take_back(). */
	arm(srv, c, EPOLL_CTL_MOD);
}

/* An event on parked C: its hang-up resumes it; the rest of what it wrote
 * before parking goes out.  What the client sends meanwhile is not read:
 * it waits in the socket for after the answer, and EPOLLRDHUP reports the
 * hang-up even with unread bytes, so nothing is spent on them. */
static void
parked_event(struct server *srv, struct conn *c, uint32_t events, time_t now)
{
	int r;

	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		unpark(srv, c, PARK_HANGUP, now);
		return;
	}
	if (c->flushing) {
		if ((r = connio_flush(c)) < 0) {
			unpark(srv, c, PARK_HANGUP, now);
			return;
		}
		c->flushing = r == 0;
	}
	arm(srv, c, EPOLL_CTL_MOD);
}

/* Keys woken by server_wake(): resume the connections parked on them. */
static void
take_wakes(struct server *srv, time_t now)
{
	struct conn *c, *next;

	for (c = parking_take_woken(&srv->parking); c != NULL; c = next) {
		next = c->wake_next;
		unpark(srv, c, PARK_WOKEN, now);
	}
}

static void
after_input(struct server *srv, struct conn *c, enum conn_state st, time_t now)
{
	switch (st) {
	case CONN_READY:
		dispatch(srv, c, now);
		break;
	case CONN_CLOSE:
		conn_close(srv, c);
		break;
	case CONN_WAIT:
		arm(srv, c, EPOLL_CTL_MOD);
		break;
	}
}

/* After a request: send what the client did not take yet (within
 * POLICYD_WRITE_TIMEOUT_SEC, checked by tick()), then read on. */
static void
after_request(struct server *srv, struct conn *c, time_t now)
{
	int r;

	if (!c->flushing && connio_has_output(c)) {
		c->flushing = 1;
		c->out_deadline = now + POLICYD_WRITE_TIMEOUT_SEC;
	}
	if (c->flushing) {
		if ((r = connio_flush(c)) < 0) {
			conn_close(srv, c);
			return;
		}
		if (r == 0) {
			arm(srv, c, EPOLL_CTL_MOD);
			return;
		}
		c->flushing = 0;
	}
	after_input(srv, c, conn_pending(c, now), now);
}

/* Requests the workers finished: close, run the next pipelined line, or
 * wait for input again. */
static void
take_back(struct server *srv, time_t now)
{
	struct conn *c, *next;
	uint64_t n;

	if (read(srv->evfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_error("eventfd: %s", strerror(errno));
	pthread_mutex_lock(&srv->done_lock);
	c = srv->done;
	srv->done = NULL;
	pthread_mutex_unlock(&srv->done_lock);
	for (; c != NULL; c = next) {
		next = c->done_next;
		c->busy = 0;
		if (c->resuming) {
			c->resuming = 0;
			srv->nresuming--;
		}
		if (c->park != NULL) {
			park_arrived(srv, c, now);
			continue;
		}
		if (c->dead) {
			conn_close(srv, c);
			continue;
		}
		if (srv->stopping) {
			/* Its answer, if the socket takes it; then no more. */
			(void)connio_flush(c);
			conn_close(srv, c);
			continue;
		}
		c->last_request = now;
		after_request(srv, c, now);
	}
	take_wakes(srv, now);
}

static void
run_audit_refusal(struct task *t)
{
	struct audit_task *at = (struct audit_task *)t;
	struct audit_event ev;
	char user[POLICYD_USER_MAX], reason[256];
	gpg_error_t r;

	platform_user_name(at->r.uid, user, sizeof(user));
	if (at->r.why == CONNLIMIT_USER)
		snprintf(reason, sizeof(reason), "%lu connection(s) refused: the user holds %u "
		         "(max_connections_per_user = %u)", at->r.count, at->r.held, at->max);
	else
		snprintf(reason, sizeof(reason), "%lu connection(s) refused: signet-policyd holds "
		         "its maximum of %u connections", at->r.count, at->max);
	memset(&ev, 0, sizeof(ev));
	ev.event = "connect";
	ev.has_requester = 1;
	ev.uid = at->r.uid;
	ev.user = user;
	ev.pid = at->r.pid;
	ev.result = "refused";
	ev.reason = reason;
	if ((r = audit_append(at->pd->audit, &ev, NULL)) != 0)
		log_error_e(r, "audit append (connection refusal for uid %u)", (unsigned)at->r.uid);
	free(at);
}

/* One log line and one audit record per uid and second of refusals. */
static void
report_refusals(struct server *srv, time_t now)
{
	struct connlimit_refusal due[LOOP_MAX_DUE];
	struct audit_task *at;
	size_t n, i;

	do {
		n = connlimit_due(srv->limits, now, due, LOOP_MAX_DUE);
		for (i = 0; i < n; i++) {
			log_warn("uid %u: refused %lu connection(s): %s", (unsigned)due[i].uid, due[i].count,
			         due[i].why == CONNLIMIT_USER ? "max_connections_per_user reached"
			                                      : "max_connections reached");
			if ((at = calloc(1, sizeof(*at))) == NULL)
				continue;
			at->task.run = run_audit_refusal;
			at->pd = srv->pd;
			at->r = due[i];
			at->max = due[i].why == CONNLIMIT_USER ? connlimit_max_per_user(srv->limits)
			                                       : connlimit_max_total(srv->limits);
			workers_submit(srv->workers, &at->task);
		}
	} while (n == LOOP_MAX_DUE);
}

/* Once a second for parked C: its deadline, its output's deadline, its
 * heartbeat (the loop is its only writer while it is parked). */
static void
tick_parked(struct server *srv, struct conn *c, time_t now)
{
	if (c->flushing && now >= c->out_deadline) {
		log_info("uid %u (%s): a waiting client did not read for %d s: dropped", (unsigned)c->uid,
		         c->user, POLICYD_WRITE_TIMEOUT_SEC);
		unpark(srv, c, PARK_HANGUP, now);
	} else if (now >= c->park->deadline) {
		unpark(srv, c, PARK_TIMEOUT, now);
	} else if (now - c->last_beat >= POLICYD_HEARTBEAT_SEC) {
		connio_heartbeat(c, (long)(now - c->park_since));
		c->last_beat = now;
	}
}

/* Once a second: idle limits, heartbeats, parked deadlines, refusal
 * reports.  The only walk over every connection. */
static void
tick(struct server *srv, time_t now)
{
	struct conn *c, *next;
	struct epoll_event ev;

	for (c = srv->all; c != NULL; c = next) {
		next = c->next;
		if (c->parked) {
			tick_parked(srv, c, now);
			continue;
		}
		if (c->busy) {
			if (now - c->busy_since >= POLICYD_HEARTBEAT_SEC &&
			    now - c->last_beat >= POLICYD_HEARTBEAT_SEC) {
				connio_heartbeat(c, (long)(now - c->busy_since));
				c->last_beat = now;
			}
			continue;
		}
		if (c->flushing) {
			if (now >= c->out_deadline) {
				log_info("uid %u (%s): the client did not read its answer for %d s: dropped",
				         (unsigned)c->uid, c->user, POLICYD_WRITE_TIMEOUT_SEC);
				conn_close(srv, c);
			}
		} else if (now - c->last_request >= POLICYD_IDLE_TIMEOUT_SEC) {
			log_debug("uid %u: no request for %d s: closed", (unsigned)c->uid,
			          POLICYD_IDLE_TIMEOUT_SEC);
			conn_close(srv, c);
		} else if (c->partial_since != 0 && now - c->partial_since >= POLICYD_PARTIAL_TIMEOUT_SEC) {
			log_info("uid %u (%s): an unfinished line for %d s: closed", (unsigned)c->uid,
			         c->user, POLICYD_PARTIAL_TIMEOUT_SEC);
			conn_close(srv, c);
		}
	}
	report_refusals(srv, now);
	if (srv->listen_paused) {
		ev.events = EPOLLIN;
		ev.data.ptr = srv;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->pd->listen_fd, &ev) == 0)
			srv->listen_paused = 0;
	}
}

/* "ERR <code> … - policyd is full …" for a refused connection, so that the
 * client can tell it from "not running". */
static void
refuse(struct server *srv, int fd, uid_t uid, enum connlimit_verdict why)
{
	char line[320], user[POLICYD_USER_MAX];
	gpg_error_t code = gpg_error(SIGNET_ERR_POLICYD_FULL);

	platform_user_name(uid, user, sizeof(user));
	if (why == CONNLIMIT_USER)
		snprintf(line, sizeof(line), "ERR %u %s <%s> - signet-policyd is full for user %s "
		         "(%u connections; max_connections_per_user = %u)\n", (unsigned)code,
		         gpg_strerror(code), gpg_strsource(code), user, connlimit_held(srv->limits, uid),
		         connlimit_max_per_user(srv->limits));
	else
		snprintf(line, sizeof(line), "ERR %u %s <%s> - signet-policyd is full (%u connections; "
		         "max_connections)\n", (unsigned)code, gpg_strerror(code), gpg_strsource(code),
		         connlimit_total(srv->limits));
	connio_send_refusal(fd, line);
}

/* The limits in force: the configuration's, within the open-file limit. */
static void
update_limits(struct server *srv)
{
	struct snapshot *s = snapshot_get(&srv->pd->snap);
	unsigned total = s->cfg->max_connections;

	if (total > srv->fd_cap)
		total = srv->fd_cap;
	connlimit_set(srv->limits, s->cfg->max_connections_per_user, total);
	snapshot_put(s);
}

static void
accept_one(struct server *srv, int fd, time_t now)
{
	enum connlimit_verdict why;
	struct conn *c = NULL;
	uid_t uid;
	pid_t pid;
	gpg_error_t r;

	if ((r = platform_peercred(fd, &uid, NULL, &pid)) != 0) {
		log_error_e(r, "SO_PEERCRED");
		close(fd);
		return;
	}
	update_limits(srv);
	if ((why = connlimit_take(srv->limits, uid, pid, now)) != CONNLIMIT_OK) {
		refuse(srv, fd, uid, why);
		close(fd);
		return;
	}
	if ((r = conn_new(srv->pd, fd, uid, pid, &c)) != 0) {
		log_error_e(r, "new connection of uid %u", (unsigned)uid);
		connlimit_release(srv->limits, uid);
		close(fd);
		return;
	}
	c->last_request = now;
	c->next = srv->all;
	if (srv->all != NULL)
		srv->all->prev = c;
	srv->all = c;
	/* A fresh socket takes the greeting whole. */
	if (conn_greet(c) != 0 || connio_has_output(c)) {
		conn_close(srv, c);
		return;
	}
	arm(srv, c, EPOLL_CTL_ADD);
}

static void
accept_batch(struct server *srv, time_t now)
{
	struct epoll_event ev;
	int i, fd;

	for (i = 0; i < LOOP_ACCEPT_BATCH; i++) {
		fd = accept4(srv->pd->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			accept_one(srv, fd, now);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		log_warn("accept: %s", strerror(errno));
		/* EMFILE and friends: stop listening until the next tick
		 * rather than spin on the ready socket. */
		ev.events = 0;
		ev.data.ptr = srv;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->pd->listen_fd, &ev) == 0)
			srv->listen_paused = 1;
		return;
	}
}

static void
run_reload(struct task *t)
{
	struct reload_task *rt = (struct reload_task *)t;
	char err[1024], user[POLICYD_USER_MAX];
	/* The audit names who sent it. */
	struct configaudit_by by = { "SIGHUP", 1, rt->uid, user, rt->pid };

	platform_user_name(rt->uid, user, sizeof(user));
	if (policyd_reload(rt->pd, &by, err, sizeof(err)) != 0)
		log_error("reload refused, the old configuration stays: %s", err);
	else
		log_info("configuration reloaded (SIGHUP)");
	free(rt);
}

/* 1 to stop. */
static int
on_signal(struct server *srv)
{
	struct signalfd_siginfo si;
	struct reload_task *rt;

	if (read(srv->sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	if (si.ssi_signo != SIGHUP) {
		log_info("signal %u: shutting down", si.ssi_signo);
		return 1;
	}
	if ((rt = calloc(1, sizeof(*rt))) == NULL) {
		log_error("SIGHUP: out of memory; not reloaded");
		return 0;
	}
	rt->task.run = run_reload;
	rt->pd = srv->pd;
	rt->uid = (uid_t)si.ssi_uid;
	rt->pid = (pid_t)si.ssi_pid;
	workers_submit(srv->workers, &rt->task);
	return 0;
}

static int
add_fd(struct server *srv, int fd, void *tag)
{
	struct epoll_event ev;

	ev.events = EPOLLIN;
	ev.data.ptr = tag;
	return epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static gpg_error_t
server_setup(struct policyd *pd, struct server *srv)
{
	sigset_t set;
	gpg_error_t r;

	srv->pd = pd;
	srv->epfd = srv->sfd = srv->evfd = -1;
	srv->fd_cap = raise_nofile();
	/* accept4() in a batch until EAGAIN: the loop must never wait there. */
	if (fcntl(pd->listen_fd, F_SETFL, fcntl(pd->listen_fd, F_GETFL) | O_NONBLOCK) != 0) {
		log_error("listening socket: %s", strerror(errno));
		return gpg_error_from_syserror();
	}
	pthread_mutex_init(&srv->done_lock, NULL);
	parking_init(&srv->parking);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if ((srv->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    (srv->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    (srv->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    add_fd(srv, pd->listen_fd, srv) != 0 || add_fd(srv, srv->sfd, &srv->sfd) != 0 ||
	    add_fd(srv, srv->evfd, &srv->evfd) != 0) {
		log_error("event loop set-up: %s", strerror(errno));
		return gpg_error_from_syserror();
	}
	if ((r = connlimit_new(CONFIG_DEFAULT_MAX_CONN_PER_USER, CONFIG_DEFAULT_MAX_CONN,
	                       &srv->limits)) != 0 ||
	    (r = workers_start(POLICYD_WORKERS, &srv->workers)) != 0) {
		log_error_e(r, "event loop set-up");
		return r;
	}
	update_limits(srv);
	log_info("connections: at most %u (%u per user)", connlimit_max_total(srv->limits),
	         connlimit_max_per_user(srv->limits));
	return 0;
}

/* SIGTERM: accept no more, and answer every parked request (PARK_SHUTDOWN)
 * while the workers still run; server_run() returns once they are
 * answered, or after POLICYD_STOP_WAIT_SEC.  Requests in a worker finish
 * or are cut off by the exit as before; one that parks meanwhile is
 * resumed as it arrives (park_arrived). */
static void
begin_stop(struct server *srv, time_t now)
{
	struct conn *c, *next;

	srv->stopping = 1;
	srv->stop_deadline = now + POLICYD_STOP_WAIT_SEC;
	(void)epoll_ctl(srv->epfd, EPOLL_CTL_DEL, srv->pd->listen_fd, NULL);
	for (c = srv->all; c != NULL; c = next) {
		next = c->next;
		if (c->parked)
			unpark(srv, c, PARK_SHUTDOWN, now);
	}
	if (srv->nresuming > 0)
		log_info("answering %u waiting request(s) before stopping", srv->nresuming);
}

/* 1 when server_run() may return. */
static int
stopped(struct server *srv, time_t now)
{
	if (!srv->stopping)
		return 0;
	if (srv->nparked == 0 && srv->nresuming == 0)
		return 1;
	if (now < srv->stop_deadline)
		return 0;
	log_warn("%u waiting request(s) not answered within %d s: stopping anyway",
	         srv->nparked + srv->nresuming, POLICYD_STOP_WAIT_SEC);
	return 1;
}

static void
conn_event(struct server *srv, struct conn *c, uint32_t events, time_t now)
{
	/* Unparked earlier in this batch: a worker has it now. */
	if (atomic_load(&c->busy))
		return;
	if (c->parked)
		parked_event(srv, c, events, now);
	else if (srv->stopping)
		return;   /* no new requests; closed by the exit */
	else if (c->flushing)
		after_request(srv, c, now);
	else
		after_input(srv, c, conn_read(c, now), now);
}

int
server_run(struct policyd *pd)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	struct server *srv;
	time_t now, last_tick = 0;
	int n, i;

	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return 1;
	pd->server = srv;
	if (server_setup(pd, srv) != 0)
		return 1;
	for (;;) {
		n = epoll_wait(srv->epfd, evs, LOOP_MAX_EVENTS, 1000);
		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			return 1;
		}
		now = monotime_sec();
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &srv->sfd) {
				if (on_signal(srv)) {
					if (srv->stopping)
						return 0;   /* a second SIGTERM: no more waiting */
					begin_stop(srv, now);
				}
			} else if (evs[i].data.ptr == &srv->evfd) {
				take_back(srv, now);
			} else if (evs[i].data.ptr == srv) {
				accept_batch(srv, now);
			} else {
				conn_event(srv, evs[i].data.ptr, evs[i].events, now);
			}
		}
		if (now != last_tick) {
			tick(srv, now);
			last_tick = now;
		}
		if (stopped(srv, now))
			return 0;
	}
}

gpg_error_t
conn_park(struct conn *c, struct park *p)
{
	/* Only inside a registered command, once. */
	if (c->park != NULL || c->ctx == NULL || !c->in_cmd || c->pd->server == NULL) {
		log_error("uid %u: a command parked outside its request", (unsigned)c->uid);
		p->release(p);
		return gpg_error(GPG_ERR_INTERNAL);
	}
	c->park = p;
	c->park_since = monotime_sec();
	parking_add(&c->pd->server->parking, c);
	return 0;
}

void
server_wake(struct server *srv, int64_t key)
{
	if (srv != NULL && parking_wake(&srv->parking, key))
		poke(srv);
}

unsigned
server_parked(struct server *srv)
{
	return srv == NULL ? 0 : atomic_load(&srv->parking.held);
}
