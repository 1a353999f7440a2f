/* auditlog-int.h — the audit log's state, shared by the files that make
 * up the writer (auditlog.c appends and syncs, audittail.c reads and
 * repairs the tail at open, audittree.c keeps the Merkle hash store,
 * auditroll.c rolls segments, auditckpt.c writes checkpoints).  Not for
 * users of audit.h. */
#ifndef SIGNET_AUDITLOG_INT_H
#define SIGNET_AUDITLOG_INT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "audit.h"
#include "merkle-store.h"

#define AUDIT_FILE_MODE 0640
/* Longest a thread about to fdatasync waits for records announced by
 * audit_expect (a signature on the HSM): long enough for an RSA-4096
 * signature in SoftHSM2, short enough that a stuck HSM costs the others
 * little. */
#define AUDIT_GROUP_WAIT_MS 10
/* How long a sync lingers for one more record while several clients are
 * signing: about one client's round trip through gpg-agent and
 * signet-scd, far less than the fdatasync it saves (~1.5 ms here). */
#define AUDIT_GROUP_LINGER_US 700

struct audit_ckpt;

struct audit_log {
	int fd;                        /* the current segment, O_APPEND */
	char *path;
	/* append_lock guards everything down to ckpt_stop. */
	pthread_mutex_t append_lock;
	pthread_cond_t written_cond;   /* an expected record was written or cancelled */
	pthread_cond_t ckpt_cond;      /* a checkpoint may be due, or stop */
	uint64_t next_seq;
	uint64_t written_seq;          /* highest seq whose line is written */
	off_t size;                    /* end of the last whole line of the current segment */
	int failed;
	struct merkle_store *tree;     /* the hash store, P.tree: every leaf written */
	unsigned segment;              /* the current segment's number */
	uint64_t segment_max;          /* roll once the current segment reaches this */
	uint64_t roll_synced;          /* every seq up to here is durable (a roll synced it) */
	uint64_t roll_retry;           /* after a failed roll: not again before this size */
	int segment_owed;              /* the current segment still lacks its segment record */
	unsigned expected;             /* announced by audit_expect, not yet written */
	int arrived_in_sync;           /* records came in while the last fdatasync ran */
	long sync_ns;                  /* how long an fdatasync takes (moving average) */
	long expect_ns;                /* audit_expect to its record (moving average) */
	uint64_t ckpt_next;            /* leaf index after the last checkpoint record; 0: none */
	uint64_t ckpt_size;            /* the tree size it signed (records up to its line may follow) */
	int64_t ckpt_time_us;          /* when the last checkpoint was written (or the log opened) */
	int ckpt_stop;
	/* sync_lock guards synced_seq, sync_failed (taken before append_lock). */
	pthread_mutex_t sync_lock;
	uint64_t synced_seq;           /* highest seq known to be on disk */
	int sync_failed;
	unsigned sync_ms;              /* 0: every append syncs */
	pthread_t syncer;
	pthread_mutex_t stop_lock;     /* guards stop; syncer waits on stop_cond */
	pthread_cond_t stop_cond;
	int stop;
	struct audit_ckpt *ckpt;       /* NULL: no checkpoints */
};

/* auditlog.c */
int64_t auditlog_now_us(void);
/* How long a thread about to fdatasync waits for more records to share
 * it (0: not at all), and in *WANT how many; LOG->append_lock held. */
long auditlog_group_wait_ns(const struct audit_log *log, unsigned *want);
gpg_error_t auditlog_write_all(int fd, const char *buf, size_t len);
/* Encode EV as the next record and write it to the current segment, with
 * its leaf in the tree; LOG->append_lock held.  *SEQ gets its seq. */
gpg_error_t auditlog_write_locked(struct audit_log *log, const struct audit_event *ev, uint64_t *seq);

/* audittail.c: the seq and leaf hash of the last line of the file open on
 * RFD (SIZE bytes); *SEQ 0 for an empty file.  A last line that does not
 * end in a line feed or is not a record is GPG_ERR_INV_DATA (logged). */
gpg_error_t audittail_last(const char *path, int rfd, off_t size, uint64_t *seq,
                           uint8_t leaf[MERKLE_HASH_LEN]);
/* If the file open on FD (read-write, SIZE bytes) does not end in a line
 * feed, move the bytes after its last line feed to PATH.torn-<time>, cut
 * them off and sync: *NEWSIZE gets the size after, *MOVED the bytes moved
 * (0: nothing torn), QNAME (QLEN) the quarantine file's name without its
 * folder. */
gpg_error_t audittail_quarantine(const char *path, int fd, off_t size, off_t *newsize,
                                 int64_t *moved, char *qname, size_t qlen);

/* audittree.c: open P.tree for the trail whose last leaf is LAST_SEQ - 1
 * with leaf hash LAST_LEAF, bringing it up to date from the trail's
 * segments when it is missing, short, long or does not match. */
gpg_error_t audittree_open(struct audit_log *log, uint64_t last_seq,
                           const uint8_t last_leaf[MERKLE_HASH_LEN]);

/* auditlast.c: compare the last checkpoint in reach of the current
 * segment's end with the hash store: *MISMATCH set when the root it
 * signed is not the root of the trail's records now.  Also sets
 * LOG->ckpt_next and LOG->ckpt_size from it. */
gpg_error_t auditlast_check(struct audit_log *log, int *mismatch);

/* auditckpt.c: whether the record just appended (append_lock held) is
 * one the checkpoint thread must hear of: the first since the last
 * checkpoint (it waits untimed until then, and arms its timer on it) or
 * one that makes a checkpoint due by count.  Waking it for every record
 * cost each signature a context switch. */
int auditckpt_wake_wanted(const struct audit_log *log);

/* auditroll.c: at open, set the current segment's number (highest
 * sealed + 1) and, when the current segment is empty but sealed ones
 * exist, get the last seq and leaf of the highest sealed one (*FROM_SEALED
 * set: the current segment still needs its segment record). */
gpg_error_t auditroll_scan(struct audit_log *log, uint64_t *last_seq, uint8_t last_leaf[MERKLE_HASH_LEN],
                           int *from_sealed);
/* Write the segment record that opens the current segment (append_lock
 * held). */
gpg_error_t auditroll_open_record(struct audit_log *log);
/* Write the segment record a roll could not (a full disk), before any
 * other record of the segment (append_lock held). */
gpg_error_t auditroll_owed(struct audit_log *log);
/* Roll over if the current segment is full (append_lock held). */
gpg_error_t auditroll_maybe(struct audit_log *log);


#endif
