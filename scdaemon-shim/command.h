/* command.h — the Assuan commands of the virtual OpenPGP card
 * (scd-protocol §3 and §9), registered from one table. */
#ifndef SIGNET_SCD_COMMAND_H
#define SIGNET_SCD_COMMAND_H

#include <assuan.h>
#include <gpg-error.h>

#include "server.h"

/* SETDATA holds at most this much per connection (the real scdaemon's
 * cap for --append). */
#define MAXLEN_SETDATA 4096
#define MAXLEN_PIN 100         /* NEEDPIN answer: gpg-agent sends 90 bytes */

struct scd_conn;

/* Register every command and the OPTION handler on CTX and attach a new
 * per-connection state (own SETDATA buffer).  IS_PIPE: the primary
 * connection from gpg-agent (its OPTION event-signal is remembered). */
gpg_error_t command_attach(assuan_context_t ctx, struct scd_server *srv, int is_pipe,
                           struct scd_conn **conn);
/* Free the state (NULL is fine); CTX is released by the caller. */
void command_detach(struct scd_conn *conn);
/* 1 after KILLSCD on this connection: the process should restart. */
int command_stop_requested(const struct scd_conn *conn);
/* libassuan's write for a connection attached to CTX: whole answers in
 * one write (asswrite.h).  command_attach installs it with a read that
 * flushes first; a connection with its own read hook must call
 * command_flush before reading. */
ssize_t command_write(assuan_context_t ctx, assuan_fd_t fd, const void *buf, size_t size);
/* Write what command_write holds.  0, or -1 with errno set. */
int command_flush(assuan_context_t ctx);
/* The server of the connection attached to CTX; NULL if none. */
struct scd_server *command_server(assuan_context_t ctx);

#endif
