/* notify.h — `[policyd] notify = PROGRAM`: tell people about approval
 * requests by running an admin's program for each event.
 *
 * The program runs with execve(), never through a shell, with no arguments
 * and a clean environment: PATH=/usr/sbin:/usr/bin:/sbin:/bin and
 *   SIGNET_EVENT      opened | approval | approved | denied | expired | cancelled
 *   SIGNET_REQUEST    the request id
 *   SIGNET_PROJECT    the project
 *   SIGNET_REQUESTER  the requester ("user:alice")
 *   SIGNET_APPROVALS  approvals so far
 *   SIGNET_NEEDED     approvals needed
 *   SIGNET_REASON     the request's reason (denied: the deny reason); text
 *                     a requester wrote: the program must treat it as data
 * stdin is /dev/null, stdout and stderr go to policyd's log (the first
 * NOTIFY_OUTPUT_MAX bytes, control characters escaped), every other
 * descriptor is closed, and it runs in its own process group, which is
 * killed (SIGKILL) after NOTIFY_TIMEOUT_SEC.  A failure (it cannot be
 * started, exits non-zero or by a signal, or times out) is logged and
 * audited (event "notify", result "error") and changes nothing else: a
 * notification never blocks or fails a request, an approval or a
 * signature.
 *
 * One thread runs the programs, one at a time, in the order posted. */
#ifndef SIGNET_POLICYD_NOTIFY_H
#define SIGNET_POLICYD_NOTIFY_H

#include <stdint.h>
#include <gpg-error.h>

#include "audit.h"

#define NOTIFY_QUEUE_MAX   64       /* events waiting for the program; more are dropped (logged) */
#define NOTIFY_TIMEOUT_SEC 10       /* then its process group is killed */
#define NOTIFY_OUTPUT_MAX  4096     /* bytes of its output logged per run; the rest is read and dropped */
#define NOTIFY_PROGRAM_MAX 1024     /* path of the program, with its NUL */
#define NOTIFY_TEXT_MAX    256      /* project, requester, reason: longer ones are cut */

struct notify_event {
	const char *event;             /* opened|approval|approved|denied|expired|cancelled */
	int64_t request;
	const char *project;           /* NULL: "" */
	const char *requester;         /* NULL: "" */
	const char *reason;            /* NULL: "" */
	unsigned approvals, needed;
};

struct notify;

/* Start the notify thread; failures are audited into AUDIT (may be NULL:
 * logged only). */
gpg_error_t notify_new(struct audit_log *audit, struct notify **out);
/* Run what is queued (each within its timeout), then stop the thread and
 * free N.  NULL is a no-op.  policyd leaves with _exit and does not call it;
 * tests do. */
void notify_free(struct notify *n);
/* Tests: kill the program after SEC seconds instead of NOTIFY_TIMEOUT_SEC. */
void notify_set_timeout(struct notify *n, unsigned sec);

/* Any thread: queue EV (copied) for PROGRAM (copied; NULL or "": nothing
 * to do).  Never blocks beyond a mutex: when NOTIFY_QUEUE_MAX events wait
 * already, EV is dropped and logged.  N NULL is a no-op. */
void notify_post(struct notify *n, const char *program, const struct notify_event *ev);

#endif
