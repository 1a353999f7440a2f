/* command.c — see command.h.  Each handler parses its line with
 * cmdline_parse(), asks card.c/backend.c, and answers; the error source of
 * every answer is set to SCD in leave_cmd(). */
#define GPG_ERR_SOURCE_DEFAULT GPG_ERR_SOURCE_SCD
#include "command.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gcrypt.h>

#include "asswrite.h"
#include "card.h"
#include "cmdline.h"
#include "cmdtable.h"
#include "hashalgo.h"
#include "hex.h"
#include "log.h"
#include "notice.h"
#include "pollin.h"
#include "serial.h"
#include "signet-err.h"
#include "totp.h"

/* gpg compares this with its own version and warns when the scdaemon is
 * older (scd-protocol §1.3); nothing else interprets it. */
#define SCD_REPORTED_VERSION "2.99.0"
#define SCD_HELLO "signet-scd " SIGNET_VERSION " (Signet virtual OpenPGP card) ready"
#define SCD_APP_LIST "openpgp:Signet virtual OpenPGP card\n"
#define SCD_MAX_ARGS 4
#define SCD_LOG_LINE 256       /* how much of a command line is logged */
#define SCD_ADVANCED_MAX (4 * PGPKEY_MAX_SEXP)

struct scd_conn {
	struct scd_server *srv;
	int is_pipe;
	int stopme;
	size_t datalen;
	uint8_t data[MAXLEN_SETDATA];
	struct asswrite out;        /* our answers, one write each (asswrite.h) */
};

static struct scd_conn *
conn_of(assuan_context_t ctx)
{
	return assuan_get_pointer(ctx);
}

/* One exit for every handler: SCD as the error source (gpg-agent passes
 * the code on to gpg unchanged), and a log line for failures. */
static gpg_error_t
leave_cmd(const char *name, gpg_error_t err)
{
	if (err == 0)
		return 0;
	err = gpg_err_make(GPG_ERR_SOURCE_SCD, gpg_err_code(err));
	log_debug("%s failed: %s", name, gpg_strerror(err));
	return err;
}

static gpg_error_t
set_error(assuan_context_t ctx, gpg_err_code_t code, const char *text)
{
	return assuan_set_error(ctx, gpg_err_make(GPG_ERR_SOURCE_SCD, code), text);
}

static void
log_command(const char *name, const char *line)
{
	char vis[SCD_LOG_LINE];

	log_debug("<- %s %s", name, log_vis(line, vis, sizeof(vis)));
}

/* Card commands need signet-scd.conf; say exactly what is wrong with it. */
static gpg_error_t
need_card(assuan_context_t ctx, const struct scd_server *srv)
{
	if (srv->conf != NULL && srv->be != NULL)
		return 0;
	return set_error(ctx, GPG_ERR_CONFIGURATION, srv->conf_error);
}

static gpg_error_t
parse_line(assuan_context_t ctx, char *line, struct cmd_opt *opts, size_t nopts,
           char **args, size_t maxargs, size_t *nargs)
{
	gpg_error_t err;

	err = cmdline_parse(line, opts, nopts, args, maxargs, nargs);
	if (gpg_err_code(err) == GPG_ERR_UNKNOWN_OPTION)
		return set_error(ctx, GPG_ERR_UNKNOWN_OPTION, "unknown option");
	if (err != 0)
		return set_error(ctx, GPG_ERR_ASS_PARAMETER, "bad options or too many arguments");
	return 0;
}

static gpg_error_t
send_text(assuan_context_t ctx, const char *text)
{
	return assuan_send_data(ctx, text, strlen(text));
}

/* After a refresh found a different key set, tell gpg-agent (2.4 caches
 * KEYINFO --list until a card event; scd-protocol §7). */
static void
notify_agent(struct scd_server *srv)
{
	int signo;
	pid_t pid;

	pthread_mutex_lock(&srv->lock);
	signo = srv->event_signal;
	pid = srv->agent_pid;
	pthread_mutex_unlock(&srv->lock);
	if (signo > 0 && pid > 1) {
		log_debug("key set changed: sending signal %d to gpg-agent %ld", signo, (long)pid);
		kill(pid, signo);
	}
}

static void
refresh(struct scd_server *srv, enum backend_refresh when)
{
	int changed = 0;

	/* A failure is logged by the backend; the cache still answers. */
	if (backend_refresh(srv->be, when, &changed) == 0 && changed)
		notify_agent(srv);
}

static gpg_error_t
write_serialno(assuan_context_t ctx, const struct scd_server *srv, int with_app)
{
	char buf[SERIAL_HEX_LEN + 16];

	snprintf(buf, sizeof(buf), "%s%s", srv->conf->serial, with_app ? " openpgp" : "");
	return assuan_write_status(ctx, "SERIALNO", buf);
}

static gpg_error_t
write_keypairinfo(assuan_context_t ctx, const struct card_key *key)
{
	char buf[CARD_LINE_MAX];
	gpg_error_t err;

	if ((err = card_format_keypairinfo(key, buf, sizeof(buf))) != 0)
		return err;
	return assuan_write_status(ctx, "KEYPAIRINFO", buf);
}

/* A refusal of a foreign --demand serial: "Wrong card", never "card not
 * present" (2.2 would loop on an insert-card prompt; scd-protocol §6.3). */
static gpg_error_t
check_demand(assuan_context_t ctx, const struct scd_server *srv, const char *demand)
{
	char vis[2 * SERIAL_HEX_LEN];

	if (demand == NULL || strcasecmp(demand, srv->conf->serial) == 0)
		return 0;
	log_info("card %s demanded, but this is %s",
	         log_vis(demand, vis, sizeof(vis)), srv->conf->serial);
	return set_error(ctx, GPG_ERR_WRONG_CARD, "not this card's serial number");
}

/* ---------------------------------------------------------------- */

