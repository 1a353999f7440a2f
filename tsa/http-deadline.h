/* http-deadline.h — signet-tsa's whole-request deadline.
 *
 * libmicrohttpd's connection timeout counts silence only: a client that
 * dribbles one byte every few seconds keeps a connection forever, and a
 * thousand such clients hold every slot.  This module cuts off any request
 * that is not being answered REQUEST_TIMEOUT seconds after it (or its
 * connection) began, however it dribbles: a reaper thread shuts the socket
 * down and libmicrohttpd closes the connection as for any client that
 * hangs up.  A request being answered (its audit record on the way to
 * disk) is left alone. */
#ifndef SIGNET_TSA_HTTP_DEADLINE_H
#define SIGNET_TSA_HTTP_DEADLINE_H

#include <microhttpd.h>
#include <gpg-error.h>

#define TSA_DEADLINE_TICK_MS 250   /* how often the reaper looks */

struct tsa_deadline;

/* Start the reaper.  On error ERR says why. */
gpg_error_t tsa_deadline_start(unsigned request_timeout_s, struct tsa_deadline **dp, char *err, size_t errlen);
/* Stop the reaper (before MHD_stop_daemon); NULL is fine.  Connections
 * still tracked are freed by their MHD_CONNECTION_NOTIFY_CLOSED. */
void tsa_deadline_stop(struct tsa_deadline *d);
/* Free D after MHD_stop_daemon; NULL is fine. */
void tsa_deadline_free(struct tsa_deadline *d);

/* MHD_OPTION_NOTIFY_CONNECTION callback (CLS is the tsa_deadline). */
void tsa_deadline_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                         enum MHD_ConnectionNotificationCode toe);
/* CONN's request is complete and being answered: no deadline now. */
void tsa_deadline_answering(struct tsa_deadline *d, struct MHD_Connection *conn);
/* CONN's request ended: the clock restarts for the next one (keep-alive). */
void tsa_deadline_next(struct tsa_deadline *d, struct MHD_Connection *conn);

#endif
