/* command.c — the Assuan commands of doc/policyd-protocol.md.
 *
 * Each handler parses its line with cmdline_parse(), asks policy.c, calls
 * hsm.c through the project table and answers; reasons go out through
 * assuan_set_error() with text kept in the connection (libassuan keeps only
 * the pointer).  Handlers use the configuration snapshot the worker took
 * for the request (c->snap), so RELOAD never pulls a project away under a
 * signature and no lock is held while a client is written to; the key
 * operations (MKCERT, ROTATE, UPGRADE: keyops.c) work on a private load,
 * as key generation takes seconds.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cmdutil.h"
#include "cmdline.h"
#include "cmdtable.h"
#include "denials.h"
#include "engine.h"
#include "hashalgo.h"
#include "hex.h"
#include "keyops.h"
#include "log.h"
#include "p11uri.h"
#include "park.h"
#include "pgpcert.h"
#include "policy.h"
#include "policyd.h"
#include "readfile.h"
#include "reqjson.h"
#include "serial.h"
#include "signreq.h"
#include "signet-err.h"

static const char hlp_getinfo[] =
	"GETINFO version | pid | serialno | instance | parked\n"
	"\n"
	"version: the daemon's version; pid: its process id; serialno: the\n"
	"virtual card serial (32 hex); instance: the installation id (8 hex);\n"
	"parked: how many requests wait for approvers now.";
static gpg_error_t
cmd_getinfo(assuan_context_t ctx, char *line)
{
	struct conn *c = assuan_get_pointer(ctx);
	char *args[2];
	char buf[SERIAL_HEX_LEN + 16];
	gpg_error_t r;

	if ((r = cmd_get_args(ctx, line, args, 1, "usage: GETINFO version|pid|serialno|instance|parked")) != 0)
		return r;
	if (strcmp(args[0], "version") == 0) {
		snprintf(buf, sizeof(buf), "%s", SIGNET_VERSION);
	} else if (strcmp(args[0], "pid") == 0) {
		snprintf(buf, sizeof(buf), "%lu", (unsigned long)getpid());
	} else if (strcmp(args[0], "serialno") == 0) {
		r = serial_format(c->snap->cfg->instance, buf, sizeof(buf));
	} else if (strcmp(args[0], "instance") == 0) {
		r = hex_encode(c->snap->cfg->instance, SERIAL_INSTANCE_LEN, buf, sizeof(buf));
	} else if (strcmp(args[0], "parked") == 0) {
		snprintf(buf, sizeof(buf), "%u", server_parked(c->pd->server));
	} else {
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "unknown GETINFO item; use version, pid, serialno, instance or parked");
	}
	if (r != 0)
		return cmd_fail(ctx, gpg_err_code(r), "cannot format %s", args[0]);
	return assuan_send_data(ctx, buf, strlen(buf));
}

static const char hlp_keylist[] =
	"KEYLIST\n"
	"\n"
	"One status line per signing key you may use: each project's current\n"
	"signing subkey, then any old one still inside its rotation overlap\n"
	"(never a primary key, which only certifies):\n"
	"S KEY <project> <keygrip> <algo> <created> <fingerprint>\n"
	"(algo as gpg names it: rsa3072, nistp256, nistp384, ed25519)";

/* The KEY lines of project P: the current subkey first. */
static gpg_error_t
keylist_project(assuan_context_t ctx, const struct project *p, int64_t now)
{
	char buf[PROJECT_NAME_MAX + PGPKEY_GRIP_HEX + PGPKEY_FPR_HEX + 64], name[PGPKEY_NAME_MAX];
	const struct pgpkey *pub;
	gpg_error_t r = 0;
	size_t i, k;

	for (k = 0; r == 0 && k < (p->model == PROJECT_SUBKEYS ? p->ks.nsubs : 1); k++) {
		if (p->model == PROJECT_UNCERTIFIED)
			break;
		i = p->model == PROJECT_SUBKEYS ? p->ks.nsubs - 1 - k : 0;
		if (p->model == PROJECT_SUBKEYS && !keystate_usable(&p->ks, i, now))
			continue;
		pub = p->model == PROJECT_SUBKEYS ? &p->subs[i].pub : &p->pub;
		/* gpg's name of the algorithm (rsa3072, nistp256, ed25519):
		 * signet-scd passes it on in KEYPAIRINFO. */
		if ((r = pgpkey_name(pub, name, sizeof(name))) != 0)
			break;
		snprintf(buf, sizeof(buf), "%s %s %s %lu %s", p->conf->name, pub->grip, name,
		         (unsigned long)pub->created, pub->fpr);
		r = assuan_write_status(ctx, "KEY", buf);
	}
	return r;
}