static const char hlp_getinfo[] =
	"GETINFO WHAT\n"
	"\n"
	"  version         - the version reported to gpg (" SCD_REPORTED_VERSION ")\n"
	"  pid             - process id of this server\n"
	"  socket_name     - the extra socket for concurrent agent sessions\n"
	"  status          - 'u': the card is usable\n"
	"  card_list       - S SERIALNO for the one virtual card\n"
	"  app_list        - the applications (openpgp)\n"
	"  active_apps     - S SERIALNO <serial> openpgp\n"
	"  all_active_apps - S SERIALNO <serial> openpgp\n"
	"  cmd_has_option CMD OPT - OK if CMD takes --OPT";

/* The options each command accepts, for GETINFO cmd_has_option. */
static const struct {
	const char *cmd;
	const char *opt;
} known_options[] = {
	{ "SERIALNO", "demand" }, { "SERIALNO", "all" },
	{ "LEARN", "force" }, { "LEARN", "keypairinfo" }, { "LEARN", "multi" },
	{ "LEARN", "reread" }, { "LEARN", "demand" }, { "LEARN", "sendinfo" },
	{ "READKEY", "advanced" }, { "READKEY", "format" }, { "READKEY", "info" },
	{ "READKEY", "info-only" },
	{ "KEYINFO", "list" }, { "KEYINFO", "data" },
	{ "SETDATA", "append" },
	{ "PKSIGN", "hash" },
};

static gpg_error_t
cmd_getinfo(assuan_context_t ctx, char *line)
{
	struct scd_conn *c = conn_of(ctx);
	struct scd_server *srv = c->srv;
	char *args[SCD_MAX_ARGS];
	char buf[64];
	size_t nargs = 0, i;
	gpg_error_t err;

	log_command("GETINFO", line);
	if ((err = parse_line(ctx, line, NULL, 0, args, SCD_MAX_ARGS, &nargs)) != 0)
		goto out;
	if (nargs == 0) {
		err = set_error(ctx, GPG_ERR_ASS_PARAMETER, "GETINFO what?");
		goto out;
	}
	if (strcmp(args[0], "cmd_has_option") == 0) {
		if (nargs != 3) {
			err = set_error(ctx, GPG_ERR_ASS_PARAMETER, "cmd_has_option CMD OPT");
			goto out;
		}
		for (i = 0; i < sizeof(known_options) / sizeof(known_options[0]); i++) {
			if (strcasecmp(known_options[i].cmd, args[1]) == 0 &&
			    strcmp(known_options[i].opt, args[2]) == 0)
				goto out;  /* OK: supported */
		}
		err = gpg_error(GPG_ERR_FALSE);
		goto out;
	}
	if (nargs != 1) {
		err = set_error(ctx, GPG_ERR_ASS_PARAMETER, "too many arguments");
		goto out;
	}
	if (strcmp(args[0], "version") == 0) {
		err = send_text(ctx, SCD_REPORTED_VERSION);
	} else if (strcmp(args[0], "pid") == 0) {
		snprintf(buf, sizeof(buf), "%lu", (unsigned long)getpid());
		err = send_text(ctx, buf);
	} else if (strcmp(args[0], "socket_name") == 0) {
		if (srv->socket_name[0] == '\0')
			err = set_error(ctx, GPG_ERR_NO_DATA, "no extra socket");
		else
			err = send_text(ctx, srv->socket_name);
	} else if (strcmp(args[0], "status") == 0) {
		err = send_text(ctx, srv->conf != NULL ? "u" : "r");
	} else if (strcmp(args[0], "app_list") == 0) {
		err = send_text(ctx, SCD_APP_LIST);
	} else if (strcmp(args[0], "card_list") == 0) {
		if ((err = need_card(ctx, srv)) == 0)
			err = write_serialno(ctx, srv, 0);
	} else if (strcmp(args[0], "active_apps") == 0 ||
	           strcmp(args[0], "all_active_apps") == 0) {
		if ((err = need_card(ctx, srv)) == 0)
			err = write_serialno(ctx, srv, 1);
	} else {
		err = set_error(ctx, GPG_ERR_ASS_PARAMETER, "unknown value for WHAT");
	}
out:
	return leave_cmd("GETINFO", err);
}

static const char hlp_serialno[] =
	"SERIALNO [--demand=SERIAL] [--all] [APPTYPE]\n"
	"\n"
	"Answer S SERIALNO <serial>, the virtual card's 32-digit serial.\n"
	"Works without signet-policyd.  A foreign --demand serial is refused\n"
	"with \"Wrong card\".  APPTYPE may be openpgp or undefined.";
static gpg_error_t
cmd_serialno(assuan_context_t ctx, char *line)
{
	struct scd_conn *c = conn_of(ctx);
	struct cmd_opt opts[] = { { "demand", 1, 0, NULL }, { "all", 0, 0, NULL } };
	char *args[1];
	size_t nargs = 0;
	gpg_error_t err;

	log_command("SERIALNO", line);
	if ((err = need_card(ctx, c->srv)) != 0 ||
	    (err = parse_line(ctx, line, opts, 2, args, 1, &nargs)) != 0)
		goto out;
	if (nargs == 1 && strcasecmp(args[0], "openpgp") != 0 &&
	    strcasecmp(args[0], "undefined") != 0) {
		err = set_error(ctx, GPG_ERR_NOT_SUPPORTED, "only the openpgp application");
		goto out;
	}
	if ((err = check_demand(ctx, c->srv, opts[0].value)) != 0)
		goto out;
	/* gpg-agent asks before every signature: the line and its OK in one
	 * write. */
	asswrite_hold_status(&c->out);
	err = write_serialno(ctx, c->srv, 0);
out:
	return leave_cmd("SERIALNO", err);
}

