/* denylog.c — see denylog.h. */
#include "denylog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define DL_EVENT    16
#define DL_PROJECT  65
#define DL_FPR      72
#define DL_HASH     80
#define DL_RESULT   16
#define DL_REASON   512
#define DL_CODE     24
#define DL_USER     64
#define DL_BATCH    64        /* records the flusher writes per lock taken */

/* One kind of refusal of one user. */
struct dl_kind {
	int used;
	char event[DL_EVENT], project[DL_PROJECT], key_fpr[DL_FPR], hash[DL_HASH];
	char result[DL_RESULT], reason[DL_REASON], code[DL_CODE];
	time_t second;             /* of its last record */
	unsigned long pending;     /* refusals counted since that record */
	pid_t pid;                 /* of the latest of them */
	uint64_t seq;              /* its last record; 0 while being written */
	uint64_t gen;              /* which claim of the slot SEQ belongs to */
};

struct dl_user {
	int used;
	uid_t uid;
	char user[DL_USER];
	time_t last;               /* latest refusal: the idle one is replaced */
	time_t second;             /* NWRITTEN counts the kinds written in it */
	unsigned nwritten;
	struct dl_kind kind[DENYLOG_KINDS];
	struct dl_kind other;      /* kinds beyond DENYLOG_KINDS in one second */
};

/* A record to write once the lock is released. */
struct dl_write {
	struct dl_kind k;
	uid_t uid;
	char user[DL_USER];
	unsigned long count;
};

struct denylog {
	struct audit_log *audit;
	pthread_mutex_t lock;      /* guards everything below; never held across I/O */
	pthread_cond_t wake;
	struct dl_user users[DENYLOG_USERS];
	int closed;
	uint64_t gen;
	pthread_t flusher;
	int have_flusher;
};

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

/* EV's kind into K (strings truncated to their fields). */
static void
kind_set(struct dl_kind *k, const struct audit_event *ev)
{
	copy(k->event, sizeof(k->event), ev->event);
	copy(k->project, sizeof(k->project), ev->project);
	copy(k->key_fpr, sizeof(k->key_fpr), ev->key_fpr);
	copy(k->hash, sizeof(k->hash), ev->hash);
	copy(k->result, sizeof(k->result), ev->result);
	copy(k->reason, sizeof(k->reason), ev->reason);
	copy(k->code, sizeof(k->code), ev->code);
}

static int
kind_is(const struct dl_kind *k, const struct audit_event *ev)
{
	struct dl_kind e;

	kind_set(&e, ev);
	return k->used && strcmp(k->event, e.event) == 0 && strcmp(k->project, e.project) == 0 &&
	       strcmp(k->key_fpr, e.key_fpr) == 0 && strcmp(k->hash, e.hash) == 0 &&
	       strcmp(k->result, e.result) == 0 && strcmp(k->reason, e.reason) == 0 &&
	       strcmp(k->code, e.code) == 0;
}

static const char *
opt(const char *s)
{
	return s[0] != '\0' ? s : NULL;
}

/* Append W's record (no digest: it stands for several requests). */
static gpg_error_t
write_one(struct denylog *dl, const struct dl_write *w, uint64_t *seq)
{
	struct audit_event ev;
	gpg_error_t r;

	memset(&ev, 0, sizeof(ev));
	ev.event = w->k.event;
	ev.has_requester = 1;
	ev.uid = w->uid;
	ev.user = w->user;
	ev.pid = w->k.pid;
	ev.project = opt(w->k.project);
	ev.key_fpr = opt(w->k.key_fpr);
	ev.hash = opt(w->k.hash);
	ev.result = opt(w->k.result);
	ev.reason = opt(w->k.reason);
	ev.code = opt(w->k.code);
	ev.count = w->count;
	if ((r = audit_append(dl->audit, &ev, seq)) != 0)
		log_error_e(r, "audit append (%lu coalesced %s of uid %u)", w->count, w->k.event, (unsigned)w->uid);
	return r;
}

/* Queue K's count (if any) into OUT[*N] (room for MAX) and clear it. */
static int
take_pending(struct dl_user *u, struct dl_kind *k, struct dl_write *out, size_t *n, size_t max)
{
	if (!k->used || k->pending == 0)
		return 1;
	if (*n >= max)
		return 0;
	out[*n].k = *k;
	out[*n].uid = u->uid;
	copy(out[*n].user, sizeof(out[*n].user), u->user);
	out[*n].count = k->pending;
	(*n)++;
	k->pending = 0;
	return 1;
}