static gpg_error_t
cmd_keylist(assuan_context_t ctx, char *line)
{
	struct conn *c = assuan_get_pointer(ctx);
	const struct project *p;
	struct requester rq;
	char *args[1];
	int64_t now = (int64_t)time(NULL);
	size_t i;
	gpg_error_t r;

	if ((r = cmd_get_args(ctx, line, args, 0, "KEYLIST takes no arguments")) != 0)
		return r;
	requester_init(&rq, c->pd->ids, c->uid);
	for (i = 0; i < c->snap->projects->n && r == 0; i++) {
		p = &c->snap->projects->v[i];
		if (policy_may_sign(p->conf, &rq))
			r = keylist_project(ctx, p, now);
	}
	requester_release(&rq);
	return r;
}

static const char hlp_readkey[] =
	"READKEY [--key=<keygrip>] <project>\n"
	"\n"
	"The public key of the project's current signing subkey (or of the\n"
	"usable signing key named by --key) as a canonical S-expression.";
static gpg_error_t
cmd_readkey(assuan_context_t ctx, char *line)
{
	struct cmd_opt opts[] = { { "key", 1, 0, NULL } };
	const struct project *p;
	const struct hsm_key *key;
	const struct pgpkey *pub;
	char *args[2], why[POLICYD_MAX_ERRTEXT];
	size_t nargs = 0;
	gpg_error_t r;

	if ((r = cmdline_parse(line, opts, 1, args, 2, &nargs)) != 0 || nargs != 1 ||
	    (opts[0].present && opts[0].value == NULL))
		return cmd_fail_parse(ctx, r ? r : gpg_error(GPG_ERR_ASS_PARAMETER),
		                  "READKEY [--key=<keygrip>] <project>");
	if ((p = cmd_lookup_project(ctx, args[0], &r)) == NULL)
		goto out;
	if ((r = project_signing_key(p, opts[0].present ? opts[0].value : NULL, (int64_t)time(NULL),
	                             &key, &pub, why, sizeof(why))) != 0) {
		r = cmd_fail(ctx, gpg_err_code(r), "%s", why);
		goto out;
	}
	r = assuan_send_data(ctx, pub->sexp, pub->sexp_len);
out:
	return r;
}

/* Read the certificate file PATH (1 to POLICYD_MAX_CERT bytes); anything
 * but a readable file of that size is GPG_ERR_INV_DATA. */
static gpg_error_t
read_cert(const char *path, uint8_t **data, size_t *len)
{
	char *buf = NULL;
	gpg_error_t r;

	*data = NULL;
	*len = 0;
	r = readfile_bounded(path, POLICYD_MAX_CERT, &buf, len, NULL, 0);
	if (r == 0 && *len == 0)
		r = gpg_error(GPG_ERR_INV_DATA);   /* an empty file is no certificate */
	if (gpg_err_code(r) == GPG_ERR_INV_VALUE || gpg_err_code(r) == GPG_ERR_TOO_LARGE)
		r = gpg_error(GPG_ERR_INV_DATA);
	if (r != 0) {
		free(buf);
		*len = 0;
		return r;
	}
	*data = (uint8_t *)buf;
	return 0;
}

static const char hlp_cert[] =
	"CERT <project>\n"
	"\n"
	"The project's OpenPGP certificate (binary), as MKCERT made it.";
