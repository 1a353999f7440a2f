/* pdclient.h — a client connection to signet-policyd (used by signet-scd and
 * the signet command line).  Assuan over a Unix socket; doc/policyd-protocol.md
 * is the protocol. */
#ifndef SIGNET_PDCLIENT_H
#define SIGNET_PDCLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <assuan.h>
#include <gpg-error.h>

#define PDCLIENT_MAX_DATA (64 * 1024)   /* largest D payload accepted back */
#define PDCLIENT_GREETING_SEC 10        /* a policyd that does not greet in this long is frozen */

/* How long a transaction may take: TOTAL_SEC for the whole answer, and
 * LINE_SEC between two lines of it (policyd sends "S PROGRESS" while a
 * request legitimately takes long, so a SIGN can wait as long as policyd
 * keeps saying so).  0: no limit. */
struct pdclient_deadline {
	unsigned total_sec;
	unsigned line_sec;
};

/* Status line callback: KEYWORD and the rest of the line. Return non-zero to
 * abort the transaction with that error. */
typedef gpg_error_t (*pdclient_status_cb)(void *opaque, const char *keyword, const char *args);

/* Connect to SOCKET.  Fails fast (no retries): GPG_ERR_ENOENT or
 * GPG_ERR_ECONNREFUSED when no policyd listens there; GPG_ERR_ETIMEDOUT
 * when it does not greet within PDCLIENT_GREETING_SEC (stopped or stuck);
 * the code of its ERR line when it refuses the connection instead of
 * greeting (GPG_ERR_LIMIT_REACHED: policyd is full for this user). */
gpg_error_t pdclient_connect(const char *socket, assuan_context_t *ctx);
void pdclient_close(assuan_context_t ctx);

/* Send COMMAND; collect D data into a malloc'd buffer (*DATA, *DATALEN; may be
 * NULL if not wanted; at most PDCLIENT_MAX_DATA bytes, else
 * GPG_ERR_TOO_LARGE), pass status lines to CB.  Returns the server's error
 * code (with its source) or 0.  If ERRTEXT is not NULL it receives the
 * description the server sent with its ERR line (ERRTEXTLEN bytes). */
gpg_error_t pdclient_transact(assuan_context_t ctx, const char *command,
                              uint8_t **data, size_t *datalen,
                              pdclient_status_cb cb, void *opaque,
                              char *errtext, size_t errtextlen);
/* The same within DL (NULL: no limit); a deadline that passes is
 * GPG_ERR_ETIMEDOUT and leaves the connection out of step (close it). */
gpg_error_t pdclient_transact_deadline(assuan_context_t ctx, const char *command,
                                       const struct pdclient_deadline *dl,
                                       uint8_t **data, size_t *datalen,
                                       pdclient_status_cb cb, void *opaque,
                                       char *errtext, size_t errtextlen);

#endif
