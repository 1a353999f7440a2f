/* restart.h — KILLSCD without a gap (scd-protocol §1.6).
 *
 * gpg-agent 2.2 notices a dead scdaemon only on its 4-second tick; until
 * then it hands its sessions the dead pipe, or the dead extra socket, and
 * gpg fails with "Broken pipe".  So signet-scd does not die on KILLSCD: it
 * runs its program again in the same process (same pid), keeping
 * gpg-agent's pipe on fds 0/1, the listening extra socket and the event
 * signal gpg-agent asked for.  The new image reads its configuration and
 * key cache anew, as a new scdaemon would, and gpg-agent sees nothing. */
#ifndef SIGNET_SCD_RESTART_H
#define SIGNET_SCD_RESTART_H

#include <assuan.h>
#include <gpg-error.h>

#include "server.h"

/* The options only restart_exec passes to the new image. */
#define RESTART_OPT_RESUMED      "--resumed"        /* pipe already greeted */
#define RESTART_OPT_LISTEN_FD    "--listen-fd"      /* N: the extra socket */
#define RESTART_OPT_EVENT_SIGNAL "--event-signal"   /* N: OPTION event-signal */

/* Run signet-scd again in this process with SRV's pipe, socket and event
 * signal.  Returns only if that failed (logged); the caller then exits. */
void restart_exec(struct scd_server *srv);

/* Open SRV's wake pipe (before any socket connection can ask for a
 * restart).  Without it a socket's KILLSCD restarts at once. */
void restart_init(struct scd_server *srv);
/* A socket connection's KILLSCD: ask the pipe's loop to restart between
 * two of gpg-agent's commands (a restart in the middle of one would leave
 * gpg-agent waiting for an answer that never comes). */
void restart_request(struct scd_server *srv);
/* Watch the pipe's context CTX so that a requested restart happens when
 * it reads gpg-agent's next command, before reading it: the only moment
 * at which a restart loses nothing gpg-agent sent and leaves no answer
 * owed (gpg-agent waits for each answer before its next line).  On
 * failure (logged) a socket's KILLSCD restarts at once. */
void restart_watch_pipe(struct scd_server *srv, assuan_context_t ctx);

/* Watch a socket connection's context CTX for KILLSCD (as the pipe's is
 * watched): from its start on, restart_accept takes no connection. */
gpg_error_t restart_watch_socket(assuan_context_t ctx);
/* The accept thread's accept: wait for a connection on SRV's listening
 * socket and accept it (the descriptor, close-on-exec), or -1 with errno,
 * or -2 once a KILLSCD is being answered: the thread then stops, and
 * clients that connect meanwhile are served by the next image. */
int restart_accept(struct scd_server *srv);

/* Parse the number of a RESTART_OPT_* option: 0, or -1 (logged) if VALUE
 * is not a decimal in [MIN, MAX]. */
int restart_parse_int(const char *opt, const char *value, long min, long max, int *out);

/* Take over the listening socket FD a previous image passed: it must be a
 * listening Unix socket bound at SERVER_SOCKDIR_TEMPLATE/S.scdaemon, so
 * that gpg-agent's remembered socket name still reaches us.  On success
 * SRV listens on it (as server_socket_open would have); on failure FD is
 * closed and an error returned (logged). */
gpg_error_t restart_adopt_socket(struct scd_server *srv, int fd);

#endif