/* CHV-STATUS into BUF: the fixed one, except when the card's first
 * project (its signing slot, as KEY-ATTR) signs only with a one-time code:
 * then "forced" (a code per signature) and PW1's retry counter is the
 * tries left before policyd locks it, so gpg --card-status shows them.
 * policyd not answering leaves the fixed value: a display only. */
static void
chv_status(struct scd_server *srv, const struct card_keylist *kl, char *buf, size_t buflen)
{
	unsigned left = 0;
	int required = 0;

	snprintf(buf, buflen, "%s", CARD_CHV_STATUS);
	if (kl->nkeys == 0 || backend_totp_status(srv->be, kl->keys[0].project, &required, &left) != 0 ||
	    !required)
		return;
	snprintf(buf, buflen, "+0+127+127+127+%u+0+3", left);
}

static const char hlp_learn[] =
	"LEARN [--force] [--keypairinfo] [--multi] [--reread] [--demand=SERIAL]\n"
	"\n"
	"Re-read the key list from signet-policyd (if it cannot be reached,\n"
	"the cached list is used) and describe the card: READER, SERIALNO,\n"
	"APPTYPE, EXTCAP, MANUFACTURER, KEY-TIME, CHV-STATUS, SIG-COUNTER and\n"
	"one KEYPAIRINFO <grip> SIGNET.<project> sc <created> <algo> per key\n"
	"the caller may sign with.  --keypairinfo: only the KEYPAIRINFO lines.\n"
	"Never inquires.";
static gpg_error_t
cmd_learn(assuan_context_t ctx, char *line)
{
	struct scd_conn *c = conn_of(ctx);
	struct scd_server *srv = c->srv;
	struct cmd_opt opts[] = {
		{ "force", 0, 0, NULL }, { "keypairinfo", 0, 0, NULL }, { "multi", 0, 0, NULL },
		{ "reread", 0, 0, NULL }, { "demand", 1, 0, NULL }, { "sendinfo", 0, 0, NULL },
	};
	struct card_keylist kl = { NULL, 0 };
	char buf[64];
	size_t nargs = 0, i;
	gpg_error_t err;

	log_command("LEARN", line);
	if ((err = need_card(ctx, srv)) != 0 ||
	    (err = parse_line(ctx, line, opts, 6, NULL, 0, &nargs)) != 0 ||
	    (err = check_demand(ctx, srv, opts[4].value)) != 0)
		goto out;
	refresh(srv, BACKEND_REFRESH_FORCE);
	if ((err = backend_keys(srv->be, &kl)) != 0)
		goto out;
	if (!opts[1].present) {
		if ((err = assuan_write_status(ctx, "READER", CARD_READER)) != 0 ||
		    (err = write_serialno(ctx, srv, 0)) != 0 ||
		    (err = assuan_write_status(ctx, "APPTYPE", CARD_APPTYPE)) != 0 ||
		    (err = assuan_write_status(ctx, "EXTCAP", CARD_EXTCAP)) != 0 ||
		    (err = assuan_write_status(ctx, "MANUFACTURER", CARD_MANUFACTURER)) != 0)
			goto out;
		/* No KEY-FPR (scd-protocol §11.2: it would hijack gpg's default
		 * key); KEY-TIME alone is harmless. */
		if (kl.nkeys > 0) {
			snprintf(buf, sizeof(buf), "1 %lu", (unsigned long)kl.keys[0].created);
			if ((err = assuan_write_status(ctx, "KEY-TIME", buf)) != 0)
				goto out;
		}
		chv_status(srv, &kl, buf, sizeof(buf));
		if ((err = assuan_write_status(ctx, "CHV-STATUS", buf)) != 0 ||
		    (err = assuan_write_status(ctx, "SIG-COUNTER", "0")) != 0)
			goto out;
	}
	for (i = 0; i < kl.nkeys; i++) {
		if ((err = write_keypairinfo(ctx, &kl.keys[i])) != 0)
			goto out;
	}
	err = 0; /* success */
out:
	card_keylist_clear(&kl);
	return leave_cmd("LEARN", err);
}

/* GETATTR names answered the same way every time: VALUE as the status
 * line, or OK with no status line when VALUE is NULL. */
static const struct {
	const char *name;
	const char *value;
} fixed_attrs[] = {
	{ "APPTYPE",      CARD_APPTYPE },
	{ "EXTCAP",       CARD_EXTCAP },
	{ "SIG-COUNTER",  "0" },
	{ "MANUFACTURER", CARD_MANUFACTURER },
	{ "DISP-NAME",    NULL },   /* no cardholder: gpg shows "[not set]" */
	/* KEY-FPR: OK with no fingerprint, never a fingerprint (scd-protocol
	 * §11.2: it would hijack gpg's default key).  Not an error either:
	 * gpg 2.2 looking for a default key (sign without -u) log_error()s a
	 * failed KEY-FPR and then exits 2 even though it signed; with no
	 * KEY-FPR line it just uses its default key, and its decryption
	 * search skips the card (observed with 2.2.40). */
	{ "KEY-FPR",      NULL },
};

/* GETATTR names answered from the key list. */
static int
is_key_attr(const char *name)
{
	return strcmp(name, "KEY-ATTR") == 0 || strcmp(name, "KEY-TIME") == 0 ||
	       strcmp(name, "$SIGNKEYID") == 0 || strcmp(name, "KEY-STATUS") == 0 ||
	       strcmp(name, "CHV-STATUS") == 0;
}

/* KEY-STATUS lists every key; KEY-ATTR, KEY-TIME and $SIGNKEYID describe
 * the first one (the signing slot), CHV-STATUS its second factor. */
