/* store.h — policyd's mutable state: approval requests, approvals, grants
 * and their uses, rate windows, TOTP enrolments and failure counters.
 *
 * DESIGN "policyd's shape": the engine sees only this interface; SQLite
 * sits behind it today (store_sqlite.c: WAL, durable commits (store_sync.c), one
 * transaction per call), PostgreSQL may later.  Principals are strings
 * ("user:alice"; later "cert:SUBJECT"): nothing here knows a uid.
 *
 * Every call is one transaction and returns only once it is durable (but
 * store_take: see there, it is made in memory), so
 * no approval, grant use, rate count or TOTP step is lost or used twice
 * when policyd is killed at any moment.  Thread-safe; no call waits on a
 * client.  Times are seconds since the epoch (rate windows: milliseconds). */
#ifndef SIGNET_POLICYD_STORE_H
#define SIGNET_POLICYD_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#define STORE_PRINCIPAL_MAX 96      /* "user:<name>", with its NUL */
#define STORE_PROJECT_MAX   65
#define STORE_TEXT_MAX      256     /* reason, comment (bytes, with NUL; longer: refused) */
#define STORE_PROGRAM_MAX   64
#define STORE_HASH_MAX      16
#define STORE_DIGEST_MAX    64
#define STORE_MAX_APPROVERS 16      /* = CONFIG_MAX_APPROVALS */
#define STORE_MAX_OPEN_PER_REQUESTER 32   /* pending requests one principal may hold */
#define STORE_MAX_COUNT     100000  /* signatures one grant may allow */
#define STORE_MAX_TTL       (30 * 86400)
#define STORE_MAX_RATE      100000  /* rate = N/…: N at most this */
#define STORE_RATE_KEEP_MS  (86400 * (int64_t)1000)   /* the longest rate period (N/day) */

enum store_kind {
	STORE_KIND_GRANT = 1,   /* `signet request`: up to COUNT signatures until EXPIRES */
	STORE_KIND_SIGN = 2,    /* one waiting SIGN (COUNT 1), tied to its connection */
};

enum store_state {
	STORE_PENDING = 1,      /* waiting for approvals */
	STORE_APPROVED = 2,     /* enough approvals: a grant (uses left, until expires) */
	STORE_DENIED = 3,       /* an approver denied it: final */
	STORE_EXPIRED = 4,      /* pending past EXPIRES: final */
	STORE_CANCELLED = 5,    /* the waiting client went away, or policyd restarted: final */
	STORE_USED = 6,         /* every use made: final */
};

struct store_approval {
	char by[STORE_PRINCIPAL_MAX];
	char comment[STORE_TEXT_MAX];
	int64_t time;
};

struct store_request {
	int64_t id;                         /* > 0, assigned by store_request_open */
	enum store_kind kind;
	enum store_state state;
	char project[STORE_PROJECT_MAX];
	char requester[STORE_PRINCIPAL_MAX];
	char reason[STORE_TEXT_MAX];
	unsigned count;                     /* signatures allowed (SIGN: 1) */
	unsigned used;                      /* signatures made */
	unsigned needed;                    /* approvals needed (the project's, when opened) */
	size_t napprovals;
	struct store_approval approvals[STORE_MAX_APPROVERS];
	int64_t created;
	int64_t expires;                    /* pending: expires then; approved grant: ends then */
	int64_t closed;                     /* when it became final or approved; 0: not yet */
	char closed_by[STORE_PRINCIPAL_MAX];/* who denied ("" otherwise) */
	char close_reason[STORE_TEXT_MAX];  /* the deny reason ("" otherwise) */
	/* STORE_KIND_SIGN: what waits to be signed. */
	char hash[STORE_HASH_MAX];
	uint8_t digest[STORE_DIGEST_MAX];
	size_t digest_len;
	char program[STORE_PROGRAM_MAX];    /* the caller's program (from its pid), "" unknown */
	int64_t pid;
};

struct store;

/* Open (creating) DIR/policyd.db: DIR must exist; the file is made 0600.
 * Creates or checks the schema (a newer schema than this program knows is
 * an error).  ERR names the failure. */
gpg_error_t store_open(const char *dir, struct store **out, char *err, size_t errlen);
void store_close(struct store *st);

/* Open REQ (kind, project, requester, reason, count, needed, expires, and
 * for SIGN hash/digest/program/pid) as PENDING at NOW; REQ->id, created
 * and state are set.  GPG_ERR_LIMIT_REACHED when the requester holds
 * STORE_MAX_OPEN_PER_REQUESTER pending requests already. */
gpg_error_t store_request_open(struct store *st, struct store_request *req, int64_t now);

