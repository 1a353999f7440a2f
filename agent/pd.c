/* pd.c — talking to signet-policyd from the command line. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hex.h"
#include "home.h"
#include "pd.h"
#include "signet-err.h"

int
pd_open(const char *socket, int quiet, assuan_context_t *ctx)
{
	gpg_error_t err;
	gpg_err_code_t code;

	*ctx = NULL;
	err = pdclient_connect(socket, ctx);
	if (err == 0)
		return CLI_EXIT_OK;
	*ctx = NULL;
	if (quiet)
		return CLI_EXIT_FAIL;
	code = gpg_err_code(err);
	if (code == GPG_ERR_ENOENT || code == GPG_ERR_ECONNREFUSED || code == GPG_ERR_ASS_CONNECT_FAILED)
		return cli_fail("signet-policyd is not running at %s; start it with `signet start`", socket);
	if (code == SIGNET_ERR_POLICYD_FULL)
		return cli_fail("signet-policyd at %s refused the connection: it is full for your user (too "
		                "many connections open); close some, or ask the Signet admin about [policyd] "
		                "max_connections_per_user", socket);
	if (code == GPG_ERR_ETIMEDOUT)
		return cli_fail("signet-policyd at %s did not answer within %d s; check `signet status` and "
		                "its log", socket, PDCLIENT_GREETING_SEC);
	if (code == GPG_ERR_EACCES)
		return cli_fail("connect to signet-policyd at %s: %s; ask the Signet admin to make the socket "
		                "and its folders reachable for you", socket, gpg_strerror(err));
	return cli_fail("connect to signet-policyd at %s: %s; check that signet-policyd runs "
	                "(`signet status`) and its log", socket, gpg_strerror(err));
}

static const char *
hint(gpg_error_t err)
{
	switch (gpg_err_code(err)) {
	case SIGNET_ERR_DENIED:
		return "ask the Signet admin to add you to the project's signers";
	case SIGNET_ERR_NO_KEY:
		return "check the project name with `signet project list`";
	case SIGNET_ERR_NOT_ADMIN:
		return "run this as the Signet admin (root or the user that runs signet-policyd)";
	case SIGNET_ERR_HSM:
		return "see the signet-policyd log (DIR/run/policyd.log) for the HSM's answer";
	case SIGNET_ERR_AUDIT:
		return "check the audit trail's file system (space, permissions) and the signet-policyd log";
	case GPG_ERR_ASS_UNKNOWN_CMD:
	case GPG_ERR_UNKNOWN_COMMAND:
		return "this signet-policyd is older than this signet and does not know the command; update "
		       "it (`signet status` shows its version)";
	default:
		return "see the signet-policyd log for details";
	}
}

int
pd_call(assuan_context_t ctx, const char *command, uint8_t **data, size_t *datalen,
        pdclient_status_cb cb, void *opaque, const char *what, const char *todo,
        gpg_error_t *errp)
{
	char reason[512];
	gpg_error_t err;

	reason[0] = '\0';
	err = pdclient_transact(ctx, command, data, datalen, cb, opaque, reason, sizeof(reason));
	if (errp != NULL)
		*errp = err;
	if (err == 0)
		return CLI_EXIT_OK;
	if (what == NULL)
		return CLI_EXIT_FAIL;
	return cli_fail("%s: %s; %s", what, reason[0] ? reason : gpg_strerror(err),
	                todo != NULL ? todo : hint(err));
}

struct keylist_state {
	struct pd_key *keys;
	size_t max, n;
	int bad;
};

static int
is_hex40(const char *s)
{
	size_t i;

	for (i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return s[40] == '\0';
}

static gpg_error_t
keylist_cb(void *opaque, const char *keyword, const char *args)
{
	struct keylist_state *st = opaque;
	struct pd_key k;
	char name[PROJECT_NAME_MAX + 2], grip[42], algo[16], fpr[42];
	int64_t created;
	char extra;

	if (strcmp(keyword, "KEY") != 0)
		return 0;
	if (st->n >= st->max)
		return gpg_error(GPG_ERR_TOO_LARGE);
	memset(&k, 0, sizeof(k));
	if (sscanf(args, "%65s %41s %15s %" SCNd64 " %41s %c", name, grip, algo, &created, fpr, &extra) != 5 ||
	    !config_project_name_ok(name) || !is_hex40(grip) || !is_hex40(fpr)) {
		st->bad = 1;
		return 0;   /* a line we do not understand is skipped, not fatal */
	}
	memcpy(k.project, name, strlen(name) + 1);
	memcpy(k.grip, grip, 41);
	memcpy(k.algo, algo, strlen(algo) + 1);
	k.created = created;
	memcpy(k.fpr, fpr, 41);
	st->keys[st->n++] = k;
	return 0;
}

