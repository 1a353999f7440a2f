/* notice.c — see notice.h. */
#define GPG_ERR_SOURCE_DEFAULT GPG_ERR_SOURCE_SCD
#include "notice.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"

#define NOTICE_NUM_MAX 20          /* digits of an id or a count */

/* Copy the leading run of digits of *S (at most NOTICE_NUM_MAX) to OUT and
 * step over it and the blanks after it; 0, or -1 if there is none. */
static int
take_number(const char **s, char out[NOTICE_NUM_MAX + 1])
{
	size_t n = strspn(*s, "0123456789");

	if (n == 0 || n > NOTICE_NUM_MAX || ((*s)[n] != ' ' && (*s)[n] != '\0'))
		return -1;
	memcpy(out, *s, n);
	out[n] = '\0';
	*s += n;
	while (**s == ' ')
		(*s)++;
	return 0;
}

/* Principals are "user:NAME" and "group:NAME"; anything else that reached
 * the line is shown as '?' (no '%': pinentry percent-decodes its text). */
static void
copy_shown(const char *in, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 :._@+-",
		                 in[i]) != NULL) ? in[i] : '?';
	out[i] = '\0';
	if (in[i] != '\0' && i >= 3)
		memcpy(out + i - 3, "...", 3);
}

int
notice_text(const char *project, const char *args, char *out, size_t outlen)
{
	char id[NOTICE_NUM_MAX + 1], needed[NOTICE_NUM_MAX + 1];
	char who[NOTICE_APPROVERS_MAX + 1], proj[PROJECT_NAME_MAX + 1];
	int n;

	if (outlen > 0)
		out[0] = '\0';
	if (args == NULL || take_number(&args, id) != 0 || take_number(&args, needed) != 0 ||
	    args[0] == '\0')
		return -1;
	copy_shown(args, who, sizeof(who));
	copy_shown(project != NULL ? project : "?", proj, sizeof(proj));
	n = snprintf(out, outlen, "Signet: request %s (project %s) waits for %s approval(s) from %s",
	             id, proj, needed, who);
	return n < 0 ? -1 : 0;
}

void
notice_init(struct notice *n, assuan_context_t agent, const char *project)
{
	memset(n, 0, sizeof(*n));
	n->agent = agent;
	n->project = project;
}

gpg_error_t
notice_request(void *opaque, const char *args)
{
	struct notice *n = opaque;
	char text[NOTICE_TEXT_MAX], line[NOTICE_TEXT_MAX + 32];
	gpg_error_t err;

	if (n->shown)
		return 0;
	if (notice_text(n->project, args, text, sizeof(text)) != 0) {
		log_warn("policyd's S REQUEST line is malformed; no desktop notice");
		return 0;
	}
	snprintf(line, sizeof(line), "POPUPPINPADPROMPT %s", text);
	/* gpg-agent starts the pinentry and answers at once. */
	if ((err = assuan_inquire(n->agent, line, NULL, NULL, 0)) != 0) {
		log_info("desktop notice refused by gpg-agent (%s; loopback pinentry mode, or no "
		         "pinentry): giving the signature up; sign with a pinentry, or run `signet "
		         "setup` without --desktop", gpg_strerror(err));
		return gpg_error(GPG_ERR_CANCELED);
	}
	n->shown = 1;
	log_info("desktop notice shown: %s", text);
	return 0;
}

void
notice_end(struct notice *n)
{
	gpg_error_t err;

	if (!n->shown)
		return;
	n->shown = 0;
	if ((err = assuan_inquire(n->agent, "DISMISSPINPADPROMPT", NULL, NULL, 0)) != 0)
		log_warn("gpg-agent did not close the desktop notice: %s", gpg_strerror(err));
}
