/* cmdutil.h — what every file of policyd's Assuan commands shares: the
 * refusal with a reason, argument splitting, the admin check, project
 * look-up and auditing for the connection's requester.
 *
 * Commands live in several files (command.c: keys and signing;
 * cmd_approval.c: requests, approvals, grants; cmd_project.c: policy
 * edits; cmd_totp.c: second factor), each with one table that command.c
 * registers. */
#ifndef SIGNET_POLICYD_CMDUTIL_H
#define SIGNET_POLICYD_CMDUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <assuan.h>
#include <gpg-error.h>

#include "audit.h"
#include "cmdtable.h"
#include "policyd.h"

#define CMD_ERR_TEXT_SHOWN 100   /* libassuan cuts the text of an ERR line here */

/* Answer CODE with a reason for humans (kept in the connection; a reason
 * longer than CMD_ERR_TEXT_SHOWN also goes out whole as "S REASON"). */
gpg_error_t cmd_fail(assuan_context_t ctx, gpg_err_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The refusal of a cmdline_parse() error R, with USAGE. */
gpg_error_t cmd_fail_parse(assuan_context_t ctx, gpg_error_t r, const char *usage);
/* Split LINE (no options) into exactly WANT arguments (ARGS holds WANT + 1
 * pointers), or answer GPG_ERR_ASS_PARAMETER with USAGE. */
gpg_error_t cmd_get_args(assuan_context_t ctx, char *line, char **args, size_t want, const char *usage);
/* 1 if S is 40 hex digits. */
int cmd_is_keygrip(const char *s);
/* Record EV for connection C (the requester filled in); *SEQ may be NULL. */
gpg_error_t cmd_audit_request(struct conn *c, struct audit_event *ev, uint64_t *seq);
/* The same for the record of a signature whose coming signreq_sign
 * announced at EXPECTED (audit_expect's time; 0: not announced;
 * audit_append_expected, group commit). */
gpg_error_t cmd_audit_request_as(struct conn *c, struct audit_event *ev, int64_t expected, uint64_t *seq);
/* Record the refusal EV through the coalescing denylog: *WRITTEN is 0 when
 * it was only counted. */
gpg_error_t cmd_audit_refusal(struct conn *c, struct audit_event *ev, uint64_t *seq, int *written);
/* 0 if the caller may run admin command WHAT; else the refusal, audited. */
gpg_error_t cmd_require_admin(assuan_context_t ctx, const char *what);
/* The project NAME of the request's snapshot, or NULL with *R the refusal. */
const struct project *cmd_lookup_project(assuan_context_t ctx, const char *name, gpg_error_t *r);

/* Admin work of KEYGEN and PROJECT CREATE: check LABEL (a project name,
 * not signet-tsa's), generate an ALGO key pair labelled LABEL on the
 * token, audit it ("keygen") and put its URI into URI (URILEN bytes,
 * P11URI_MAX_LEN).  The caller checked that the caller is an admin.
 * Answers the refusal itself. */
gpg_error_t cmd_keygen_token(assuan_context_t ctx, enum key_algo algo, const char *label, char *uri,
                             size_t urilen);

/* Each command file's one table (N entries). */
extern const struct cmdtable_entry cmd_approval_table[];
extern const size_t cmd_approval_ntable;
extern const struct cmdtable_entry cmd_project_table[];
extern const size_t cmd_project_ntable;
extern const struct cmdtable_entry cmd_totp_table[];
extern const size_t cmd_totp_ntable;

#endif
