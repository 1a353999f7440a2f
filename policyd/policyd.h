/* policyd.h — the daemon's context, shared by its modules.
 *
 * One struct policyd exists, in main.c (the only global state of the
 * daemon); every other module gets it as an argument.  The configuration and
 * the project table change only on reload, under LOCK: request handlers hold
 * the read lock for the whole request, so an in-flight signature finishes
 * with the configuration it started with. */
#ifndef SIGNET_POLICYD_POLICYD_H
#define SIGNET_POLICYD_POLICYD_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <time.h>
#include <assuan.h>
#include <gpg-error.h>

#include "audit.h"
#include "config.h"
#include "configaudit.h"
#include "denials.h"
#include "denylog.h"
#include "hsm.h"
#include "project.h"

#define POLICYD_MAX_CONN      256           /* concurrent client connections */
#define POLICYD_IDLE_TIMEOUT_SEC 60         /* a connection idle this long is closed */
#define POLICYD_LISTEN_BACKLOG 64
#define POLICYD_MAX_ERRTEXT   512           /* reason text of one ERR line */
#define POLICYD_MAX_CERT      (64 * 1024)   /* certificate file read by CERT */
#define POLICYD_USER_MAX      64            /* user name kept per connection */

struct policyd {
	char *config_path;
	char *pidfile;                 /* NULL: none */
	uid_t self_uid;                /* the daemon's own user: always admin */
	pthread_rwlock_t lock;         /* guards cfg and projects */
	struct signet_config *cfg;
	uint8_t cfg_sha256[CONFIGAUDIT_SHA256_LEN]; /* of the file bytes CFG was parsed from */
	struct project_table *projects;
	struct hsm *hsm;               /* [hsm] as loaded at start-up */
	struct audit_log *audit;
	struct denials *denials;       /* last refusal per user, for WHY */
	atomic_flag keyop_busy;        /* set while MKCERT/ROTATE/UPGRADE runs */
	struct denylog *denylog;       /* refusals into the audit trail, coalesced */
	char *socket_path;             /* as bound at start-up */
	int listen_fd;
	atomic_int nconn;
	time_t full_warned;            /* accept thread only: rate-limits the "full" warning */
	unsigned long full_dropped;
};

/* One client connection; credentials read once, right after accept().  The
 * peer's gid is not kept: group decisions use the user database
 * (requester.h), never the gid a process happens to run with. */
struct conn {
	struct policyd *pd;
	int fd;
	uid_t uid;
	pid_t pid;
	char user[POLICYD_USER_MAX];
	char errtext[POLICYD_MAX_ERRTEXT];   /* assuan_set_error() keeps a pointer */
};

/* main.c: re-read the configuration file and resolve its projects; on
 * success swap them in (the old ones are freed once no request uses them).
 * On failure nothing changes and ERR holds "FILE:LINE: reason".  Either
 * way the audit trail records it, as done BY (configaudit.h). */
gpg_error_t policyd_reload(struct policyd *pd, const struct configaudit_by *by, char *err, size_t errlen);

/* server.c: bind and listen on the configured socket (see the man page for
 * the checks); ERR names the failure. */
gpg_error_t server_listen(struct policyd *pd, char *err, size_t errlen);
/* Accept clients until SIGTERM or SIGINT (which must be blocked in every
 * thread); SIGHUP reloads.  Returns the exit status. */
int server_run(struct policyd *pd);
/* Close and remove the socket. */
void server_close(struct policyd *pd);
/* Serve the accepted connection C (c->fd; taken over and set to -1 once
 * libassuan owns it) until the client leaves: what each connection thread
 * runs, and the seam fuzz/policyd_dispatch.c drives. */
void server_serve_conn(struct conn *c);

/* command.c: register the protocol's commands on CTX. */
gpg_error_t command_register(assuan_context_t ctx);

#endif
