/* notice.h — the desktop notice while a signature waits for approvers
 * (opt-in: desktop_notice in signet-scd.conf, `signet setup --desktop`;
 * scd-protocol §6.2).
 *
 * When policyd says that a SIGN waits (S REQUEST <id> <needed>
 * <approvers…>), gpg-agent is asked to show a pinentry message (INQUIRE
 * POPUPPINPADPROMPT) naming the request and who may approve; when the SIGN
 * ends, however it ends, to close it again (INQUIRE DISMISSPINPADPROMPT).
 * gpg-agent answers the popup with CAN when it may not use a pinentry
 * (2.2: --pinentry-mode loopback, cancel, error) or cannot start one: its
 * side of PKSIGN is then over, so the signature is given up
 * (GPG_ERR_CANCELED) and policyd, hung up on, cancels the request.  2.4 in
 * loopback mode passes the popup to gpg (INQUIRE CONFIRM), which ignores
 * it, and answers OK: the SIGN waits on as without the notice. */
#ifndef SIGNET_SCD_NOTICE_H
#define SIGNET_SCD_NOTICE_H

#include <stddef.h>
#include <assuan.h>
#include <gpg-error.h>

/* The shown text is kept short: gpg-agent appends its own pin-pad
 * sentence, and a pinentry window is small. */
#define NOTICE_TEXT_MAX 320
#define NOTICE_APPROVERS_MAX 160

struct notice {
	assuan_context_t agent;    /* the connection gpg-agent's PKSIGN came on */
	const char *project;
	int shown;                 /* a popup is open: dismiss it at the end */
};

void notice_init(struct notice *n, assuan_context_t agent, const char *project);
/* A backend_wait callback (backend.h); OPAQUE is a struct notice.  A
 * malformed S REQUEST shows nothing and lets the SIGN go on. */
gpg_error_t notice_request(void *opaque, const char *args);
/* The SIGN is over: close the popup if one is open. */
void notice_end(struct notice *n);

/* The text for S REQUEST ARGS on PROJECT: printable ASCII, no LF, no '%'
 * (pinentry would decode it), at most OUTLEN - 1 bytes.  0, or -1 when
 * ARGS is not "<id> <needed> <approvers…>". */
int notice_text(const char *project, const char *args, char *out, size_t outlen);

#endif
