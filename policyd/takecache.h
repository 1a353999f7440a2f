/* takecache.h — what signatures take (grant uses, rate slots), held in
 * memory per project and requester, so that a signature's take is a few
 * comparisons under one short lock instead of an SQLite transaction.
 *
 * The cache is the store's (store_take.c): it holds each key's approved
 * requests (their uses) and the tail of its rate window as loaded from
 * SQLite, and every take it makes is appended to a pending list that the
 * store drains into SQLite in batches (store_sync.c) and before any
 * transaction of its own, so that SQLite never answers with less than the
 * cache took.  A key is loaded on its first take; its grants are loaded
 * again after the store changes its requests (approval, cancel, expiry:
 * takecache_invalidate), its rate window only when a larger rate needs
 * more of it or store_reconcile put slots back (the cache makes every
 * other slot itself).  Nothing here does I/O on the take path, nor
 * allocates but when a key's rate window or the pending list outgrows its
 * array (doubling it); the lock is held for a lookup, a binary search and
 * an append.  Thread-safe. */
#ifndef SIGNET_POLICYD_TAKECACHE_H
#define SIGNET_POLICYD_TAKECACHE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct takecache;

/* An approved request as the cache holds it. */
struct tc_grant {
	int64_t id;
	int64_t expires;            /* seconds: usable while now < expires */
	unsigned used, count;
	enum store_kind kind;       /* GRANT: any signature; SIGN: the resumed one only */
};

/* What the store read for one key (takecache_install). */
struct tc_load {
	const struct tc_grant *grants;
	size_t ngrants;
	/* The rate tail: TIMES[i] is the time (ms) of seq LAST_SEQ - i, for
	 * i < NTIMES, newest first and never rising; older seqs count as
	 * out of every window. */
	int64_t last_seq;
	const int64_t *times;
	size_t ntimes;
	unsigned want;              /* rate slots it may need: the rate's count */
	int rate;                   /* the rate tail was read (else the ring is kept) */
};

/* What takecache_take did. */
enum tc_result {
	TC_DONE = 0,    /* taken, or refused by the rate window (OUT says which) */
	TC_LOAD,        /* the key is not loaded (or its window too short): load it, then again */
	TC_GRANT_MISS,  /* no usable grant (nothing taken): the store says why */
	TC_FAILED,      /* takecache_fail was called: take nothing */
};

/* The takes not yet in SQLite, drained (takecache_drain).  Each entry's
 * project and requester point into the cache: valid until takecache_free. */
struct tc_batch {
	struct store_took *v;
	size_t n, cap;
};

gpg_error_t takecache_new(struct takecache **out);
void takecache_free(struct takecache *tc);

/* Take what T asks (store.h, store_take), in memory: same semantics.  On
 * a take, *FIRST is set when the pending list was empty before it (the
 * caller asks for a flush then). */
enum tc_result takecache_take(struct takecache *tc, const struct store_take *t, struct store_taken *out,
                              int *first);

/* Start loading the key (PROJECT, REQUESTER): no take is made from it
 * until takecache_install.  Call before draining the takes into SQLite
 * and reading the key from there, so that the read sees every take.
 * *GEN identifies this load; *NEED_RATE says whether its rate tail must
 * be read too (not held, or held for a rate of fewer than WANT).  ENOMEM
 * when a new key cannot be made. */
gpg_error_t takecache_begin_load(struct takecache *tc, const char *project, const char *requester,
                                 unsigned want, uint64_t *gen, int *need_rate);
/* Install what L says for the key if no invalidation came since GEN. */
gpg_error_t takecache_install(struct takecache *tc, const char *project, const char *requester,
                              uint64_t gen, const struct tc_load *l);

/* The store changed the key's requests (or everyone's; RATES: and rate
 * slots): load again before the next take. */
void takecache_invalidate(struct takecache *tc, const char *project, const char *requester);
void takecache_invalidate_all(struct takecache *tc, int rates);

/* Are there takes not yet drained? */
int takecache_pending(struct takecache *tc);
/* Move the pending takes into B (emptied first; its array is swapped
 * with the cache's, so nothing is allocated on the way). */
void takecache_drain(struct takecache *tc, struct tc_batch *b);
void takecache_batch_free(struct tc_batch *b);

/* The takes could not be made durable: every later take fails. */
void takecache_fail(struct takecache *tc);

#endif