static gpg_error_t
cmd_cert(assuan_context_t ctx, char *line)
{
	const struct project *p;
	char *args[2];
	size_t len = 0;
	uint8_t *data = NULL;
	gpg_error_t r;

	if ((r = cmd_get_args(ctx, line, args, 1, "usage: CERT <project>")) != 0)
		return r;
	if ((p = cmd_lookup_project(ctx, args[0], &r)) == NULL)
		goto out;
	if ((r = read_cert(p->conf->cert, &data, &len)) != 0) {
		if (gpg_err_code(r) == GPG_ERR_ENOENT)
			r = cmd_fail(ctx, GPG_ERR_NOT_FOUND, "project %s has no certificate yet "
			         "(an admin makes it with MKCERT / signet cert)", p->conf->name);
		else
			r = cmd_fail(ctx, gpg_err_code(r), "cannot read the certificate %s: %s",
			         p->conf->cert, gpg_strerror(r));
		goto out;
	}
	r = assuan_send_data(ctx, data, len);
out:
	free(data);
	return r;
}

static const char hlp_sign[] =
	"SIGN --hash=<algo> [--key=<keygrip>] [--otp=<code>] <project> <digest-hex>\n"
	"\n"
	"Sign the digest with the project's current signing subkey, or the\n"
	"old one --key names while its rotation overlap lasts (RSA: PKCS#1\n"
	"v1.5 over DigestInfo(algo) || digest; ECDSA: r||s over the digest\n"
	"cut to the curve's size; Ed25519: R||S over the digest as the\n"
	"message), if you are one of its signers and algo is allowed.\n"
	"Never with the primary key.  Then the project's policy: hours, second\n"
	"factor (--otp), rate, and approvals (a grant, or the request waits:\n"
	"S REQUEST <id> <needed> <approvers>).  The request is audited before\n"
	"the signature is returned.";
static gpg_error_t
cmd_sign(assuan_context_t ctx, char *line)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct sign_req req;
	uint8_t sig[HSM_MAX_SIG];
	size_t siglen = 0;
	gpg_err_code_t code;
	gpg_error_t r;
	int wait = 0;

	memset(&req, 0, sizeof(req));
	if ((code = signreq_parse(c, line, &req)) == 0 && (code = signreq_check(c, &req)) == 0 &&
	    (code = engine_admit(c, &req, 0, &wait)) == 0) {
		if (wait)
			return engine_wait(ctx, c, &req);
		code = signreq_sign(c, &req, sig, sizeof(sig), &siglen);
	}
	r = signreq_finish(ctx, c, &req, code, sig, siglen);
	explicit_bzero(sig, sizeof(sig));
	explicit_bzero(&req, sizeof(req));
	return r;
}

static const char hlp_keygen[] =
	"KEYGEN --algo=<rsa2048|rsa3072|rsa4096|p256|p384|ed25519> <label>\n"
	"\n"
	"Admin: generate a key pair on the token (sensitive, never\n"
	"extractable).  Answers S KEYURI <pkcs11-uri>.";
static gpg_error_t
cmd_keygen(assuan_context_t ctx, char *line)
{
	struct cmd_opt opts[] = { { "algo", 1, 0, NULL } };
	enum key_algo algo;
	char *args[2];
	size_t nargs = 0;
	char uri[P11URI_MAX_LEN];
	gpg_error_t r;

	if ((r = cmdline_parse(line, opts, 1, args, 2, &nargs)) != 0 || nargs != 1 ||
	    !opts[0].present || opts[0].value == NULL)
		return cmd_fail_parse(ctx, r ? r : gpg_error(GPG_ERR_ASS_PARAMETER),
		                  "KEYGEN --algo=<rsa2048|rsa3072|rsa4096|p256|p384|ed25519> <label>");
	if ((r = cmd_require_admin(ctx, "KEYGEN")) != 0)
		return r;
	if ((algo = key_algo_parse(opts[0].value)) == KEY_ALGO_NONE)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "--algo must be " KEY_ALGO_NAMES);
	if ((r = cmd_keygen_token(ctx, algo, args[0], uri, sizeof(uri))) != 0)
		return r;
	return assuan_write_status(ctx, "KEYURI", uri);
}

