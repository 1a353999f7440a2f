/* policyd.h — the daemon's context, shared by its modules.
 *
 * One struct policyd exists, in main.c (the only global state of the
 * daemon); every other module gets it as an argument.  The configuration and
 * the project table are refcounted snapshots (snapshot.h): a request holds
 * the one it started with until it ends, a reload publishes a new one, and
 * no lock is ever held while a client is read or written. */
#ifndef SIGNET_POLICYD_POLICYD_H
#define SIGNET_POLICYD_POLICYD_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <time.h>
#include <assuan.h>
#include <gpg-error.h>

#include "asswrite.h"
#include "audit.h"
#include "config.h"
#include "configaudit.h"
#include "denials.h"
#include "denylog.h"
#include "hours.h"
#include "hsm.h"
#include "linebuf.h"
#include "project.h"
#include "snapshot.h"
#include "workers.h"

#define POLICYD_IDLE_TIMEOUT_SEC 60         /* no whole request for this long: closed */
#define POLICYD_PARTIAL_TIMEOUT_SEC 10      /* the same unfinished line this long: closed */
#define POLICYD_WRITE_TIMEOUT_SEC 5         /* an answer the client does not take: dropped */
#define POLICYD_MAX_OUTPUT    (256 * 1024)  /* unsent answer kept per connection */
#define POLICYD_HEARTBEAT_SEC 5             /* S PROGRESS this often while a request works or waits */
#define POLICYD_STOP_WAIT_SEC 5             /* SIGTERM: how long parked requests get to answer */
#define POLICYD_WORKERS       8             /* threads that run requests */
#define POLICYD_LINGER_MS     2             /* a worker waits this long for the next line */
#define POLICYD_LINGER_MAX    64            /* requests a worker runs in a row (and at most 1 s) */
#define POLICYD_FD_RESERVE    64            /* descriptors kept for the audit trail, HSM, reloads */
#define POLICYD_MALLOC_KEEP   (64 << 20)    /* free heap top kept, not given back (main.c) */
#define POLICYD_MALLOC_MMAP   (32 << 20)    /* blocks below this come from the heap (main.c) */
#define POLICYD_LISTEN_BACKLOG 1024
#define POLICYD_MAX_ERRTEXT   512           /* reason text of one ERR line */
#define POLICYD_MAX_CERT      (64 * 1024)   /* certificate file read by CERT */
#define POLICYD_USER_MAX      64            /* user name kept per connection */

struct server;
struct store;
struct notify;
struct totp_keys;
struct sweeper;
struct park;

struct auditts;

struct idcache;
struct ecverify_cache;

struct policyd {
	char *config_path;
	char *pidfile;                 /* NULL: none */
	uid_t self_uid;                /* the daemon's own user: always admin */
	struct snapshot_slot snap;     /* the configuration and projects in force */
	pthread_mutex_t reload_lock;   /* one reload at a time (RELOAD, SIGHUP); guards cfg_sha256 */
	pthread_mutex_t edit_lock;     /* one edit of the configuration file at a time
	                                * (cmd_project.c); taken before reload_lock */
	uint8_t cfg_sha256[CONFIGAUDIT_SHA256_LEN]; /* of the file bytes the snapshot was parsed from */
	struct hsm *hsm;               /* [hsm] as loaded at start-up */
	struct audit_log *audit;
	struct auditts *auditts;       /* [policyd] tsa_url: time-stamps of checkpoints; NULL: none */
	struct denials *denials;       /* last refusal per user, for WHY */
	atomic_flag keyop_busy;        /* set while MKCERT/ROTATE/UPGRADE runs */
	struct denylog *denylog;       /* refusals into the audit trail, coalesced */
	struct store *store;           /* requests, approvals, grants, rates, TOTP (store.h) */
	struct notify *notify;         /* [policyd] notify program; NULL: none (notify.h) */
	struct totp_keys *totp;        /* the HSM key that seals TOTP secrets (totp.h) */
	struct sweeper *sweeper;       /* expires requests (engine.h) */
	struct hours_memo hours_memo;  /* this minute's answers of hours_allow (hours.h) */
	struct idcache *ids;           /* the user database, remembered (idcache.h) */
	struct ecverify_cache *ecv;    /* project keys ready for the check of each EC signature */
	char *socket_path;             /* as bound at start-up */
	int listen_fd;
	struct server *server;         /* the event loop (server.c) */
};