/* Request ID into *OUT (approvals included): 0 or GPG_ERR_NOT_FOUND. */
gpg_error_t store_request_get(struct store *st, int64_t id, struct store_request *out);

/* Outcome of an approve or deny. */
enum store_verdict {
	STORE_V_OK = 0,            /* recorded (approve: counted; deny: denied) */
	STORE_V_ALREADY,           /* BY approved it before: counts once, nothing changed */
	STORE_V_SELF,              /* BY is the requester: refused */
	STORE_V_NOT_PENDING,       /* denied, expired, cancelled, approved already, used */
	STORE_V_EXPIRED,           /* pending but past EXPIRES at NOW: now marked EXPIRED */
};

/* Add BY's approval (COMMENT may be NULL) to pending request ID at NOW;
 * the request becomes APPROVED when it has NEEDED distinct approvals
 * (BY never the requester).  *OUT gets the request after the call. */
gpg_error_t store_request_approve(struct store *st, int64_t id, const char *by, const char *comment,
                                  int64_t now, struct store_request *out, enum store_verdict *v);
/* Deny pending request ID (BY, REASON) at NOW: final.  The requester may
 * not deny their own request (STORE_V_SELF; they may cancel it). */
gpg_error_t store_request_deny(struct store *st, int64_t id, const char *by, const char *reason,
                               int64_t now, struct store_request *out, enum store_verdict *v);
/* Cancel pending or approved request ID (the waiting client left; its
 * requester withdrew it): final.  STORE_V_NOT_PENDING if already final. */
gpg_error_t store_request_cancel(struct store *st, int64_t id, int64_t now, enum store_verdict *v);

/* Which requests store_request_list passes on: 0 / NULL fields match all. */
struct store_filter {
	enum store_state state;
	enum store_kind kind;
	const char *requester;
	const char *project;
	int64_t min_expires;       /* only those with expires > this */
	size_t limit;              /* at most this many (newest first); 0: 1000 */
};
typedef void (*store_request_fn)(void *opaque, const struct store_request *req);
/* Call FN for each request F selects, newest first.  FN must not call the
 * store. */
gpg_error_t store_request_list(struct store *st, const struct store_filter *f, store_request_fn fn,
                               void *opaque);

/* Mark every pending request past its EXPIRES at NOW as EXPIRED, and every
 * approved grant past it as EXPIRED too; FN (may be NULL) sees each one
 * after the change (for audit and notify). */
gpg_error_t store_expire(struct store *st, int64_t now, store_request_fn fn, void *opaque);

/* At start-up: every PENDING or APPROVED STORE_KIND_SIGN request belonged
 * to a connection of the previous run: mark them CANCELLED; FN sees each. */
gpg_error_t store_cancel_waiting(struct store *st, int64_t now, store_request_fn fn, void *opaque);

/* Delete the requests that became final (denied, expired, cancelled, used
 * up) before BEFORE, with their approvals; *N gets how many.  Ids are
 * never reused.  The audit trail keeps their whole history. */
#define STORE_KEEP_FINAL (90 * 86400)   /* how long policyd keeps final requests */
gpg_error_t store_purge(struct store *st, int64_t before, size_t *n);

/* What a signature takes, in one transaction: a slot of the rate window
 * and, when USE_GRANT, one use of a grant. */
struct store_take {
	const char *project;
	const char *requester;
	unsigned rate_count;       /* 0: no rate limit */
	unsigned rate_period;      /* seconds */
	int use_grant;             /* the project needs approvals: a grant use is required */
	int64_t request;           /* > 0: use this APPROVED SIGN request (a resumed
	                              waiting SIGN) instead of a grant */
	int64_t now_ms;
};

enum store_miss {
	STORE_TAKEN = 0,
	STORE_RATE_LIMITED,        /* retry_at_ms says when one more fits */
	STORE_NO_GRANT,            /* no approved grant of the requester for the project */
	STORE_GRANT_USED_UP,       /* the newest grant has no uses left */
	STORE_GRANT_EXPIRED,       /* the newest grant ended */
};

struct store_taken {
	enum store_miss miss;
	int64_t grant;             /* the grant or request used; 0: none */
	unsigned left;             /* its uses left after this one */
	int64_t retry_at_ms;       /* STORE_RATE_LIMITED */
	unsigned in_window;        /* rate: signatures in the window, this one included */
	unsigned use;              /* the grant's use this was (1 … count); 0: none */
	int64_t rate_seq;          /* the rate slot's sequence number; 0: none */
};