/* The slot of UID: its own, a free one, or the one idle longest (whose
 * counts go to OUT first).  Caller locks. */
static struct dl_user *
user_slot(struct denylog *dl, uid_t uid, struct dl_write *out, size_t *n)
{
	struct dl_user *u, *idle = &dl->users[0];
	size_t i;

	for (i = 0; i < DENYLOG_USERS; i++) {
		u = &dl->users[i];
		if (u->used && u->uid == uid)
			return u;
	}
	for (i = 0; i < DENYLOG_USERS; i++) {
		u = &dl->users[i];
		if (!u->used)
			return u;
		if (u->last < idle->last)
			idle = u;
	}
	for (i = 0; i < DENYLOG_KINDS; i++)
		(void)take_pending(idle, &idle->kind[i], out, n, DENYLOG_KINDS + 2);
	(void)take_pending(idle, &idle->other, out, n, DENYLOG_KINDS + 2);
	memset(idle, 0, sizeof(*idle));
	return idle;
}

/* The kind EV belongs to for U at NOW: its own, or a new one (a free slot,
 * or the one idle longest, whose count goes to OUT first), or U's "other"
 * kind once DENYLOG_KINDS were written this second.  Caller locks. */
static struct dl_kind *
kind_slot(struct dl_user *u, time_t now, const struct audit_event *ev, struct dl_write *out, size_t *n)
{
	struct dl_kind *k, *idle = &u->kind[0];
	size_t i;

	for (i = 0; i < DENYLOG_KINDS; i++)
		if (kind_is(&u->kind[i], ev))
			return &u->kind[i];
	if (u->second == now && u->nwritten >= DENYLOG_KINDS) {
		k = &u->other;
		if (!k->used) {
			k->used = 1;
			copy(k->event, sizeof(k->event), ev->event);
			copy(k->result, sizeof(k->result), ev->result);
			copy(k->reason, sizeof(k->reason), DENYLOG_OTHER_REASON);
		}
		return k;
	}
	for (i = 0; i < DENYLOG_KINDS; i++) {
		k = &u->kind[i];
		if (!k->used) {
			idle = k;
			break;
		}
		if (k->second < idle->second)
			idle = k;
	}
	(void)take_pending(u, idle, out, n, DENYLOG_KINDS + 2);
	memset(idle, 0, sizeof(*idle));
	idle->used = 1;
	kind_set(idle, ev);
	return idle;
}

/* Write the records in W[0..N) (counts of replaced slots). */
static void
write_all(struct denylog *dl, const struct dl_write *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)write_one(dl, &w[i], NULL);
}

gpg_error_t
denylog_refuse(struct denylog *dl, time_t now, uid_t uid, const char *user, pid_t pid,
               struct audit_event *ev, uint64_t *seq, int *written)
{
	struct dl_write evicted[DENYLOG_KINDS + 2], other;
	size_t nev = 0;
	struct dl_user *u;
	struct dl_kind *k = NULL;
	uint64_t gen = 0;
	int is_other = 0;
	gpg_error_t r;

	*seq = 0;
	*written = 1;
	ev->has_requester = 1;
	ev->uid = uid;
	ev->user = user;
	ev->pid = pid;
	ev->count = 1;
	pthread_mutex_lock(&dl->lock);
	if (!dl->closed) {
		u = user_slot(dl, uid, evicted, &nev);
		u->used = 1;
		u->uid = uid;
		copy(u->user, sizeof(u->user), user);
		u->last = now;
		k = kind_slot(u, now, ev, evicted, &nev);
		k->pid = pid;
		if (k->second == now) {
			/* Written this second already: only counted. */
			k->pending++;
			*seq = k->seq;
			*written = 0;
			pthread_mutex_unlock(&dl->lock);
			write_all(dl, evicted, nev);
			return 0;
		}
		if (u->second != now) {
			u->second = now;
			u->nwritten = 0;
		}
		u->nwritten++;
		/* The count of earlier seconds goes out with this record. */
		ev->count = 1 + k->pending;
		k->pending = 0;
		k->second = now;
		k->seq = 0;
		k->gen = gen = ++dl->gen;
		if ((is_other = k == &u->other)) {
			other.k = *k;
			other.uid = uid;
			copy(other.user, sizeof(other.user), user);
			other.count = ev->count;
		}
	}
	pthread_mutex_unlock(&dl->lock);
	write_all(dl, evicted, nev);
	r = is_other ? write_one(dl, &other, seq) : audit_append(dl->audit, ev, seq);
	if (r != 0) {
		if (!is_other)
			log_error_e(r, "audit append (%s for uid %u)", ev->event, (unsigned)uid);
		return r;
	}
	if (k != NULL) {
		/* For WHY: the record later refusals of this kind are counted in. */
		pthread_mutex_lock(&dl->lock);
		if (k->gen == gen)
			k->seq = *seq;
		pthread_mutex_unlock(&dl->lock);
	}
	return 0;
}

