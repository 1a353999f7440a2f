/* takecache.c — see takecache.h. */
#include "takecache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TC_BUCKETS      256      /* keys are project x requester: a few hundred */
#define TC_PENDING_INIT 1024     /* takes between two flushes before the list grows */
#define TC_RING_MIN     16       /* rate slots a key holds at first */

/* One project and requester. */
struct tc_entry {
	struct tc_entry *next;
	uint32_t hash;
	int valid;                   /* grants loaded, and not invalidated since */
	int rate_valid;              /* the ring too (it changes only here but
	                                for store_reconcile) */
	uint64_t gen;                /* bumped by each load and invalidation */
	char project[STORE_PROJECT_MAX];
	char requester[STORE_PRINCIPAL_MAX];
	struct tc_grant *grants;
	size_t ngrants;
	/* The rate window's tail: seq S (LAST_SEQ - CAP < S <= LAST_SEQ,
	 * S >= 1) took place at RING[S % CAP] (0: not held).  The ring grows
	 * up to WANT slots (the rate's count) as the window fills, so a key
	 * costs memory for the signatures it makes, not for its limit. */
	int64_t *ring;
	unsigned cap, want;
	int64_t last_seq, last_time;
};

struct takecache {
	pthread_mutex_t lock;        /* guards everything below */
	struct tc_entry *bucket[TC_BUCKETS];
	struct tc_batch pending;
	int failed;
};

