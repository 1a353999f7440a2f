/* audit.h — the append-only audit trail (JSON Lines, one event per line).
 *
 * Each line is a JSON object with sorted keys, compact, ASCII-only
 * (jansson JSON_COMPACT|JSON_SORT_KEYS|JSON_ENSURE_ASCII):
 *   v (1), seq (1, 2, … without gaps, continued across restarts), time
 *   (RFC 3339 UTC with microseconds), event ("sign", "deny", "keygen",
 *   "certify", "config", "start", "request", "approve", "reject", "expire",
 *   "cancel", "totp_enroll", "totp_fail", "totp_reset", "notify", "policy"),
 *   code (a refusal's reason code), request and grant (request ids), use
 *   (which use of the grant) and rate_seq (the rate slot), by
 *   (who approved, denied or reset), uid, user, pid, project, key_fpr, hash, digest
 *   (hex), result ("granted" | "denied" | "error"), reason, signature (hex);
 *   signet-tsa's "timestamp" events add serial, policy, gen_time, with the
 *   imprint in hash + digest; count (> 1: the record stands for that many
 *   identical requests, policyd's coalesced refusals).
 * Absent fields are left out.  audit_append() returns only once the line is
 * on disk (fdatasync); concurrent appenders share one sync (group commit),
 * unless the log defers it (audit_set_sync_interval). */
#ifndef SIGNET_AUDIT_H
#define SIGNET_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <gpg-error.h>

#define AUDIT_MAX_LINE (64 * 1024)

struct audit_event {
	const char *event;       /* required */
	int has_requester;       /* uid/user/pid present */
	uid_t uid;
	const char *user;
	pid_t pid;
	const char *project;
	const char *key_fpr;     /* 40 hex */
	const char *hash;        /* "sha256" */
	const uint8_t *digest;
	size_t digest_len;
	const char *result;
	const char *reason;
	const uint8_t *signature;
	size_t signature_len;
	const char *code;        /* refusal reason code ("outside_hours"); NULL: absent */
	int64_t request;         /* approval request id; 0: absent */
	int64_t grant;           /* the grant (request id) a signature used; 0: absent */
	unsigned use;            /* which use of that grant (1 … its count); 0: absent */
	int64_t rate_seq;        /* the signature's slot in its rate window; 0: absent */
	const char *by;          /* approve/deny/reset: the principal who acted */
	unsigned long count;     /* requests the record stands for (policyd's
	                            coalesced refusals); 0 or 1: absent */
	/* signet-tsa "timestamp" events (absent elsewhere): */
	const char *serial;      /* token serial number, hex */
	const char *policy;      /* dotted OID */
	const char *gen_time;    /* the token's genTime, as in the token */
	/* The writer's own records (doc/audit-format.md §9): */
	const char *note;        /* "checkpoint": the whole signed note */
	const char *tsa_token;   /* "checkpoint": base64 DER TimeStampToken; NULL: none */
	int has_tree_size;       /* "checkpoint", "segment": tree_size present */
	uint64_t tree_size;
	unsigned segment;        /* "segment": this segment's number; 0: absent */
	const char *frontier;    /* "segment": hex tree state (merkle_state_encode) */
	const char *file;        /* "quarantine": the quarantine file's name */
	int64_t size;            /* "quarantine": bytes moved; 0: absent */
};

struct audit_log;

/* Open (create 0640, O_APPEND|O_NOFOLLOW) PATH, the current segment of a
 * trail (doc/audit-format.md §8.3); refuses symlinks and non-regular
 * files.  Continues the sequence from the last record (of the highest
 * sealed segment when PATH is new or empty).  A torn last line (no line
 * feed: a crash mid-write) is moved to PATH.torn-<time> and recorded by a
 * "quarantine" record (§9.5); a last line that ends in a line feed but is
 * not a record is an error (the trail must be examined by hand, never
 * silently continued).  Brings the hash store PATH.tree up to date. */
gpg_error_t audit_open(const char *path, struct audit_log **log);
void audit_close(struct audit_log *log);

/* Encode EV with SEQ and TIME_US (µs since the epoch) into a new
 * NUL-terminated line without the newline (*LINE, free with free()). */
gpg_error_t audit_encode(const struct audit_event *ev, uint64_t seq, int64_t time_us, char **line);

/* Append EV durably; *SEQ (may be NULL) gets its sequence number.
 * Thread-safe.  A write that fails part-way (full disk, file size limit) is
 * cut back to the last whole line and the seq is not used up, so a later
 * append can succeed; if the cut fails, or fdatasync ever fails, every
 * later append fails (GPG_ERR_EIO) until the daemon is restarted. */