static const char hlp_reload[] =
	"RELOAD\n"
	"\n"
	"Admin: re-read the configuration.  If it does not load, the old one\n"
	"stays in force and the error names file:line.";
static gpg_error_t
cmd_reload(assuan_context_t ctx, char *line)
{
	struct conn *c = assuan_get_pointer(ctx);
	char *args[1];
	char err[POLICYD_MAX_ERRTEXT];
	gpg_error_t r;

	if ((r = cmd_get_args(ctx, line, args, 0, "RELOAD takes no arguments")) != 0)
		return r;
	struct configaudit_by by = { "RELOAD", 1, c->uid, c->user, c->pid };

	r = cmd_require_admin(ctx, "RELOAD");
	if (r != 0)
		return r;
	if ((r = policyd_reload(c->pd, &by, err, sizeof(err))) != 0) {
		log_error("reload by %s refused: %s", c->user, err);
		return cmd_fail(ctx, gpg_err_code(r), "%s", err);
	}
	log_info("configuration reloaded by %s", c->user);
	return 0;
}

static const char *const keyop_names[] = { "MKCERT", "ROTATE", "UPGRADE" };
static const char *const keyop_events[] = { "certify", "rotate", "upgrade" };

/* Audit a done key operation RES on P (before its files are written). */
static gpg_error_t
keyop_audit(struct conn *c, const struct project *p, const struct keyop_result *res, uint32_t overlap)
{
	struct audit_event ev;
	char reason[POLICYD_MAX_ERRTEXT];
	size_t cur = keystate_current(&res->ks);

	if (res->op == KEYOP_ROTATE)
		snprintf(reason, sizeof(reason), "%s: new signing subkey %s; old subkey %s signs until %lu "
		         "(overlap %lus)", p->conf->cert, res->newpub.fpr, p->subs[cur - 1].pub.fpr,
		         (unsigned long)res->ks.subs[cur - 1].expires, (unsigned long)overlap);
	else
		snprintf(reason, sizeof(reason), "%s: primary %s (%s), signing subkey %s", p->conf->cert,
		         p->pub.fpr, res->ks.legacy ? "certify+sign, 0.1 self-signature kept" : "certify only",
		         res->newkey ? res->newpub.fpr : p->subs[cur].pub.fpr);
	memset(&ev, 0, sizeof(ev));
	ev.event = keyop_events[res->op];
	ev.project = p->conf->name;
	ev.key_fpr = p->pub.fpr;
	ev.hash = "sha256";                    /* of the certificate written */
	ev.digest = res->cert_sha256;
	ev.digest_len = sizeof(res->cert_sha256);
	ev.result = "granted";
	ev.reason = reason;
	return cmd_audit_request(c, &ev, NULL);
}

/* MKCERT, ROTATE and UPGRADE: admin check, the key work (keyops.c), the
 * audit record, the files, then a reload so that SIGN and KEYLIST follow
 * the new key state.  The work (key generation can take seconds) runs on a
 * private load of the configuration file and of the project's keys, so no
 * lock is held meanwhile and a reload cannot pull the project away.  One
 * key operation at a time per daemon (a second is refused, not queued).
 * Sends the new certificate. */