static gpg_error_t
write_key_attr(assuan_context_t ctx, struct scd_server *srv, const char *name)
{
	struct card_keylist kl = { NULL, 0 };
	char buf[CARD_LINE_MAX];
	size_t i;
	gpg_error_t err;

	/* From the cache: gpg asks these on every card-status and
	 * default-key lookup (scd-protocol §11.2: keep them cheap). */
	refresh(srv, BACKEND_REFRESH_STALE);
	if ((err = backend_keys(srv->be, &kl)) != 0)
		goto out;
	if (strcmp(name, "CHV-STATUS") == 0) {
		chv_status(srv, &kl, buf, sizeof(buf));
		err = assuan_write_status(ctx, name, buf);
	} else if (strcmp(name, "KEY-STATUS") == 0) {
		for (i = 0; i < kl.nkeys && err == 0; i++) {
			snprintf(buf, sizeof(buf), "%s 1", kl.keys[i].keyref);
			err = assuan_write_status(ctx, name, buf);
		}
	} else if (kl.nkeys == 0) {
		err = strcmp(name, "$SIGNKEYID") == 0 ?
		      set_error(ctx, GPG_ERR_NO_SECKEY, "no key on the card") : 0;
	} else if (strcmp(name, "KEY-ATTR") == 0) {
		if ((err = card_format_keyattr(&kl.keys[0], 1, buf, sizeof(buf))) == 0)
			err = assuan_write_status(ctx, name, buf);
	} else if (strcmp(name, "KEY-TIME") == 0) {
		snprintf(buf, sizeof(buf), "1 %lu", (unsigned long)kl.keys[0].created);
		err = assuan_write_status(ctx, name, buf);
	} else {
		err = assuan_write_status(ctx, name, kl.keys[0].keyref);
	}
out:
	card_keylist_clear(&kl);
	return err;
}

static const char hlp_getattr[] =
	"GETATTR NAME [KEYGRIP]\n"
	"\n"
	"NAME: SERIALNO, $DISPSERIALNO, APPTYPE, KEY-ATTR, KEY-TIME, $SIGNKEYID,\n"
	"EXTCAP, CHV-STATUS, SIG-COUNTER, DISP-NAME, MANUFACTURER, KEY-STATUS.\n"
	"KEY-FPR: OK without a fingerprint.  $ENCRKEYID, $AUTHKEYID and anything\n"
	"else: \"Invalid name\" (gpg reads that as \"not supported\").  A trailing\n"
	"keygrip is ignored.";
static gpg_error_t
cmd_getattr(assuan_context_t ctx, char *line)
{
	struct scd_conn *c = conn_of(ctx);
	struct scd_server *srv = c->srv;
	char *args[2];
	char disp[32], esc[64];
	const char *name;
	size_t nargs = 0, i;
	gpg_error_t err;

	log_command("GETATTR", line);
	if ((err = need_card(ctx, srv)) != 0 ||
	    (err = parse_line(ctx, line, NULL, 0, args, 2, &nargs)) != 0)
		goto out;
	if (nargs == 0) {
		err = set_error(ctx, GPG_ERR_ASS_PARAMETER, "GETATTR NAME");
		goto out;
	}
	name = args[0];
	for (i = 0; i < sizeof(fixed_attrs) / sizeof(fixed_attrs[0]); i++) {
		if (strcmp(name, fixed_attrs[i].name) == 0) {
			err = fixed_attrs[i].value != NULL ?
			      assuan_write_status(ctx, name, fixed_attrs[i].value) : 0;
			goto out;
		}
	}
	if (strcmp(name, "SERIALNO") == 0) {
		err = write_serialno(ctx, srv, 0);
	} else if (strcmp(name, "$DISPSERIALNO") == 0) {
		if ((err = serial_display(srv->conf->serial, disp, sizeof(disp))) == 0 &&
		    (err = card_status_escape(disp, esc, sizeof(esc))) == 0)
			err = assuan_write_status(ctx, name, esc);
	} else if (is_key_attr(name)) {
		err = write_key_attr(ctx, srv, name);
	} else {
		/* The encryption and authentication slots (a signing-only
		 * card) and everything unknown. */
		err = set_error(ctx, GPG_ERR_INV_NAME, "attribute not supported");
	}
out:
	return leave_cmd("GETATTR", err);
}

static gpg_error_t
send_sexp(assuan_context_t ctx, const struct card_key *key, int advanced)
{
	gcry_sexp_t s = NULL;
	char *buf = NULL;
	size_t len;
	gpg_error_t err;

	if (!advanced)
		return assuan_send_data(ctx, key->sexp, key->sexp_len);
	if ((err = gcry_sexp_new(&s, key->sexp, key->sexp_len, 0)) != 0)
		goto out;
	len = gcry_sexp_sprint(s, GCRYSEXP_FMT_ADVANCED, NULL, 0);
	if (len == 0 || len > SCD_ADVANCED_MAX) {
		err = gpg_error(GPG_ERR_TOO_LARGE);
		goto out;
	}
	if ((buf = malloc(len)) == NULL) {
		err = gpg_error_from_syserror();
		goto out;
	}
	/* The first call counts the trailing NUL, this one does not. */
	len = gcry_sexp_sprint(s, GCRYSEXP_FMT_ADVANCED, buf, len);
	err = assuan_send_data(ctx, buf, len);
out:
	free(buf);
	gcry_sexp_release(s);
	return err;
}

static const char hlp_readkey[] =
	"READKEY [--advanced|--format=advanced] [--info|--info-only] [--] KEYID\n"
	"\n"
	"KEYID: SIGNET.<project>, a keygrip, $SIGNKEYID or OPENPGP.1.\n"
	"D: the public key as a canonical S-expression (advanced with\n"
	"--advanced).  --info sends S KEYPAIRINFO first; --info-only sends\n"
	"only that.  Unknown key: \"No secret key\".";