gpg_error_t audit_append(struct audit_log *log, const struct audit_event *ev, uint64_t *seq);

/* The two halves of audit_append, for a server that does not hold a
 * thread while the disk syncs (signet-tsa): audit_write writes the record
 * (*SEQ gets its sequence number) and returns without syncing;
 * audit_sync(LOG, SEQ) returns once every record up to SEQ is on disk,
 * sharing one fdatasync with whoever else waits (group commit).  An
 * answer that depends on the record waits for audit_sync. */
gpg_error_t audit_write(struct audit_log *log, const struct audit_event *ev, uint64_t *seq);
gpg_error_t audit_sync(struct audit_log *log, uint64_t seq);

/* Defer durability (signet-tsa's audit_sync = Nms): from now on
 * audit_append returns once the line is written (it survives a crash of
 * the process, not of the machine) and a thread of LOG fdatasyncs the
 * trail every MS milliseconds (1..AUDIT_MAX_SYNC_MS); audit_close syncs
 * the rest.  A failed sync still stops every later append.  Call once,
 * before the first append. */
#define AUDIT_MAX_SYNC_MS 1000
gpg_error_t audit_set_sync_interval(struct audit_log *log, unsigned ms);

/* Checkpoints (doc/audit-format.md §9): the key that signs them (a
 * dedicated Ed25519 key in the HSM, never a project key) and, optionally,
 * a time-stamp authority.  SIGN and TIMESTAMP are called from the log's
 * checkpoint thread, never with a lock of the log held. */
struct audit_signer {
	char name[129];          /* the origin and key name (NOTE_MAX_NAME) */
	uint8_t pub[32];         /* Ed25519 public key */
	gpg_error_t (*sign)(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]);
	void *ctx;
	/* NULL: no tokens.  Else *DER (malloc'd, *DERLEN bytes) gets an RFC
	 * 3161 TimeStampToken over the LEN bytes at MSG; an error leaves the
	 * checkpoint without one (logged). */
	gpg_error_t (*timestamp)(void *ts_ctx, const uint8_t *msg, size_t len, uint8_t **der,
	                         size_t *derlen);
	void *ts_ctx;
};

#define AUDIT_CKPT_EVERY_DEFAULT   1000
#define AUDIT_CKPT_MS_DEFAULT      60000
#define AUDIT_SEGMENT_DEFAULT      (256ull * 1024 * 1024)
#define AUDIT_SEGMENT_MIN          (64ull * 1024)

/* Start writing checkpoints: after EVERY records or MS milliseconds with
 * new records, whichever comes first, and one at audit_close.  Also
 * writes P.vkey.  Call once, after audit_open. */
gpg_error_t audit_start_checkpoints(struct audit_log *log, const struct audit_signer *signer,
                                    unsigned every, unsigned ms);

/* Stop writing checkpoints, after a last one over every record so far
 * (a clean stop); the log stays open.  audit_close does it too. */
void audit_stop_checkpoints(struct audit_log *log);

/* Roll the current segment over once it reaches BYTES
 * (AUDIT_SEGMENT_MIN..); the default is AUDIT_SEGMENT_DEFAULT. */
gpg_error_t audit_set_segment_size(struct audit_log *log, uint64_t bytes);

/* Group commit hints from a server that knows a record is on its way (a
 * signature being made on the HSM): while such records are expected, the
 * thread about to fdatasync waits for them (briefly, bounded), so that
 * one sync covers them too.  Each audit_expect is followed by exactly one
 * audit_append_expected (the announced record, with the time audit_expect
 * returned) or audit_expect_cancel (it will not come).  The log learns
 * how long an announced record takes to come: unless that is under a
 * quarter of a sync (a slow disk), waiting costs more than it saves, and
 * the sync does not wait. */
int64_t audit_expect(struct audit_log *log);
void audit_expect_cancel(struct audit_log *log);
gpg_error_t audit_append_expected(struct audit_log *log, const struct audit_event *ev, int64_t since,
                                  uint64_t *seq);

/* The seq of the last record written (not necessarily synced yet); 0:
 * none.  Thread-safe. */
uint64_t audit_last_seq(struct audit_log *log);

/* Parse one line read back (at most AUDIT_MAX_LINE bytes) and return its
 * seq; GPG_ERR_INV_DATA if it is not a valid record. */
gpg_error_t audit_parse_seq(const char *line, size_t len, uint64_t *seq);

#endif