static gpg_error_t
run_keyop(assuan_context_t ctx, enum keyop op, const char *name, uint32_t overlap)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct signet_config *cfg = NULL;
	struct keyop_result *res = NULL;
	struct configaudit_by by = { keyop_names[op], 1, c->uid, c->user, c->pid };
	struct project p;
	char why[POLICYD_MAX_ERRTEXT], err[POLICYD_MAX_ERRTEXT], vis[PROJECT_NAME_MAX + 8];
	char token[128];
	int mine = 0;
	gpg_error_t r;

	memset(&p, 0, sizeof(p));
	r = cmd_require_admin(ctx, keyop_names[op]);
	snprintf(token, sizeof(token), "%s", c->snap->cfg->token);
	if (r != 0)
		return r;
	if (!config_project_name_ok(name)) {
		log_vis(name, vis, sizeof(vis));
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "\"%s\" is not a project name ([A-Za-z0-9._-], 1-64)", vis);
	}
	if (atomic_flag_test_and_set(&c->pd->keyop_busy))
		return cmd_fail(ctx, GPG_ERR_EAGAIN, "another MKCERT/ROTATE/UPGRADE is running; try again");
	mine = 1;
	err[0] = '\0';
	if ((r = config_load(c->pd->config_path, &cfg, err, sizeof(err))) != 0) {
		r = cmd_fail(ctx, gpg_err_code(r), "%s", err);
		goto out;
	}
	if (strcmp(cfg->token, token) != 0) {
		r = cmd_fail(ctx, GPG_ERR_INV_VALUE, "%s: [hsm] token changed from %s to %s; restart signet-policyd "
		         "first", c->pd->config_path, token, cfg->token);
		goto out;
	}
	if ((r = project_load_one(cfg, name, c->pd->hsm, &p, err, sizeof(err))) != 0) {
		r = cmd_fail(ctx, gpg_err_code(r) == GPG_ERR_NOT_FOUND ? SIGNET_ERR_NO_KEY : gpg_err_code(r), "%s", err);
		goto out;
	}
	if ((res = calloc(1, sizeof(*res))) == NULL) {
		r = cmd_fail(ctx, GPG_ERR_ENOMEM, "out of memory");
		goto out;
	}
	why[0] = '\0';
	if ((r = keyops_prepare(c->pd->hsm, &p, op, overlap, (int64_t)time(NULL), res, why, sizeof(why))) != 0) {
		log_error("%s %s by %s: %s", keyop_names[op], name, c->user, why);
		r = cmd_fail(ctx, gpg_err_code(r), "%s", why);
		goto out;
	}
	if ((r = keyop_audit(c, &p, res, overlap)) != 0) {
		r = cmd_fail(ctx, SIGNET_ERR_AUDIT, "the audit trail could not be written (%s); the certificate "
		         "and key state were not changed", gpg_strerror(r));
		goto out;
	}
	if ((r = keyops_commit(&p, res, why, sizeof(why))) != 0) {
		log_error("%s %s by %s: %s", keyop_names[op], name, c->user, why);
		r = cmd_fail(ctx, gpg_err_code(r), "%s", why);
		goto out;
	}
	log_info("%s %s by %s: certificate %s written", keyop_names[op], name, c->user, p.conf->cert);
	if ((r = policyd_reload(c->pd, &by, err, sizeof(err))) != 0) {
		log_error("reload after %s %s: %s", keyop_names[op], name, err);
		r = cmd_fail(ctx, gpg_err_code(r), "the certificate was written but the reload failed: %s", err);
		goto out;
	}
	r = assuan_send_data(ctx, res->cert, res->certlen);
out:
	if (mine)
		atomic_flag_clear(&c->pd->keyop_busy);
	keyops_result_clear(res);
	free(res);
	project_release(&p);
	config_free(cfg);
	return r;
}

static const char hlp_mkcert[] =
	"MKCERT <project>\n"
	"\n"
	"Admin: generate the project's first signing subkey on the HSM and\n"
	"make its OpenPGP certificate (primary key: certify only; the subkey\n"
	"bound by it, with its back-signature), write it to the project's\n"
	"cert path (never overwriting) and return it.";
static gpg_error_t
cmd_mkcert(assuan_context_t ctx, char *line)
{
	char *args[2];
	gpg_error_t r;

	if ((r = cmd_get_args(ctx, line, args, 1, "usage: MKCERT <project>")) != 0)
		return r;
	return run_keyop(ctx, KEYOP_MKCERT, args[0], 0);
}

static const char hlp_rotate[] =
	"ROTATE --overlap=<seconds> <project>\n"
	"\n"
	"Admin: generate a new signing subkey on the HSM, bind it with the\n"
	"primary key and make it the current one.  The old subkey stays in\n"
	"the certificate (old signatures keep verifying) and keeps signing\n"
	"for <seconds> (0 to " KEYSTATE_MAX_OVERLAP_TEXT "), then expires.  Replaces the\n"
	"certificate file and returns it.";