static gpg_error_t
cmd_readkey(assuan_context_t ctx, char *line)
{
	struct scd_conn *c = conn_of(ctx);
	struct scd_server *srv = c->srv;
	struct cmd_opt opts[] = {
		{ "advanced", 0, 0, NULL }, { "format", 1, 0, NULL },
		{ "info", 0, 0, NULL }, { "info-only", 0, 0, NULL },
	};
	struct card_key *key = NULL;
	char *args[1];
	size_t nargs = 0;
	int advanced;
	gpg_error_t err;

	log_command("READKEY", line);
	if ((err = need_card(ctx, srv)) != 0 ||
	    (err = parse_line(ctx, line, opts, 4, args, 1, &nargs)) != 0)
		goto out;
	if (nargs != 1) {
		err = set_error(ctx, GPG_ERR_ASS_PARAMETER, "READKEY KEYID");
		goto out;
	}
	advanced = opts[0].present;
	if (opts[1].value != NULL) {
		if (strcmp(opts[1].value, "advanced") == 0) {
			advanced = 1;
		} else if (strcmp(opts[1].value, "ssh") == 0) {
			err = set_error(ctx, GPG_ERR_NOT_SUPPORTED, "no ssh keys on this card");
			goto out;
		} else {
			err = set_error(ctx, GPG_ERR_ASS_PARAMETER, "unknown --format");
			goto out;
		}
	}
	/* struct card_key carries a 2 KiB S-expression: heap, not stack. */
	if ((key = calloc(1, sizeof(*key))) == NULL) {
		err = gpg_error_from_syserror();
		goto out;
	}
	if ((err = backend_find_key(srv->be, args[0], key)) != 0)
		goto out;
	if (opts[2].present || opts[3].present) {
		if ((err = write_keypairinfo(ctx, key)) != 0)
			goto out;
	}
	if (opts[3].present)
		goto out;
	if ((err = backend_key_sexp(srv->be, key)) != 0)
		goto out;
	err = send_sexp(ctx, key, advanced);
out:
	free(key);
	return leave_cmd("READKEY", err);
}

static const char hlp_keyinfo[] =
	"KEYINFO [--list[=sign|encr|auth]] [--data] [KEYGRIP]\n"
	"\n"
	"S KEYINFO <grip> T <serial> SIGNET.<project> sc, per key (--list) or\n"
	"for KEYGRIP (\"Not found\" if the card does not hold it).  --data sends\n"
	"the same text as D lines.  The encr and auth lists are empty: Signet\n"
	"keys only sign.  Answers from the cached key list when signet-policyd\n"
	"is down.";
static gpg_error_t
cmd_keyinfo(assuan_context_t ctx, char *line)
{
	struct scd_conn *c = conn_of(ctx);
	struct scd_server *srv = c->srv;
	struct cmd_opt opts[] = { { "list", 2, 0, NULL }, { "data", 0, 0, NULL } };
	struct card_keylist kl = { NULL, 0 };
	struct card_key *key = NULL;
	char *args[1];
	char buf[CARD_LINE_MAX + 2];
	size_t nargs = 0, i;
	gpg_error_t err;

	log_command("KEYINFO", line);
	if ((err = need_card(ctx, srv)) != 0 ||
	    (err = parse_line(ctx, line, opts, 2, args, 1, &nargs)) != 0)
		goto out;
	if (opts[0].present) {
		const char *cap = opts[0].value;

		if (nargs != 0) {
			err = set_error(ctx, GPG_ERR_ASS_PARAMETER, "--list takes no keygrip");
			goto out;
		}
		if (cap != NULL && strcmp(cap, "sign") != 0 && strcmp(cap, "encr") != 0 &&
		    strcmp(cap, "auth") != 0) {
			err = set_error(ctx, GPG_ERR_ASS_PARAMETER, "--list=sign|encr|auth");
			goto out;
		}
		/* Only signing keys here: an unusable key in the auth list
		 * breaks ssh-add -L for every key (scd-protocol §11.7). */
		if (cap != NULL && strcmp(cap, "sign") != 0)
			goto out;
		refresh(srv, BACKEND_REFRESH_STALE);
		if ((err = backend_keys(srv->be, &kl)) != 0)
			goto out;
	} else {
		if (nargs != 1 || !card_is_keygrip(args[0])) {
			err = set_error(ctx, GPG_ERR_ASS_PARAMETER, "KEYINFO KEYGRIP or --list");
			goto out;
		}
		if ((key = calloc(1, sizeof(*key))) == NULL) {
			err = gpg_error_from_syserror();
			goto out;
		}
		/* Whatever the reason (even policyd down with an empty
		 * cache), the answer is "not on this card". */
		if (backend_find_key(srv->be, args[0], key) != 0) {
			err = set_error(ctx, GPG_ERR_NOT_FOUND, "no such key on this card");
			goto out;
		}
		if ((err = card_keylist_add(&kl, key)) != 0)
			goto out;
	}
	for (i = 0; i < kl.nkeys; i++) {
		if ((err = card_format_keyinfo(&kl.keys[i], srv->conf->serial, buf,
		                               sizeof(buf) - 1)) != 0)
			goto out;
		if (opts[1].present) {
			strcat(buf, "\n");
			err = send_text(ctx, buf);
		} else {
			err = assuan_write_status(ctx, "KEYINFO", buf);
		}
		if (err != 0)
			goto out;
	}
	err = 0; /* success */
out:
	free(key);
	card_keylist_clear(&kl);
	return leave_cmd("KEYINFO", err);
}

static const char hlp_setdata[] =
	"SETDATA [--append] HEXSTRING\n"
	"\n"
	"Keep the data for the next PKSIGN on this connection; --append adds\n"
	"to it.  At most 4096 bytes in all (\"Too large\").";