static uint32_t
key_hash(const char *project, const char *requester)
{
	uint32_t h = 2166136261u;   /* FNV-1a over both, with the NUL between */

	for (const char *p = project;; p++) {
		h = (h ^ (uint8_t)*p) * 16777619u;
		if (*p == '\0')
			break;
	}
	for (const char *p = requester; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

static struct tc_entry *
find(struct takecache *tc, const char *project, const char *requester, uint32_t h)
{
	struct tc_entry *e;

	for (e = tc->bucket[h % TC_BUCKETS]; e != NULL; e = e->next)
		if (e->hash == h && strcmp(e->project, project) == 0 && strcmp(e->requester, requester) == 0)
			return e;
	return NULL;
}

gpg_error_t
takecache_new(struct takecache **out)
{
	struct takecache *tc = calloc(1, sizeof(*tc));

	*out = NULL;
	if (tc == NULL || (tc->pending.v = calloc(TC_PENDING_INIT, sizeof(*tc->pending.v))) == NULL) {
		free(tc);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	tc->pending.cap = TC_PENDING_INIT;
	pthread_mutex_init(&tc->lock, NULL);
	*out = tc;
	return 0;
}

void
takecache_free(struct takecache *tc)
{
	struct tc_entry *e, *next;

	if (tc == NULL)
		return;
	for (size_t i = 0; i < TC_BUCKETS; i++)
		for (e = tc->bucket[i]; e != NULL; e = next) {
			next = e->next;
			free(e->grants);
			free(e->ring);
			free(e);
		}
	takecache_batch_free(&tc->pending);
	pthread_mutex_destroy(&tc->lock);
	free(tc);
}

/* The time of seq S of E (0: not held, out of every window). */
static int64_t
slot_time(const struct tc_entry *e, int64_t s)
{
	if (s < 1 || s > e->last_seq || s <= e->last_seq - e->cap)
		return 0;
	return e->ring[s % e->cap];
}

/* How many of E's newest slots are inside the window that starts after
 * SINCE: the times never rise as seqs fall, so a binary search. */
static unsigned
in_window(const struct tc_entry *e, int64_t since)
{
	int64_t held = e->last_seq < e->cap ? e->last_seq : e->cap;
	int64_t lo = 0, hi = held, mid;   /* slots 0..LO-1 (newest first) are inside */

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (slot_time(e, e->last_seq - mid) > since)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (unsigned)lo;
}

/* The rate check of T on E: 1 when full (OUT says until when). */
static int
rate_full(const struct tc_entry *e, const struct store_take *t, struct store_taken *out)
{
	int64_t period_ms = (int64_t)t->rate_period * 1000;
	unsigned n = in_window(e, t->now_ms - period_ms);

	out->in_window = n + 1;
	if (n < t->rate_count)
		return 0;
	/* One more fits once slot LAST - COUNT + 1 leaves the window. */
	out->in_window = n;
	out->retry_at_ms = slot_time(e, e->last_seq - t->rate_count + 1) + period_ms;
	return 1;
}

/* The grant T may use on E: the resumed SIGN request it names, or the
 * usable grant that ends first.  NULL: none. */
static struct tc_grant *
pick(struct tc_entry *e, const struct store_take *t)
{
	struct tc_grant *best = NULL, *g;

	for (size_t i = 0; i < e->ngrants; i++) {
		g = &e->grants[i];
		if (g->used >= g->count || g->expires * 1000 <= t->now_ms)
			continue;
		if (t->request > 0) {
			if (g->id == t->request && g->kind == STORE_KIND_SIGN)
				return g;
		} else if (g->kind == STORE_KIND_GRANT &&
		           (best == NULL || g->expires < best->expires ||
		            (g->expires == best->expires && g->id < best->id))) {
			best = g;
		}
	}
	return best;
}

/* Append what OUT took to the pending list (under the lock). */
static gpg_error_t
pend(struct takecache *tc, const struct tc_entry *e, const struct store_taken *out, int64_t time_ms)
{
	struct tc_batch *p = &tc->pending;
	struct store_took *v;
	size_t cap = p->cap != 0 ? p->cap * 2 : TC_PENDING_INIT;

	if (p->n == p->cap) {
		/* More takes than a flush's worth (the syncer is behind), or
		 * the second array's first use: grow rather than lose the
		 * store's copy of a take. */
		if ((v = reallocarray(p->v, cap, sizeof(*v))) == NULL)
			return gpg_error(GPG_ERR_ENOMEM);
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (struct store_took){
		.grant = out->grant, .use = out->use, .project = e->project, .requester = e->requester,
		.rate_seq = out->rate_seq, .time_ms = time_ms,
	};
	return 0;
}

/* Make room in E's full ring for one more slot at TIME_MS: twice the
 * slots (at most WANT) while its oldest could still count; else the
 * oldest goes (beyond the rate's count, or older than any window).
 * Allocates under the lock: at most log2(WANT) times per key. */
static gpg_error_t
ring_room(struct tc_entry *e, int64_t time_ms)
{
	int64_t oldest = e->last_seq - e->cap + 1, *ring;
	unsigned cap;

	if (e->last_seq < e->cap || e->cap >= e->want || slot_time(e, oldest) <= time_ms - STORE_RATE_KEEP_MS)
		return 0;
	cap = e->cap <= e->want / 2 ? e->cap * 2 : e->want;
	if ((ring = calloc(cap, sizeof(*ring))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	for (int64_t s = oldest; s <= e->last_seq; s++)
		ring[s % cap] = e->ring[s % e->cap];
	free(e->ring);
	e->ring = ring;
	e->cap = cap;
	return 0;
}

/* Take from E (loaded) what T asks. */
static enum tc_result
take(struct takecache *tc, struct tc_entry *e, const struct store_take *t, struct store_taken *out, int *first)
{
	struct tc_grant *g = NULL;
	int64_t time_ms = t->now_ms > e->last_time ? t->now_ms : e->last_time;

	if (t->rate_count > 0 && rate_full(e, t, out)) {
		out->miss = STORE_RATE_LIMITED;
		return TC_DONE;
	}
	if (t->use_grant || t->request > 0) {
		if ((g = pick(e, t)) == NULL) {
			out->in_window = 0;
			return TC_GRANT_MISS;
		}
		out->grant = g->id;
		out->use = g->used + 1;
		out->left = g->count - out->use;
	}
	if (t->rate_count > 0)
		out->rate_seq = e->last_seq + 1;
	if (out->grant == 0 && out->rate_seq == 0)
		return TC_DONE;   /* nothing to take (no rate, no grant needed) */
	*first = tc->pending.n == 0;
	if ((out->rate_seq > 0 && ring_room(e, time_ms) != 0) || pend(tc, e, out, time_ms) != 0) {
		memset(out, 0, sizeof(*out));
		return TC_FAILED;
	}
	if (g != NULL)
		g->used++;
	if (out->rate_seq > 0) {
		/* Never before the last slot: a clock stepped back keeps the
		 * slots in the window longer (fails closed) and in order. */
		e->last_seq = out->rate_seq;
		e->last_time = time_ms;
		e->ring[e->last_seq % e->cap] = time_ms;
	}
	return TC_DONE;
}

enum tc_result
takecache_take(struct takecache *tc, const struct store_take *t, struct store_taken *out, int *first)
{
	uint32_t h = key_hash(t->project, t->requester);
	struct tc_entry *e;
	enum tc_result res;

	memset(out, 0, sizeof(*out));
	*first = 0;
	pthread_mutex_lock(&tc->lock);
	e = find(tc, t->project, t->requester, h);
	if (tc->failed)
		res = TC_FAILED;
	else if (e == NULL || !e->valid || (t->rate_count > 0 && (!e->rate_valid || t->rate_count > e->want)))
		res = TC_LOAD;
	else
		res = take(tc, e, t, out, first);
	pthread_mutex_unlock(&tc->lock);
	return res;
}

gpg_error_t
takecache_begin_load(struct takecache *tc, const char *project, const char *requester, unsigned want,
                     uint64_t *gen, int *need_rate)
{
	uint32_t h = key_hash(project, requester);
	struct tc_entry *e, *fresh = NULL;

	if (strlen(project) >= STORE_PROJECT_MAX || strlen(requester) >= STORE_PRINCIPAL_MAX)
		return gpg_error(GPG_ERR_TOO_LARGE);
	pthread_mutex_lock(&tc->lock);
	if ((e = find(tc, project, requester, h)) == NULL) {
		pthread_mutex_unlock(&tc->lock);
		if ((fresh = calloc(1, sizeof(*fresh))) == NULL)
			return gpg_error(GPG_ERR_ENOMEM);
		fresh->hash = h;
		snprintf(fresh->project, sizeof(fresh->project), "%s", project);
		snprintf(fresh->requester, sizeof(fresh->requester), "%s", requester);
		pthread_mutex_lock(&tc->lock);
		if ((e = find(tc, project, requester, h)) == NULL) {
			e = fresh;
			e->next = tc->bucket[h % TC_BUCKETS];
			tc->bucket[h % TC_BUCKETS] = e;
			fresh = NULL;
		}
	}
	e->valid = 0;
	*need_rate = !e->rate_valid || want > e->want;
	if (*need_rate)
		e->rate_valid = 0;
	*gen = ++e->gen;
	pthread_mutex_unlock(&tc->lock);
	free(fresh);
	return 0;
}

gpg_error_t
takecache_install(struct takecache *tc, const char *project, const char *requester, uint64_t gen,
                  const struct tc_load *l)
{
	uint32_t h = key_hash(project, requester);
	struct tc_grant *grants = NULL;
	int64_t *ring = NULL;
	struct tc_entry *e;
	size_t ntimes = l->ntimes < l->want ? l->ntimes : l->want;
	unsigned cap = TC_RING_MIN;

	/* Allocated before the lock, the old ones freed after it.  A load
	 * without the rate (L->rate 0) keeps the ring, which holds the
	 * slots loaded with room for as many again (at most WANT). */
	while (cap < l->want && cap < 2 * ntimes)
		cap *= 2;
	if (cap > l->want)
		cap = l->want;
	if ((l->ngrants > 0 && (grants = calloc(l->ngrants, sizeof(*grants))) == NULL) ||
	    (l->rate && l->want > 0 && (ring = calloc(cap, sizeof(*ring))) == NULL)) {
		free(grants);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	if (l->ngrants > 0)
		memcpy(grants, l->grants, l->ngrants * sizeof(*grants));
	for (size_t i = 0; l->rate && i < ntimes; i++)
		if (l->last_seq - (int64_t)i >= 1)
			ring[(l->last_seq - (int64_t)i) % cap] = l->times[i];
	pthread_mutex_lock(&tc->lock);
	e = find(tc, project, requester, h);
	if (e != NULL && e->gen == gen && !e->valid) {
		struct tc_grant *og = e->grants;

		e->grants = grants;
		e->ngrants = l->ngrants;
		e->valid = 1;
		grants = og;
		if (l->rate) {
			int64_t *oring = e->ring;

			e->ring = ring;
			e->cap = l->want > 0 ? cap : 0;
			e->want = l->want;
			e->last_seq = l->last_seq;
			e->last_time = ntimes > 0 ? l->times[0] : 0;
			e->rate_valid = 1;
			ring = oring;
		}
	}
	pthread_mutex_unlock(&tc->lock);
	free(grants);
	free(ring);
	return 0;
}

void
takecache_invalidate(struct takecache *tc, const char *project, const char *requester)
{
	uint32_t h = key_hash(project, requester);
	struct tc_entry *e;

	pthread_mutex_lock(&tc->lock);
	if ((e = find(tc, project, requester, h)) != NULL) {
		e->valid = 0;
		e->gen++;
	}
	pthread_mutex_unlock(&tc->lock);
}

void
takecache_invalidate_all(struct takecache *tc, int rates)
{
	struct tc_entry *e;

	pthread_mutex_lock(&tc->lock);
	for (size_t i = 0; i < TC_BUCKETS; i++)
		for (e = tc->bucket[i]; e != NULL; e = e->next) {
			e->valid = 0;
			e->rate_valid &= !rates;
			e->gen++;
		}
	pthread_mutex_unlock(&tc->lock);
}

int
takecache_pending(struct takecache *tc)
{
	int n;

	pthread_mutex_lock(&tc->lock);
	n = tc->pending.n > 0;
	pthread_mutex_unlock(&tc->lock);
	return n;
}

void
takecache_drain(struct takecache *tc, struct tc_batch *b)
{
	struct tc_batch full;

	/* Swapped, never copied: the two arrays take turns (the first
	 * take after the first drain allocates the second). */
	b->n = 0;
	pthread_mutex_lock(&tc->lock);
	full = tc->pending;
	tc->pending = *b;
	*b = full;
	pthread_mutex_unlock(&tc->lock);
}

void
takecache_batch_free(struct tc_batch *b)
{
	free(b->v);
	b->v = NULL;
	b->n = b->cap = 0;
}

void
takecache_fail(struct takecache *tc)
{
	pthread_mutex_lock(&tc->lock);
	tc->failed = 1;
	pthread_mutex_unlock(&tc->lock);
}