/* One client connection; credentials read once, right after accept().  The
 * peer's gid is not kept: group decisions use the user database
 * (requester.h), never the gid a process happens to run with.  The event
 * loop owns it while it is idle, one worker while it runs a request
 * (conn.h). */
struct conn {
	struct policyd *pd;
	int fd;
	uid_t uid;
	pid_t pid;
	char user[POLICYD_USER_MAX];
	char errtext[POLICYD_MAX_ERRTEXT];   /* assuan_set_error() keeps a pointer */
	struct snapshot *snap;               /* in force for the request being run */
	assuan_context_t ctx;                /* while a request runs (conn.c) */

	/* The event loop's (server.c). */
	struct conn *prev, *next;            /* every connection */
	struct task task;                    /* in the workers' queue */
	struct conn *done_next;              /* handed back to the loop */
	atomic_int busy;                     /* in a worker */
	time_t last_request;                 /* monotonic: accept or end of the last request */
	time_t partial_since;                /* monotonic: an unfinished line since; 0: none */
	time_t busy_since, last_beat;        /* monotonic: request start, last S PROGRESS */

	/* Input (conn.c): the loop reads, a worker serves one line of it. */
	struct linebuf in;
	size_t linelen;                      /* the whole line at in.buf, to serve */
	size_t served;                       /* of it, handed to libassuan */
	int too_long;                        /* answer "line too long" instead */
	int dead;                            /* hang up after this request */
	int in_cmd;                          /* a registered command is running */
	int drop_output;                     /* libassuan's greeting: already sent */
	struct park *park;                   /* a parked request (park.h); NULL: none */
	time_t park_since;                   /* monotonic: when it parked (S PROGRESS counts from it) */

	/* Parking (parking.h): the registry's links and mark, under its lock. */
	struct conn *park_prev, *park_next;
	int park_listed;                     /* in the registry */
	int park_woken;                      /* server_wake() named its key */
	/* The loop's: it holds C parked; C is being resumed, and why. */
	int parked;
	int resuming;
	int unwatched;                       /* out of the epoll set (disarm) */
	int park_why;                        /* enum park_wake, for the resume task */
	struct conn *wake_next;              /* woken, taken by the loop */

	/* Output (conn.c): one writer at a time; what the socket does not
	 * take waits in OUT for the loop, which gives it a deadline. */
	pthread_mutex_t wlock;
	int at_line_start;                   /* the last byte written ended a line */
	struct asswrite_line wline;          /* what may wait for the next write */
	char *out;                           /* unsent or held answer (NULL: none) */
	size_t outlen, outsize;
	int flushing;                        /* the loop is sending OUT */
	time_t out_deadline;                 /* monotonic: OUT must be gone by then */
};

/* main.c: re-read the configuration file and resolve its projects; on
 * success swap them in (the old ones are freed once no request uses them).
 * On failure nothing changes and ERR holds "FILE:LINE: reason".  Either
 * way the audit trail records it, as done BY (configaudit.h). */
gpg_error_t policyd_reload(struct policyd *pd, const struct configaudit_by *by, char *err, size_t errlen);

/* main.c: open the state store of CFG ([policyd] state, by default the
 * audit trail's folder) into PD->store; ERR names a failure. */
gpg_error_t policyd_open_store(struct policyd *pd, const struct signet_config *cfg, char *err, size_t errlen);

/* server.c: bind and listen on the socket of CFG (see the man page for
 * the checks); ERR names the failure. */
gpg_error_t server_listen(struct policyd *pd, const struct signet_config *cfg, char *err, size_t errlen);
/* Serve clients until SIGTERM or SIGINT (which must be blocked in every
 * thread); SIGHUP reloads.  Returns the exit status. */
int server_run(struct policyd *pd);
/* Close and remove the socket. */
void server_close(struct policyd *pd);

/* command.c: register the protocol's commands on CTX. */
gpg_error_t command_register(assuan_context_t ctx);

#endif
