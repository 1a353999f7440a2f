/* connlimit.h — how many connections each uid holds, the limits on them, and
 * the refusals still to be reported.
 *
 * Used by the event loop's thread only (no lock).  Entries exist per uid
 * that holds a connection or has a refusal not yet reported, so the table
 * is as large as the number of local users who connect, not the number of
 * connections.  Refusals are reported per uid at most once a second, with
 * their count, so a flood of refused connections costs the log and the
 * audit trail one line a second. */
#ifndef SIGNET_POLICYD_CONNLIMIT_H
#define SIGNET_POLICYD_CONNLIMIT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include <gpg-error.h>

struct connlimit;

enum connlimit_verdict {
	CONNLIMIT_OK = 0,
	CONNLIMIT_USER,      /* the uid holds max_per_user connections */
	CONNLIMIT_TOTAL,     /* the daemon holds max_total connections */
};

/* One uid's refusals within one second, as connlimit_due() reports them. */
struct connlimit_refusal {
	uid_t uid;
	pid_t pid;                   /* of the last refused process */
	unsigned long count;         /* refused connections */
	unsigned held;               /* connections the uid held meanwhile */
	enum connlimit_verdict why;  /* of the last refusal */
	time_t second;               /* when the first of them came */
};

gpg_error_t connlimit_new(unsigned max_per_user, unsigned max_total, struct connlimit **out);
void connlimit_free(struct connlimit *cl);
/* New limits (a reload); connections over them stay until they close. */
void connlimit_set(struct connlimit *cl, unsigned max_per_user, unsigned max_total);
unsigned connlimit_max_per_user(const struct connlimit *cl);
unsigned connlimit_max_total(const struct connlimit *cl);

/* Count one more connection of UID (process PID), or refuse it: then the
 * refusal is kept for connlimit_due() at second NOW.  GPG_ERR_ENOMEM is
 * reported as CONNLIMIT_TOTAL. */
enum connlimit_verdict connlimit_take(struct connlimit *cl, uid_t uid, pid_t pid, time_t now);
/* One connection of UID closed. */
void connlimit_release(struct connlimit *cl, uid_t uid);
/* Connections UID holds, and all held. */
unsigned connlimit_held(const struct connlimit *cl, uid_t uid);
unsigned connlimit_total(const struct connlimit *cl);

/* Refusals of seconds before NOW not reported yet: up to MAX into OUT
 * (returns how many; call again while it returns MAX), forgotten here. */
size_t connlimit_due(struct connlimit *cl, time_t now, struct connlimit_refusal *out, size_t max);

#endif
