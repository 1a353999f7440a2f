/* pd.h — the command line's side of the policyd protocol
 * (doc/policyd-protocol.md): connect, run one command, and turn the answer
 * into the "signet: what: why; what to do" line when it fails. */
#ifndef SIGNET_AGENT_PD_H
#define SIGNET_AGENT_PD_H

#include <stddef.h>
#include <stdint.h>
#include <assuan.h>
#include <jansson.h>
#include "cli.h"
#include "config.h"
#include "pdclient.h"
#include "pgpkey.h"

#define PD_MAX_KEYS (CONFIG_MAX_PROJECTS * 4)   /* KEYLIST lines: current + overlapping subkeys */

/* One KEYLIST line: S KEY <project> <keygrip> <algo> <created> <fingerprint> */
struct pd_key {
	char project[PROJECT_NAME_MAX + 1];
	char grip[PGPKEY_GRIP_HEX];
	char algo[16];
	int64_t created;
	char fpr[PGPKEY_FPR_HEX];
};

/* Connect to the policyd at SOCKET.  On failure prints why (not running:
 * "start it with `signet start`") unless QUIET, and returns CLI_EXIT_FAIL;
 * *CTX is NULL then. */
int pd_open(const char *socket, int quiet, assuan_context_t *ctx);

/* Run COMMAND.  D data (if DATA is not NULL) into a new *DATA (*DATALEN bytes),
 * status lines to CB.  On failure prints "signet: WHAT: <server reason>;
 * <TODO or a hint chosen by the error code>" and returns CLI_EXIT_FAIL; *ERRP
 * (if not NULL) gets the error code in either case. */
int pd_call(assuan_context_t ctx, const char *command, uint8_t **data, size_t *datalen,
            pdclient_status_cb cb, void *opaque, const char *what, const char *todo,
            gpg_error_t *errp);

/* KEYLIST into KEYS (at most MAX), *N their count.  Prints and returns
 * CLI_EXIT_FAIL on failure. */
int pd_keylist(assuan_context_t ctx, struct pd_key *keys, size_t max, size_t *n);

/* The longest command line policyd reads (Assuan: 1000 bytes before the
 * line end). */
#define PD_LINE_MAX 1000

/* Reasons and comments policyd takes: printable text under 256 bytes
 * (doc/policyd-protocol.md, "Requests, approvals and grants"). */
#define PD_TEXT_MAX 255

/* Append " " and TEXT to the command LINE (NUL-terminated, at most
 * PD_LINE_MAX bytes), '%' escaped as Assuan requires, so that text a
 * person typed stays one argument on one line.  TEXT that is empty, longer
 * than PD_TEXT_MAX, holds a control character (a line end, a tab, an
 * escape) or would make the line longer than PD_LINE_MAX is refused
 * before anything is sent: prints "signet: WHAT: ..." saying what to
 * change and returns CLI_EXIT_FAIL (CLI_EXIT_OK otherwise). */
int pd_line_add_text(char *line, const char *text, const char *what);

/* Connect to the policyd of the home the command line names, or to SOCKET
 * when not NULL.  *CFG (NULL with SOCKET) is the loaded configuration for
 * the caller to config_free().  Prints and returns CLI_EXIT_FAIL on failure,
 * with *CTX NULL. */
int pd_connect(const struct cli *cli, const char *socket, struct signet_config **cfg,
               assuan_context_t *ctx);

/* pd_call() whose answer is one JSON value of TYPE (JSON_OBJECT or
 * JSON_ARRAY) in D lines, into a new *JSON (json_decref it).  An answer
 * that is not such JSON prints "WHAT: signet-policyd sent ..." and returns
 * CLI_EXIT_FAIL.  With WHAT NULL a refusal by policyd prints nothing
 * (the caller looks at *ERRP). */
int pd_call_json(assuan_context_t ctx, const char *command, json_type type, json_t **json,
                 pdclient_status_cb cb, void *opaque, const char *what, const char *todo,
                 gpg_error_t *errp);

/* pd_connect(), pd_call_json() and close: one command, one JSON answer.
 * The command line's approval commands are each one such call. */
int pd_query_json(const struct cli *cli, const char *socket, const char *command, json_type type,
                  json_t **json, pdclient_status_cb cb, void *opaque, const char *what,
                  const char *todo);

/* GETINFO WHAT into OUT (NUL-terminated).  CLI_EXIT_FAIL after printing. */
int pd_getinfo(assuan_context_t ctx, const char *what, char *out, size_t outlen);

#endif