/* What a durable audit record says a signature took (store_reconcile). */
struct store_took {
	int64_t grant;             /* 0: none */
	unsigned use;
	const char *project;
	const char *requester;
	int64_t rate_seq;          /* 0: none */
	int64_t time_ms;
};

/* At start-up, before serving: make the store hold at least what the N
 * durable records V say was taken (a grant's used count at least USE, the
 * rate slot RATE_SEQ present).  The audit record of a signature is written
 * while the store's log syncs, so after a crash of the machine the trail
 * may name a use the store lost; this puts it back.  Idempotent; one
 * transaction.  *CHANGED gets how many records added something. */
gpg_error_t store_reconcile(struct store *st, const struct store_took *v, size_t n, size_t *changed);

/* Take what T asks for, or nothing: if the rate window is full, nothing is
 * taken (STORE_RATE_LIMITED); if a grant is needed and none is usable,
 * nothing is taken (the miss says why); else the rate slot and the grant use
 * (the usable grant that ends first) are taken.  A grant whose last use
 * this was becomes STORE_USED.  0 (see OUT->miss) or a store error.
 * A take is made in memory (takecache.h: each project and requester's
 * approved requests and rate-window tail, loaded from SQLite on first use
 * and again after the store changes them) and written to SQLite later:
 * by the syncer within STORE_LAZY_SYNC_MS, and by any other call first,
 * so no call of this interface sees less than was taken.  The caller
 * names OUT->grant, OUT->use and OUT->rate_seq in the signature's audit
 * record and makes that durable before the signature leaves; the record
 * is the take's durable log (store_sync.c: the syncer marks how far the
 * trail is covered by what it wrote and synced, and reconcile.c puts back
 * at start what the records after the mark took).  A kill between the
 * take and a durable record loses the take or costs the requester that
 * use (fail closed); never a use twice. */
gpg_error_t store_take(struct store *st, const struct store_take *t, struct store_taken *out);

/* The audit trail whose records are the takes' durable log: from now on
 * each sync of the store marks the trail's last seq as covered.  Call once
 * the store has been reconciled with the trail (never before: a mark
 * would skip records not yet put back). */
struct audit_log;
void store_track_audit(struct store *st, struct audit_log *audit);
/* The mark found when the store was opened: every take named by a record
 * up to *SEQ is in the store.  NONE: no mark yet (a store made before
 * marks existed synced every take itself: its trail's tail is enough);
 * BAD: unreadable (read the whole trail). */
enum store_mark { STORE_MARK_NONE = 0, STORE_MARK_SET, STORE_MARK_BAD };
#define STORE_LAZY_SYNC_MS 200
enum store_mark store_sync_mark(const struct store *st, uint64_t *seq);
/* Sync every commit so far (and mark it) now: at a clean stop. */
gpg_error_t store_sync_now(struct store *st);

/* TOTP.  The secret is stored sealed (policyd encrypts it with a key that
 * never leaves the HSM); the store never sees it in the clear. */
#define STORE_SEALED_MAX 256
#define STORE_TOTP_MAX_FAILURES 5

/* Set PRINCIPAL's sealed secret (replacing any), at NOW; clears the last
 * used step. */
gpg_error_t store_totp_put(struct store *st, const char *principal, const uint8_t *sealed, size_t len,
                           int64_t now);
/* PRINCIPAL's sealed secret into SEALED (MAX bytes), *LEN: 0 or
 * GPG_ERR_NOT_FOUND (not enrolled). */
gpg_error_t store_totp_get(struct store *st, const char *principal, uint8_t *sealed, size_t max,
                           size_t *len);
/* Failures in a row of PRINCIPAL on PROJECT (locked at
 * STORE_TOTP_MAX_FAILURES). */
gpg_error_t store_totp_failures(struct store *st, const char *principal, const char *project,
                                unsigned *failures);
/* Record a check of PRINCIPAL's code on PROJECT: a right code for time
 * step STEP is accepted only if STEP is later than the last accepted step
 * of PRINCIPAL (each code once: *REUSED = 1 and it counts as a failure
 * otherwise); success resets PROJECT's failures, a failure adds one.
 * *FAILURES gets the count after the call. */
gpg_error_t store_totp_check(struct store *st, const char *principal, const char *project, int right,
                             int64_t step, int *reused, unsigned *failures);
/* Clear PRINCIPAL's failures on every project (`signet totp reset`);
 * with FORGET, also remove the enrolment. */
gpg_error_t store_totp_reset(struct store *st, const char *principal, int forget);

/* Names for messages and JSON: "grant"/"sign", "pending"/"approved"/…. */
const char *store_kind_name(enum store_kind k);
const char *store_state_name(enum store_state s);

#endif