int
pd_keylist(assuan_context_t ctx, struct pd_key *keys, size_t max, size_t *n)
{
	struct keylist_state st = { keys, max, 0, 0 };
	int rc;

	*n = 0;
	rc = pd_call(ctx, "KEYLIST", NULL, NULL, keylist_cb, &st, "list keys (KEYLIST)", NULL, NULL);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (st.bad)
		fprintf(stderr, "signet: warning: signet-policyd sent a KEYLIST line this signet does not "
		                "understand; it was skipped\n");
	*n = st.n;
	return CLI_EXIT_OK;
}

int
pd_getinfo(assuan_context_t ctx, const char *what, char *out, size_t outlen)
{
	char cmd[64];
	uint8_t *data = NULL;
	size_t len = 0, i;
	char whatfail[96];
	int rc;

	snprintf(cmd, sizeof(cmd), "GETINFO %s", what);
	snprintf(whatfail, sizeof(whatfail), "ask signet-policyd for its %s", what);
	rc = pd_call(ctx, cmd, &data, &len, NULL, NULL, whatfail, NULL, NULL);
	if (rc != CLI_EXIT_OK)
		goto out;
	if (len >= outlen) {
		rc = cli_fail("%s: answer too long (%zu bytes); check that the socket belongs to signet-policyd",
		              whatfail, len);
		goto out;
	}
	for (i = 0; i < len; i++) {
		if (data[i] < 0x20 || data[i] >= 0x7f) {
			rc = cli_fail("%s: unexpected bytes in the answer; check that the socket belongs to "
			              "signet-policyd", whatfail);
			goto out;
		}
	}
	memcpy(out, data, len);
	out[len] = '\0';
	rc = CLI_EXIT_OK;
out:
	free(data);
	return rc;
}

int
pd_line_add_text(char *line, const char *text, const char *what)
{
	size_t len = strlen(line), tlen = strlen(text), i;

	if (tlen == 0)
		return cli_fail("%s: the text is empty; say in a few words why", what);
	if (tlen > PD_TEXT_MAX)
		return cli_fail("%s: the text is too long (%zu bytes; signet-policyd takes at most %d); "
		                "shorten it", what, tlen, PD_TEXT_MAX);
	for (i = 0; i < tlen; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return cli_fail("%s: the text holds a control character (byte %zu: a line end, a tab or "
			                "an escape); write it as one line of plain text", what, i + 1);
	if (len + 1 > PD_LINE_MAX)
		goto toolong;
	line[len++] = ' ';
	for (i = 0; i < tlen; i++) {
		/* Assuan: '%' (and CR, LF, refused above) must be escaped. */
		if (text[i] == '%') {
			if (len + 3 > PD_LINE_MAX)
				goto toolong;
			memcpy(line + len, "%25", 3);
			len += 3;
		} else {
			if (len + 1 > PD_LINE_MAX)
				goto toolong;
			line[len++] = text[i];
		}
	}
	line[len] = '\0';
	return CLI_EXIT_OK;
toolong:
	return cli_fail("%s: the text is too long for one request line to signet-policyd (%d bytes, "
	                "where '%%' counts three); shorten it", what, PD_LINE_MAX);
}

int
pd_connect(const struct cli *cli, const char *socket, struct signet_config **cfg, assuan_context_t *ctx)
{
	struct home h;
	int rc;

	*cfg = NULL;
	*ctx = NULL;
	if (socket == NULL) {
		if ((rc = home_open(cli, &h, cfg)) != CLI_EXIT_OK)
			return rc;
		socket = (*cfg)->socket;
	}
	return pd_open(socket, 0, ctx);
}

int
pd_call_json(assuan_context_t ctx, const char *command, json_type type, json_t **json,
             pdclient_status_cb cb, void *opaque, const char *what, const char *todo,
             gpg_error_t *errp)
{
	uint8_t *data = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *j = NULL;
	int rc;

	*json = NULL;
	rc = pd_call(ctx, command, &data, &len, cb, opaque, what, todo, errp);
	if (rc != CLI_EXIT_OK)
		goto out;
	j = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL || json_typeof(j) != type) {
		rc = cli_fail("%s: signet-policyd sent %s where a JSON %s belongs (%s); is it older or newer "
		              "than this signet?", what != NULL ? what : command, j == NULL ? "no JSON" : "other JSON",
		              type == JSON_ARRAY ? "array" : "object", j == NULL ? jerr.text : "wrong type");
		goto out;
	}
	*json = j;
	j = NULL;
	rc = CLI_EXIT_OK;
out:
	json_decref(j);
	free(data);
	return rc;
}

int
pd_query_json(const struct cli *cli, const char *socket, const char *command, json_type type,
              json_t **json, pdclient_status_cb cb, void *opaque, const char *what, const char *todo)
{
	struct signet_config *cfg = NULL;
	assuan_context_t ctx = NULL;
	int rc;

	*json = NULL;
	if ((rc = pd_connect(cli, socket, &cfg, &ctx)) == CLI_EXIT_OK)
		rc = pd_call_json(ctx, command, type, json, cb, opaque, what, todo, NULL);
	if (ctx != NULL)
		pdclient_close(ctx);
	config_free(cfg);
	return rc;
}