static gpg_error_t
cmd_rotate(assuan_context_t ctx, char *line)
{
	struct cmd_opt opts[] = { { "overlap", 1, 0, NULL } };
	char *args[2], *end = NULL;
	size_t nargs = 0;
	unsigned long v;
	gpg_error_t r;

	if ((r = cmdline_parse(line, opts, 1, args, 2, &nargs)) != 0 || nargs != 1 ||
	    !opts[0].present || opts[0].value == NULL)
		return cmd_fail_parse(ctx, r ? r : gpg_error(GPG_ERR_ASS_PARAMETER),
		                  "ROTATE --overlap=<seconds> <project>");
	errno = 0;
	v = strtoul(opts[0].value, &end, 10);
	if (errno != 0 || end == opts[0].value || *end != '\0' || opts[0].value[0] == '-' ||
	    v > KEYSTATE_MAX_OVERLAP)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "--overlap wants seconds, 0 to %d", KEYSTATE_MAX_OVERLAP);
	return run_keyop(ctx, KEYOP_ROTATE, args[0], (uint32_t)v);
}

static const char hlp_upgrade[] =
	"UPGRADE <project>\n"
	"\n"
	"Admin: a project made by Signet 0.1 (its primary key certifies and\n"
	"signs): generate a signing subkey on the HSM and add it to the\n"
	"certificate, keeping the primary's self-signature byte for byte so\n"
	"that old signatures keep verifying.  From then on SIGN refuses the\n"
	"primary key.  Replaces the certificate file and returns it.";
static gpg_error_t
cmd_upgrade(assuan_context_t ctx, char *line)
{
	char *args[2];
	gpg_error_t r;

	if ((r = cmd_get_args(ctx, line, args, 1, "usage: UPGRADE <project>")) != 0)
		return r;
	return run_keyop(ctx, KEYOP_UPGRADE, args[0], 0);
}

static const char hlp_why[] =
	"WHY [--json]\n"
	"\n"
	"Your own last refused request since policyd started, with the full\n"
	"reason gpg cannot show: S DENIAL <epoch> <audit-seq> <project|->,\n"
	"then D <reason>.  With --json: D [ {time, seq, project, code, reason,\n"
	"next}, … ] of your recent refusals, newest first.  GPG_ERR_NOT_FOUND\n"
	"if there is none.";
static gpg_error_t
cmd_why(assuan_context_t ctx, char *line)
{
	struct cmd_opt opts[] = { { "json", 0, 0, NULL } };
	struct conn *c = assuan_get_pointer(ctx);
	struct denial d[DENIALS_PER_USER];
	char st[DENIAL_PROJECT_MAX + 64];
	char *args[1];
	size_t nargs = 0, n;
	gpg_error_t r;

	if ((r = cmdline_parse(line, opts, 1, args, 1, &nargs)) != 0 || nargs != 0)
		return cmd_fail_parse(ctx, r ? r : gpg_error(GPG_ERR_ASS_PARAMETER), "WHY [--json]");
	if ((n = denials_recent(c->pd->denials, c->uid, d, DENIALS_PER_USER)) == 0)
		return cmd_fail(ctx, GPG_ERR_NOT_FOUND, "no refused request of user %s since "
		            "signet-policyd started", c->user);
	if (opts[0].present)
		return reqjson_send_denials(ctx, d, n);
	snprintf(st, sizeof(st), "%lld %llu %s", (long long)d[0].when, (unsigned long long)d[0].seq,
	         d[0].project[0] != '\0' ? d[0].project : "-");
	if ((r = assuan_write_status(ctx, "DENIAL", st)) != 0)
		return r;
	return assuan_send_data(ctx, d[0].reason, strlen(d[0].reason));
}

/* Refuse a setup of C (for project NAME, or for any project when NULL)
 * with WHY: answered, and audited like any refusal. */