/* Take up to DL_BATCH counts due at NOW (ALL: every count) into OUT. */
static size_t
take_due(struct denylog *dl, time_t now, int all, struct dl_write *out)
{
	struct dl_user *u;
	size_t n = 0, i;
	int room = 1;

	for (u = dl->users; u < dl->users + DENYLOG_USERS && room; u++) {
		if (!u->used)
			continue;
		for (i = 0; i <= DENYLOG_KINDS && room; i++) {
			struct dl_kind *k = i < DENYLOG_KINDS ? &u->kind[i] : &u->other;

			if (all || k->second < now - 1)
				room = take_pending(u, k, out, &n, DL_BATCH);
		}
	}
	return n;
}

/* Write what is due (ALL: everything held); how many records. */
static unsigned
flush(struct denylog *dl, time_t now, int all)
{
	struct dl_write *w;
	unsigned total = 0;
	size_t n;

	if ((w = calloc(DL_BATCH, sizeof(*w))) == NULL)
		return 0;   /* kept for the next tick */
	do {
		pthread_mutex_lock(&dl->lock);
		n = take_due(dl, now, all, w);
		pthread_mutex_unlock(&dl->lock);
		write_all(dl, w, n);
		total += (unsigned)n;
	} while (n == DL_BATCH);
	free(w);
	return total;
}

unsigned
denylog_flush_due(struct denylog *dl, time_t now)
{
	return flush(dl, now, 0);
}

static void *
flusher_main(void *arg)
{
	struct denylog *dl = arg;
	struct timespec until;

	pthread_mutex_lock(&dl->lock);
	while (!dl->closed) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += DENYLOG_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&dl->wake, &dl->lock, &until);
		if (dl->closed)
			break;
		pthread_mutex_unlock(&dl->lock);
		(void)flush(dl, time(NULL), 0);
		pthread_mutex_lock(&dl->lock);
	}
	pthread_mutex_unlock(&dl->lock);
	return NULL;
}

gpg_error_t
denylog_new(struct audit_log *audit, int flusher, struct denylog **dlp)
{
	struct denylog *dl;

	*dlp = NULL;
	if ((dl = calloc(1, sizeof(*dl))) == NULL)
		return gpg_error_from_syserror();
	dl->audit = audit;
	pthread_mutex_init(&dl->lock, NULL);
	pthread_cond_init(&dl->wake, NULL);
	if (flusher) {
		if (pthread_create(&dl->flusher, NULL, flusher_main, dl) != 0) {
			denylog_free(dl);
			return gpg_error(GPG_ERR_ENOMEM);
		}
		dl->have_flusher = 1;
	}
	*dlp = dl;
	return 0;
}

void
denylog_close(struct denylog *dl)
{
	if (dl == NULL)
		return;
	pthread_mutex_lock(&dl->lock);
	dl->closed = 1;
	pthread_cond_signal(&dl->wake);
	pthread_mutex_unlock(&dl->lock);
	if (dl->have_flusher) {
		pthread_join(dl->flusher, NULL);
		dl->have_flusher = 0;
	}
	(void)flush(dl, 0, 1);
}

void
denylog_free(struct denylog *dl)
{
	if (dl == NULL)
		return;
	denylog_close(dl);
	pthread_cond_destroy(&dl->wake);
	pthread_mutex_destroy(&dl->lock);
	free(dl);
}