static gpg_error_t
cmd_setdata(assuan_context_t ctx, char *line)
{
	struct scd_conn *c = conn_of(ctx);
	struct cmd_opt opts[] = { { "append", 0, 0, NULL } };
	char *args[1];
	size_t nargs = 0, n = 0, hexlen;
	gpg_error_t err;

	log_command("SETDATA", line);
	if ((err = parse_line(ctx, line, opts, 1, args, 1, &nargs)) != 0)
		goto fail;
	if (nargs != 1) {
		err = set_error(ctx, GPG_ERR_ASS_PARAMETER, "SETDATA HEXSTRING");
		goto fail;
	}
	if (!opts[0].present)
		c->datalen = 0;
	hexlen = strlen(args[0]);
	/* The limit is checked from the length alone, before decoding. */
	if (hexlen / 2 > MAXLEN_SETDATA - c->datalen) {
		err = set_error(ctx, GPG_ERR_TOO_LARGE, "data exceeds 4096 bytes");
		goto fail;
	}
	err = hex_decode(args[0], hexlen, c->data + c->datalen, MAXLEN_SETDATA - c->datalen, &n);
	if (err != 0) {
		err = gpg_err_code(err) == GPG_ERR_TOO_LARGE ?
		      set_error(ctx, GPG_ERR_TOO_LARGE, "data exceeds 4096 bytes") :
		      set_error(ctx, GPG_ERR_ASS_PARAMETER, "invalid hex string");
		goto fail;
	}
	c->datalen += n;
	return 0;
fail:
	/* Never sign half of what was meant. */
	c->datalen = 0;
	return leave_cmd("SETDATA", err);
}

/* backend_sign, with the desktop notice while the SIGN waits for
 * approvers when signet-scd.conf asks for it (notice.h). */
static gpg_error_t
sign_noticed(assuan_context_t ctx, struct scd_server *srv, const struct card_key *key,
             const struct hashalgo *algo, const uint8_t *digest, const char *otp, uint8_t *sig,
             size_t *siglen)
{
	struct notice n;
	struct backend_wait w = { notice_request, &n };
	gpg_error_t err;

	notice_init(&n, ctx, key->project);
	err = backend_sign(srv->be, key, algo, digest, algo->digest_len, otp,
	                   srv->conf->desktop_notice ? &w : NULL, sig, siglen);
	notice_end(&n);
	return err;
}

/* The project wants a one-time code: ask gpg-agent for it with the card
 * PIN inquiry (pinentry, or gpg's --passphrase in loopback mode) and sign
 * with it.  The code is never logged and is wiped after use. */
static gpg_error_t
sign_with_code(assuan_context_t ctx, struct scd_server *srv, const struct card_key *key,
               const struct hashalgo *algo, const uint8_t *digest, uint8_t *sig, size_t *siglen)
{
	char prompt[PROJECT_NAME_MAX + 64], code[TOTP_CODE_BUF];
	unsigned char *pin = NULL;
	size_t pinlen = 0;
	gpg_error_t err;

	memset(code, 0, sizeof(code));
	/* "||TEXT": the agent shows TEXT as is (scd-protocol §6.1). */
	snprintf(prompt, sizeof(prompt), "NEEDPIN ||Signet: one-time code for project %s", key->project);
	assuan_begin_confidential(ctx);
	err = assuan_inquire(ctx, prompt, &pin, &pinlen, MAXLEN_PIN);
	assuan_end_confidential(ctx);
	if (err != 0) {
		log_info("PKSIGN project %s: no one-time code from gpg-agent: %s", key->project,
		         gpg_strerror(err));
		goto out;
	}
	/* The agent sends the PIN, a NUL and padding: up to the NUL. */
	pinlen = strnlen((const char *)pin, pinlen);
	if (pinlen != TOTP_DIGITS) {
		log_info("PKSIGN project %s: the one-time code is not %d digits", key->project, TOTP_DIGITS);
		err = set_error(ctx, SIGNET_ERR_OTP_WRONG, "a one-time code is 6 digits");
		goto out;
	}
	memcpy(code, pin, TOTP_DIGITS);
	err = sign_noticed(ctx, srv, key, algo, digest, code, sig, siglen);
out:
	if (pin != NULL) {
		explicit_bzero(pin, pinlen);
		free(pin);
	}
	explicit_bzero(code, sizeof(code));
	return err;
}

static const char hlp_pksign[] =
	"PKSIGN [--hash=ALGO] KEYID\n"
	"\n"
	"Sign the SETDATA data (DigestInfo or bare digest of ALGO; default\n"
	"sha1) through signet-policyd, which applies the project's policy and\n"
	"audits the request.  KEYID: SIGNET.<project>.<keyid>, a keygrip,\n"
	"OPENPGP.1, SERIAL[/FINGERPRINT], or SIGNET.<project> of stubs made\n"
	"before signing subkeys (the project's primary key).  policyd signs\n"
	"with exactly that key or refuses.  D: the signature as a card gives\n"
	"it: RSA PKCS#1 v1.5, ECDSA r||s, Ed25519 R||S.";