static gpg_error_t
refuse_setup(assuan_context_t ctx, struct conn *c, const char *name, const char *why)
{
	struct audit_event ev;
	uint64_t seq = 0;
	int written;
	gpg_error_t r;

	r = cmd_fail(ctx, SIGNET_ERR_DENIED, "%s", why);
	memset(&ev, 0, sizeof(ev));
	ev.event = "deny";
	ev.project = name;
	ev.result = "denied";
	ev.reason = c->errtext;
	ev.code = "not_signer";
	if (cmd_audit_refusal(c, &ev, &seq, &written) == 0 && written)
		log_info("deny uid %u (%s) setup %s: %s", (unsigned)c->uid, c->user, name ? name : "-", why);
	denials_record(c->pd->denials, c->uid, seq, name, ev.code, c->errtext,
	               "ask an admin to add you to the project's signers");
	return r;
}

static const char hlp_setup[] =
	"SETUP [<project>]\n"
	"\n"
	"`signet setup` asks before it sets up signing: OK if you may sign\n"
	"with PROJECT (without one: with any project).  A refusal is audited\n"
	"and names the project's signers.";
static gpg_error_t
cmd_setup(assuan_context_t ctx, char *line)
{
	struct conn *c = assuan_get_pointer(ctx);
	const struct project *p;
	char *args[2];
	char why[POLICYD_MAX_ERRTEXT], signers[POLICYD_MAX_ERRTEXT / 2];
	struct requester rq;
	size_t nargs = 0, i;
	gpg_error_t r = 0;

	if (cmdline_parse(line, NULL, 0, args, 2, &nargs) != 0 || nargs > 1)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "usage: SETUP [<project>]");
	requester_init(&rq, c->pd->ids, c->uid);
	if (nargs == 0) {
		for (i = 0; i < c->snap->projects->n; i++)
			if (policy_may_sign(c->snap->projects->v[i].conf, &rq))
				break;
		if (i == c->snap->projects->n) {
			snprintf(why, sizeof(why), "setup: user %s may not sign with any project", c->user);
			r = refuse_setup(ctx, c, NULL, why);
		}
	} else if ((p = cmd_lookup_project(ctx, args[0], &r)) != NULL &&
	           !policy_may_sign(p->conf, &rq)) {
		policy_format_principals(p->conf->signers, p->conf->nsigners, signers, sizeof(signers));
		snprintf(why, sizeof(why), "setup: user %s is not a signer of project %s (signers: %s)", c->user,
		         p->conf->name, signers);
		r = refuse_setup(ctx, c, p->conf->name, why);
	}
	requester_release(&rq);
	return r;
}

/* The only list of commands. */
static const struct cmdtable_entry commands[] = {
	{ "GETINFO", cmd_getinfo, hlp_getinfo },
	{ "KEYLIST", cmd_keylist, hlp_keylist },
	{ "READKEY", cmd_readkey, hlp_readkey },
	{ "CERT",    cmd_cert,    hlp_cert },
	{ "SIGN",    cmd_sign,    hlp_sign },
	{ "KEYGEN",  cmd_keygen,  hlp_keygen },
	{ "RELOAD",  cmd_reload,  hlp_reload },
	{ "MKCERT",  cmd_mkcert,  hlp_mkcert },
	{ "ROTATE",  cmd_rotate,  hlp_rotate },
	{ "UPGRADE", cmd_upgrade, hlp_upgrade },
	{ "WHY",     cmd_why,     hlp_why },
	{ "SETUP",   cmd_setup,   hlp_setup },
};

/* The other files' tables (cmdutil.h), registered after this one. */
static const struct cmdtable_set {
	const struct cmdtable_entry *table;
	const size_t *n;
} more[] = {
	{ cmd_approval_table, &cmd_approval_ntable },
	{ cmd_project_table,  &cmd_project_ntable },
	{ cmd_totp_table,     &cmd_totp_ntable },
};

gpg_error_t
command_register(assuan_context_t ctx)
{
	gpg_error_t r;
	size_t i;

	if ((r = cmdtable_register(ctx, commands, sizeof(commands) / sizeof(commands[0]))) != 0)
		return r;
	for (i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		if (*more[i].n > 0 && (r = cmdtable_register(ctx, more[i].table, *more[i].n)) != 0)
			return r;
	return 0;
}
