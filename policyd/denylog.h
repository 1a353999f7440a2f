/* denylog.h — refusals into the audit trail, coalesced so that a user who
 * asks as fast as they can (thousands of refused requests a second) cannot
 * fill the trail's disk.
 *
 * Per user and kind of refusal (event, project, key, hash, result and
 * reason alike; the digest and pid may differ): the first refusal in a
 * second is written at once; identical ones in the same second are only
 * counted, and the count goes out with the next record of that kind (the
 * first of a later second, as its "count") or, when none comes, by a
 * flusher thread once a whole second has passed.  A record's count (absent:
 * 1) is the number of refused requests it stands for, so the counts of a
 * user's refusals add up to the requests refused, and the trail grows by
 * about one record a second per user and kind however fast they ask.  At
 * most DENYLOG_KINDS kinds per user get records of their own in one
 * second; further kinds in that second are counted under one "other
 * refusals" kind (a user can vary a project name endlessly).  Nothing is
 * lost at shutdown: denylog_close() writes every count still held, and any
 * refusal after it is written at once.  Sequence numbers stay gap-free:
 * a request that is only counted takes none.
 *
 * Bounded: DENYLOG_USERS users (the one idle longest is written out and
 * replaced).  Thread-safe; the lock is never held while writing. */
#ifndef SIGNET_POLICYD_DENYLOG_H
#define SIGNET_POLICYD_DENYLOG_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <gpg-error.h>

#include "audit.h"

#define DENYLOG_USERS    256
#define DENYLOG_KINDS    4        /* kinds written one by one per user and second */
#define DENYLOG_TICK_MS  250      /* how often the flusher looks */
#define DENYLOG_OTHER_REASON "further refusals of other kinds in the same second " \
                             "(counted, not written one by one)"

struct denylog;

/* Coalesce into AUDIT (borrowed: it must outlive the denylog).  With
 * FLUSHER a thread writes counts whose second has passed; without (unit
 * tests) denylog_flush_due does. */
gpg_error_t denylog_new(struct audit_log *audit, int flusher, struct denylog **dl);
/* Stop the flusher and write every count still held; from then on each
 * refusal is written at once.  NULL is fine. */
void denylog_close(struct denylog *dl);
/* denylog_close, then free.  NULL is fine. */
void denylog_free(struct denylog *dl);

/* The refusal EV of user UID (name USER, process PID) at NOW (seconds):
 * EV's requester fields are filled in; EV->count is set.  *SEQ gets the
 * sequence number of the record that stands for it (0 if that record is
 * still being written by another request), *WRITTEN whether this call
 * wrote it (the caller then logs it too).  Returns audit_append's error
 * for a record this call wrote. */
gpg_error_t denylog_refuse(struct denylog *dl, time_t now, uid_t uid, const char *user, pid_t pid,
                           struct audit_event *ev, uint64_t *seq, int *written);

/* Write the counts of every kind whose last record is from a second
 * before NOW - 1 (the flusher calls this); returns how many records. */
unsigned denylog_flush_due(struct denylog *dl, time_t now);

#endif