static gpg_error_t
cmd_pksign(assuan_context_t ctx, char *line)
{
	struct scd_conn *c = conn_of(ctx);
	struct scd_server *srv = c->srv;
	struct cmd_opt opts[] = { { "hash", 1, 0, NULL } };
	char vis[CARD_KEYREF_MAX + 8];
	struct card_key *key = NULL;
	const struct hashalgo *algo;
	const uint8_t *digest = NULL;
	uint8_t sig[BACKEND_MAX_SIG];
	size_t nargs = 0, siglen = 0;
	char *args[1];
	const char *hash;
	gpg_error_t err;

	log_command("PKSIGN", line);
	if ((err = need_card(ctx, srv)) != 0 ||
	    (err = parse_line(ctx, line, opts, 1, args, 1, &nargs)) != 0)
		goto out;
	if (nargs != 1) {
		err = set_error(ctx, GPG_ERR_ASS_PARAMETER, "PKSIGN KEYID");
		goto out;
	}
	if (c->datalen == 0) {
		err = set_error(ctx, GPG_ERR_NO_DATA, "SETDATA first");
		goto out;
	}
	/* No --hash means SHA-1, as for the real scdaemon; policyd refuses
	 * it with its own error. */
	hash = opts[0].value != NULL ? opts[0].value : "sha1";
	if ((algo = hashalgo_by_name(hash)) == NULL) {
		log_error("PKSIGN: hash algorithm '%s' is not supported",
		          log_vis(hash, vis, sizeof(vis)));
		err = set_error(ctx, SIGNET_ERR_HASH_REFUSED, "unsupported hash algorithm");
		goto out;
	}
	/* struct card_key carries a 2 KiB S-expression: heap, not stack. */
	if ((key = calloc(1, sizeof(*key))) == NULL) {
		err = gpg_error_from_syserror();
		goto out;
	}
	if ((err = backend_find_key(srv->be, args[0], key)) != 0) {
		log_error_e(err, "PKSIGN: key %s", log_vis(args[0], vis, sizeof(vis)));
		goto out;
	}
	if (hashalgo_strip_prefix(algo, c->data, c->datalen, &digest) != 0) {
		log_error("PKSIGN: %zu bytes of data are not a %s digest", c->datalen, algo->name);
		err = set_error(ctx, GPG_ERR_INV_VALUE, "data is not a digest of --hash");
		goto out;
	}
	err = sign_noticed(ctx, srv, key, algo, digest, NULL, sig, &siglen);
	if (gpg_err_code(err) == SIGNET_ERR_OTP_NEEDED)
		err = sign_with_code(ctx, srv, key, algo, digest, sig, &siglen);
	if (err != 0) {
		log_info("PKSIGN project %s key %s (%s): failed: %s", key->project, key->keyref,
		         algo->name, gpg_strerror(err));
		goto out;
	}
	log_info("PKSIGN project %s key %s (%s): signed", key->project, key->keyref, algo->name);
	err = assuan_send_data(ctx, sig, siglen);
out:
	free(key);
	return leave_cmd("PKSIGN", err);
}

/* PKAUTH and PKDECRYPT: a signing-only card.  WHAT is the use refused. */
static gpg_error_t
refuse_use(assuan_context_t ctx, const char *name, const char *line, const char *what)
{
	log_command(name, line);
	log_warn("%s refused: Signet keys are for signing only (%s)", name, what);
	return leave_cmd(name, set_error(ctx, GPG_ERR_NOT_SUPPORTED, "signing-only card"));
}

static const char hlp_pkauth[] =
	"PKAUTH KEYID\n"
	"\n"
	"Not supported: Signet keys sign releases, they do not log in (ssh).";
static gpg_error_t
cmd_pkauth(assuan_context_t ctx, char *line)
{
	return refuse_use(ctx, "PKAUTH", line, "no ssh authentication");
}

static const char hlp_pkdecrypt[] =
	"PKDECRYPT KEYID\n"
	"\n"
	"Not supported: the virtual card holds signing keys only.";
static gpg_error_t
cmd_pkdecrypt(assuan_context_t ctx, char *line)
{
	return refuse_use(ctx, "PKDECRYPT", line, "no decryption");
}

static const char hlp_restart[] =
	"RESTART\n"
	"\n"
	"End of a gpg-agent session on the pipe: forget the SETDATA data.";
/* Also the RESET notification: a reset forgets the data the same way. */
static gpg_error_t
cmd_restart(assuan_context_t ctx, char *line)
{
	struct scd_conn *c = conn_of(ctx);

	(void)line;
	c->datalen = 0;
	return 0;
}

static const char hlp_killscd[] =
	"KILLSCD\n"
	"\n"
	"Answer OK and restart signet-scd in place (same process, same pipe\n"
	"and extra socket; configuration and key cache read anew).";
static gpg_error_t
cmd_killscd(assuan_context_t ctx, char *line)
{
	struct scd_conn *c = conn_of(ctx);

	(void)line;
	log_info("KILLSCD received");
	c->stopme = 1;
	assuan_set_flag(ctx, ASSUAN_FORCE_CLOSE, 1);
	return 0;
}

/* CHECKPIN, LOCK and UNLOCK: nothing to do on the virtual card. */
static gpg_error_t
cmd_ok(assuan_context_t ctx, char *line)
{
	(void)ctx;
	(void)line;
	return 0;
}

static const char hlp_checkpin[] =
	"CHECKPIN IDSTR\n"
	"\n"
	"OK: the virtual card has no PIN (policyd decides who may sign).";
static const char hlp_lock[] =
	"LOCK [--wait]\n"
	"\n"
	"OK: sessions never need exclusive use of the virtual card.";
static const char hlp_unlock[] =
	"UNLOCK\n"
	"\n"
	"OK (see LOCK).";

/* SWITCHCARD and SWITCHAPP: there is one card with one application. */
static gpg_error_t
cmd_switch(assuan_context_t ctx, char *line)
{
	struct scd_conn *c = conn_of(ctx);
	const char *name = assuan_get_command_name(ctx);
	gpg_error_t err;

	if (name == NULL)
		name = "SWITCH";
	log_command(name, line);
	if ((err = need_card(ctx, c->srv)) == 0)
		err = write_serialno(ctx, c->srv, 1);
	return leave_cmd(name, err);
}

static const char hlp_switchcard[] =
	"SWITCHCARD [--] [SERIAL]\n"
	"\n"
	"There is one card: S SERIALNO <serial> openpgp.";
static const char hlp_switchapp[] =
	"SWITCHAPP [--] [APPNAME]\n"
	"\n"
	"There is one application: S SERIALNO <serial> openpgp.";

static const char hlp_not_supported[] =
	"Not supported by the virtual card (keys are made and managed with\n"
	"`signet`, never through gpg).";
static gpg_error_t
cmd_not_supported(assuan_context_t ctx, char *line)
{
	(void)line;
	return leave_cmd("unsupported", set_error(ctx, GPG_ERR_NOT_SUPPORTED,
	                                          "not supported by the Signet card"));
}

