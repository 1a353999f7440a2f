/* server.h — signet-scd's daemon context and its two ways in: the Assuan
 * pipe on fds 0/1 (gpg-agent's primary connection) and the extra Unix
 * socket for concurrent agent sessions (scd-protocol §1.4). */
#ifndef SIGNET_SCD_SERVER_H
#define SIGNET_SCD_SERVER_H

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/un.h>
#include <gpg-error.h>

#include "backend.h"
#include "scdconf.h"

/* Concurrent connections on the extra socket; gpg-agent opens one per
 * client session, so a handful is normal. */
#define SERVER_MAX_CONNS 64
#define SERVER_SOCKET_NAME "S.scdaemon"
#define SERVER_SOCKDIR_TEMPLATE "/tmp/signet-scd.XXXXXX"

struct scd_server {
	char homedir[PATH_MAX];
	/* NULL when signet-scd.conf did not load: then every card command
	 * answers GPG_ERR_CONFIGURATION with CONF_ERROR as its text. */
	struct scd_conf *conf;
	char conf_error[SCDCONF_ERR_MAX];
	struct backend *be;            /* NULL without a configuration */

	int multi;                     /* --multi-server */
	int pipe_greeted;              /* restarted in place: no second hello */
	/* Close-on-exec copies of gpg-agent's pipe (fds 0 and 1) for a
	 * restart in place; -1 when not kept. */
	int pipe_keep[2];
	/* A socket connection's KILLSCD wakes the pipe's loop through this
	 * pipe (restart.h); open only if WAKE_OK (else the pipe never waits
	 * and a socket's KILLSCD restarts at once). */
	int wake[2];
	int wake_ok;
	int pipe_busy;                 /* a pipe command runs (pipe thread only) */
	char sockdir[sizeof(SERVER_SOCKDIR_TEMPLATE)];   /* "" if none */
	char socket_name[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;

	pthread_mutex_t lock;          /* guards the fields below */
	int event_signal;              /* OPTION event-signal; 0: none */
	pid_t agent_pid;               /* peer of the pipe; 0: unknown */
	int nconns;                    /* open socket connections */
	int restart_pending;           /* a KILLSCD is being answered */
};

/* Create the private socket folder and listen on S.scdaemon in it.  A
 * failure is logged and leaves the server pipe-only. */
gpg_error_t server_socket_open(struct scd_server *srv);
/* Start the accept thread (one thread per accepted connection). */
gpg_error_t server_socket_start(struct scd_server *srv);
/* Remove the socket and its folder (idempotent; safe at exit). */
void server_socket_remove(struct scd_server *srv);

/* Serve the pipe on fds 0/1 until EOF or BYE (then returns the exit status
 * for main()) or KILLSCD (then restarts, server_restart). */
int server_run_pipe(struct scd_server *srv);
/* The same for a pipe connection reading INFD and writing OUTFD (the seam
 * fuzz/scd_dispatch.c drives): 1 after KILLSCD (the caller decides to
 * exit), 0 when the peer left, -1 if the connection could not be set up.
 * Both descriptors are closed on return. */
int server_serve_pipe(struct scd_server *srv, int infd, int outfd);

/* KILLSCD: run signet-scd again in this process, keeping the pipe and
 * the extra socket (restart.h); if that fails, exit as server_shutdown. */
void server_restart(struct scd_server *srv) __attribute__((noreturn));
/* A fatal signal, EOF on the pipe, or a failed restart: remove the socket
 * and exit the process. */
void server_shutdown(struct scd_server *srv, int status) __attribute__((noreturn));

#endif