/* OPTION: accept everything; remember event-signal from gpg-agent's pipe
 * (scd-protocol §1.3). */
static gpg_error_t
option_handler(assuan_context_t ctx, const char *key, const char *value)
{
	struct scd_conn *c = conn_of(ctx);
	char *end = NULL;
	long signo;

	if (strcmp(key, "event-signal") != 0 || value == NULL || !c->is_pipe)
		return 0;
	signo = strtol(value, &end, 10);
	if (end == value || *end != '\0' || signo < 1 || signo >= NSIG)
		return 0;
	pthread_mutex_lock(&c->srv->lock);
	c->srv->event_signal = (int)signo;
	pthread_mutex_unlock(&c->srv->lock);
	return 0;
}

/* The only list of commands. */
static const struct cmdtable_entry commands[] = {
	{ "GETINFO",    cmd_getinfo,    hlp_getinfo },
	{ "SERIALNO",   cmd_serialno,   hlp_serialno },
	{ "LEARN",      cmd_learn,      hlp_learn },
	{ "GETATTR",    cmd_getattr,    hlp_getattr },
	{ "READKEY",    cmd_readkey,    hlp_readkey },
	{ "KEYINFO",    cmd_keyinfo,    hlp_keyinfo },
	{ "SETDATA",    cmd_setdata,    hlp_setdata },
	{ "PKSIGN",     cmd_pksign,     hlp_pksign },
	{ "PKAUTH",     cmd_pkauth,     hlp_pkauth },
	{ "PKDECRYPT",  cmd_pkdecrypt,  hlp_pkdecrypt },
	{ "RESTART",    cmd_restart,    hlp_restart },
	{ "KILLSCD",    cmd_killscd,    hlp_killscd },
	{ "CHECKPIN",   cmd_ok,         hlp_checkpin },
	{ "LOCK",       cmd_ok,         hlp_lock },
	{ "UNLOCK",     cmd_ok,         hlp_unlock },
	{ "SWITCHCARD", cmd_switch,     hlp_switchcard },
	{ "SWITCHAPP",  cmd_switch,     hlp_switchapp },
	{ "SETATTR",    cmd_not_supported, hlp_not_supported },
	{ "WRITECERT",  cmd_not_supported, hlp_not_supported },
	{ "WRITEKEY",   cmd_not_supported, hlp_not_supported },
	{ "GENKEY",     cmd_not_supported, hlp_not_supported },
	{ "PASSWD",     cmd_not_supported, hlp_not_supported },
	{ "APDU",       cmd_not_supported, hlp_not_supported },
	{ "RANDOM",     cmd_not_supported, hlp_not_supported },
	{ "READCERT",   cmd_not_supported, hlp_not_supported },
	{ "DISCONNECT", cmd_not_supported, hlp_not_supported },
	{ "DEVINFO",    cmd_not_supported, hlp_not_supported },
};

ssize_t
command_write(assuan_context_t ctx, assuan_fd_t fd, const void *buf, size_t size)
{
	struct scd_conn *c = conn_of(ctx);

	if (c == NULL)
		return __assuan_write(ctx, fd, buf, size);
	return asswrite_write(&c->out, ctx, fd, buf, size);
}

int
command_flush(assuan_context_t ctx)
{
	struct scd_conn *c = conn_of(ctx);

	return c == NULL ? 0 : asswrite_flush(&c->out, ctx);
}

/* Nothing held waits across a read (asswrite.h).  And wait in poll():
 * it wakes only when there is a line to read, where a blocking read on a
 * Unix socket also wakes each time gpg-agent takes our answer (the
 * kernel's "room to write" wake-up reaches a reader too). */
static ssize_t
hook_read(assuan_context_t ctx, assuan_fd_t fd, void *buf, size_t size)
{
	if (command_flush(ctx) != 0)
		return -1;
	(void)pollin_wait(fd, -1);   /* on a failure, the read says why */
	return __assuan_read(ctx, fd, buf, size);
}

static struct assuan_system_hooks command_hooks = {
	ASSUAN_SYSTEM_HOOKS_VERSION, __assuan_usleep, __assuan_pipe, __assuan_close, hook_read,
	command_write, __assuan_recvmsg, __assuan_sendmsg, __assuan_spawn, __assuan_waitpid,
	__assuan_socketpair, __assuan_socket, __assuan_connect,
};

gpg_error_t
command_attach(assuan_context_t ctx, struct scd_server *srv, int is_pipe, struct scd_conn **connp)
{
	struct scd_conn *conn = NULL;
	gpg_error_t err;

	if (connp != NULL)
		*connp = NULL;
	if (ctx == NULL || srv == NULL || connp == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		return gpg_error_from_syserror();
	conn->srv = srv;
	conn->is_pipe = is_pipe;
	asswrite_init(&conn->out, NULL);
	if ((err = cmdtable_register(ctx, commands, sizeof(commands) / sizeof(commands[0]))) != 0 ||
	    (err = assuan_register_option_handler(ctx, option_handler)) != 0 ||
	    (err = assuan_register_reset_notify(ctx, cmd_restart)) != 0)
		goto out;
	assuan_set_hello_line(ctx, SCD_HELLO);
	assuan_set_pointer(ctx, conn);
	assuan_ctx_set_system_hooks(ctx, &command_hooks);
	*connp = conn;
	conn = NULL;
	err = 0; /* success */
out:
	command_detach(conn);
	return err;
}

void
command_detach(struct scd_conn *conn)
{
	if (conn == NULL)
		return;
	explicit_bzero(conn->data, sizeof(conn->data));
	free(conn);
}

int
command_stop_requested(const struct scd_conn *conn)
{
	return conn != NULL && conn->stopme;
}

struct scd_server *
command_server(assuan_context_t ctx)
{
	struct scd_conn *c = conn_of(ctx);

	return c != NULL ? c->srv : NULL;
}
