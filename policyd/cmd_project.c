/* cmd_project.c — the admin commands that change the policy in
 * signet.conf: PROJECT SET, PROJECT SHOW, PROJECT CREATE (cmdutil.h).
 *
 * policyd writes its own configuration: nobody else has to (DESIGN: no
 * program writes another one's files).  Each edit runs under
 * pd->edit_lock and the configuration lock (conflock.h, which the one
 * edit the command line makes, `signet tsa init`, takes too) from reading
 * the file to the reload, so two edits never lose one another: read the file, edit the text in memory
 * (confedit.c keeps comments and order), validate the result exactly as
 * a reload would (config_parse_buffer; its FILE:LINE names the line of
 * the edited text), write it atomically, reload.  If the reload refuses
 * (a check past parsing, such as the project's key on the token), the old
 * text is written back: a refused edit changes nothing.  The change is
 * audited twice: the reload's "config" records (configaudit.c, naming the
 * requester) and one "policy" record with the project, who, and the keys.
 *
 * Values travel percent-escaped (common/percent.h: "%20" for a blank), so
 * one word of the command line holds any value. */
#include "cmdutil.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "atomicfile.h"
#include "cmdline.h"
#include "confedit.h"
#include "conflock.h"
#include "configaudit.h"
#include "duration.h"
#include "hashalgo.h"
#include "hours.h"
#include "keystate.h"
#include "log.h"
#include "p11uri.h"
#include "percent.h"
#include "policyd.h"
#include "signet-err.h"
#include "snapshot.h"
#include "store.h"

_Static_assert(CONFIG_MAX_RATE == STORE_MAX_RATE, "rate = N/…: the parser's limit is the store's");

#define PROJECT_SET_MAX    (CMDLINE_MAX_WORDS - 2)   /* KEY=VALUE words after SET NAME */
#define PROJECT_REASON_MAX 1024                      /* the "policy" record's reason */
#define PROJECT_LIST_MAX   (CONFIG_MAX_LINE + 1)     /* a principal list being edited */

/* The keys PROJECT SET may change.  key, algo, created, cert and uid
 * describe the project's key and certificate: rotate/upgrade change them. */
static const char *const settable[] = {
	"signers", "hashes", "approvers", "approvals", "approval_wait", "hours", "rate", "second_factor",
};

/* One KEY=VALUE, KEY+=PRINCIPAL or KEY-=PRINCIPAL of PROJECT SET. */
struct set_item {
	const char *key;
	char op;                   /* '=', '+', '-' */
	char *value;               /* decoded; "" with '=': remove the key */
};

struct set_req {
	const char *project;
	struct set_item items[PROJECT_SET_MAX];
	size_t n;
};

/* What an edit does to the text; a reason in WHY on failure. */
typedef gpg_error_t (*edit_fn)(struct confedit *ce, void *opaque, char *why, size_t whylen);

static gpg_error_t
audit_policy(struct conn *c, const char *project, const char *reason)
{
	struct audit_event ev;
	char by[POLICYD_USER_MAX + 8];

	snprintf(by, sizeof(by), "user:%s", c->user);
	memset(&ev, 0, sizeof(ev));
	ev.event = "policy";
	ev.project = project;
	ev.by = by;
	ev.result = "granted";
	ev.reason = reason;
	return cmd_audit_request(c, &ev, NULL);
}

/* Write TEXT, reload; on a refused reload put OLD back.  Under edit_lock. */
static gpg_error_t
write_and_reload(assuan_context_t ctx, const char *what, const char *text, size_t len,
                 const char *old, size_t oldlen, mode_t mode)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct configaudit_by by = { what, 1, c->uid, c->user, c->pid };
	const char *path = c->pd->config_path;
	char err[POLICYD_MAX_ERRTEXT];
	gpg_error_t r, r2;

	if ((r = atomicfile_write(path, text, len, mode)) != 0)
		return cmd_fail(ctx, gpg_err_code(r), "write %s: %s; nothing changed (check that signet-policyd "
		            "may write the configuration's folder)", path, gpg_strerror(r));
	if ((r = policyd_reload(c->pd, &by, err, sizeof(err))) == 0)
		return 0;
	if ((r2 = atomicfile_write(path, old, oldlen, mode)) != 0) {
		log_error("%s by %s: reload refused (%s) and the old %s could not be put back: %s", what, c->user,
		          err, path, gpg_strerror(r2));
		return cmd_fail(ctx, gpg_err_code(r), "%s; and the old file could not be put back (%s): the "
		            "configuration in force is the old one, fix %s by hand", err, gpg_strerror(r2), path);
	}
	return cmd_fail(ctx, gpg_err_code(r), "nothing changed: %s", err);
}

/* The edit of PROJECT (for messages) by FN under edit_lock; REASON goes
 * into the "policy" audit record. */
static gpg_error_t
edit_config(assuan_context_t ctx, const char *what, const char *project, edit_fn fn, void *opaque,
            const char *reason)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct policyd *pd = c->pd;
	struct signet_config *check = NULL;
	struct confedit *ce = NULL;
	struct stat st;
	char *old = NULL, why[POLICYD_MAX_ERRTEXT], err[POLICYD_MAX_ERRTEXT];
	const char *text;
	size_t oldlen = 0, len;
	gpg_error_t r;
	int lockfd = -1;

	pthread_mutex_lock(&pd->edit_lock);
	/* The command line edits the file too (signet tsa init). */
	if ((r = conflock_take(pd->config_path, CONFLOCK_WAIT_MS, &lockfd, err, sizeof(err))) != 0) {
		r = cmd_fail(ctx, gpg_err_code(r), "%s; nothing changed", err);
		goto out;
	}
	if ((r = atomicfile_read(pd->config_path, CONFIG_MAX_FILE, &old, &oldlen)) != 0 ||
	    stat(pd->config_path, &st) != 0) {
		r = cmd_fail(ctx, r ? gpg_err_code(r) : GPG_ERR_EIO, "read %s: %s", pd->config_path,
		             r ? gpg_strerror(r) : "cannot stat it");
		goto out;
	}
	if ((r = confedit_new(old, oldlen, &ce)) != 0) {
		r = cmd_fail(ctx, gpg_err_code(r), "%s: %s", pd->config_path, gpg_strerror(r));
		goto out;
	}
	why[0] = '\0';
	if ((r = fn(ce, opaque, why, sizeof(why))) != 0) {
		r = cmd_fail(ctx, gpg_err_code(r), "[project %s]: %s; nothing changed", project,
		             why[0] ? why : gpg_strerror(r));
		goto out;
	}
	text = confedit_text(ce, &len);
	err[0] = '\0';
	if ((r = config_parse_buffer(pd->config_path, text, len, &check, err, sizeof(err))) != 0) {
		r = cmd_fail(ctx, GPG_ERR_INV_VALUE, "nothing changed: %s", err[0] ? err : gpg_strerror(r));
		goto out;
	}
	if ((r = write_and_reload(ctx, what, text, len, old, oldlen, st.st_mode & 07777)) != 0)
		goto out;
	log_info("%s %s by %s: %s", what, project, c->user, reason);
	if ((r = audit_policy(c, project, reason)) != 0)
		r = cmd_fail(ctx, SIGNET_ERR_AUDIT, "the change is in force but its audit record could not be "
		             "written (%s)", gpg_strerror(r));
out:
	conflock_release(lockfd);
	pthread_mutex_unlock(&pd->edit_lock);
	config_free(check);
	confedit_free(ce);
	free(old);
	return r;
}

struct key_value {
	const char *key;
	char value[PROJECT_LIST_MAX];
	int found;
};

static int
find_value(void *opaque, const char *key, const char *value)
{
	struct key_value *kv = opaque;

	if (strcmp(key, kv->key) == 0 && strlen(value) < sizeof(kv->value)) {
		memcpy(kv->value, value, strlen(value) + 1);
		kv->found = 1;
	}
	return 0;
}

/* KEY += WORD or KEY -= WORD on the principal list of KEY into OUT. */
static gpg_error_t
edit_list(const struct confedit *ce, const char *project, const struct set_item *it, char *out,
          size_t outlen, char *why, size_t whylen)
{
	struct key_value kv = { it->key, "", 0 };
	char *save = NULL, *w;
	size_t pos = 0;
	int had = 0, n;

	(void)confedit_each_key(ce, project, find_value, &kv);
	out[0] = '\0';
	for (w = strtok_r(kv.value, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (strcmp(w, it->value) == 0) {
			had = 1;
			if (it->op == '-')
				continue;
		}
		n = snprintf(out + pos, outlen - pos, "%s%s", pos ? " " : "", w);
		if (n < 0 || (size_t)n >= outlen - pos)
			goto too_long;
		pos += (size_t)n;
	}
	if (it->op == '-' && !had) {
		snprintf(why, whylen, "%s is not in %s", it->value, it->key);
		return gpg_error(GPG_ERR_NOT_FOUND);
	}
	if (it->op == '+' && !had) {
		n = snprintf(out + pos, outlen - pos, "%s%s", pos ? " " : "", it->value);
		if (n < 0 || (size_t)n >= outlen - pos)
			goto too_long;
	}
	return 0;
too_long:
	snprintf(why, whylen, "%s would be longer than a line allows", it->key);
	return gpg_error(GPG_ERR_INV_VALUE);
}

static gpg_error_t
apply_set(struct confedit *ce, void *opaque, char *why, size_t whylen)
{
	const struct set_req *req = opaque;
	char list[PROJECT_LIST_MAX];
	const char *value;
	size_t i;
	gpg_error_t r;

	for (i = 0; i < req->n; i++) {
		const struct set_item *it = &req->items[i];

		value = it->value[0] != '\0' ? it->value : NULL;
		if (it->op != '=') {
			if ((r = edit_list(ce, req->project, it, list, sizeof(list), why, whylen)) != 0)
				return r;
			value = list[0] != '\0' ? list : NULL;
		}
		if ((r = confedit_set(ce, req->project, it->key, value, why, whylen)) != 0) {
			if (gpg_err_code(r) == GPG_ERR_NOT_FOUND)
				snprintf(why, whylen, "no such section in the configuration file");
			else if (strlen(why) + strlen(it->key) + 4 < whylen) {
				char tmp[POLICYD_MAX_ERRTEXT];

				snprintf(tmp, sizeof(tmp), "%s: %s", it->key, why);
				snprintf(why, whylen, "%s", tmp);
			}
			return r;
		}
	}
	return 0;
}

static int
is_settable(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(settable) / sizeof(settable[0]); i++)
		if (strcmp(settable[i], key) == 0)
			return 1;
	return 0;
}

/* "KEY=VALUE" (or += / -=) at WORD into IT, in place. */
static gpg_error_t
parse_item(assuan_context_t ctx, char *word, struct set_item *it)
{
	char *eq = strchr(word, '=');

	if (eq == NULL || eq == word)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "'%.64s': expected KEY=VALUE (KEY+=user:NAME or "
		            "KEY-=user:NAME for signers and approvers)", word);
	it->op = '=';
	if (eq[-1] == '+' || eq[-1] == '-') {
		it->op = eq[-1];
		eq[-1] = '\0';
	}
	*eq = '\0';
	it->key = word;
	it->value = eq + 1;
	if (!is_settable(it->key))
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "%.32s cannot be set this way (settable: signers, hashes, "
		            "approvers, approvals, approval_wait, hours, rate, second_factor)", it->key);
	if (it->op != '=' && strcmp(it->key, "signers") != 0 && strcmp(it->key, "approvers") != 0)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "%c= works on signers and approvers only", it->op);
	if (percent_decode(it->value) != 0)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "%s: bad %%-escape in the value (%%XX, two hex digits)",
		            it->key);
	if (it->op != '=' && (it->value[0] == '\0' || strpbrk(it->value, " \t") != NULL))
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "%s%c= takes one user:NAME or group:NAME", it->key, it->op);
	return 0;
}

/* "approvals=2 hours=…" for the audit record (cut to fit). */
static void
describe_set(const struct set_req *req, char *out, size_t outlen)
{
	size_t i, pos = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i < req->n; i++) {
		const struct set_item *it = &req->items[i];

		n = snprintf(out + pos, outlen - pos, "%s%s%s=%s", i ? "; " : "", it->key,
		             it->op == '+' ? "+" : it->op == '-' ? "-" : "", it->value[0] ? it->value : "(removed)");
		if (n < 0 || (size_t)n >= outlen - pos)
			return;
		pos += (size_t)n;
	}
}

static gpg_error_t
project_set(assuan_context_t ctx, char **args, size_t nargs)
{
	struct set_req req;
	char reason[PROJECT_REASON_MAX];
	size_t i, j;
	gpg_error_t r;

	memset(&req, 0, sizeof(req));
	if (nargs < 3)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "usage: PROJECT SET <name> <key>=<value>...");
	if ((r = cmd_require_admin(ctx, "PROJECT SET")) != 0)
		return r;
	req.project = args[1];
	if (!config_project_name_ok(req.project))
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "not a project name ([A-Za-z0-9._-], 1-64)");
	for (i = 2; i < nargs; i++) {
		if ((r = parse_item(ctx, args[i], &req.items[req.n])) != 0)
			return r;
		for (j = 0; j < req.n; j++)
			if (strcmp(req.items[j].key, req.items[req.n].key) == 0)
				return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "%s given twice; give each key once",
				            req.items[j].key);
		req.n++;
	}
	describe_set(&req, reason, sizeof(reason));
	return edit_config(ctx, "PROJECT SET", req.project, apply_set, &req, reason);
}

/* PROJECT SHOW: the keys as in the file. */
static int
add_raw(void *opaque, const char *key, const char *value)
{
	return json_object_set_new(opaque, key, json_string(value)) != 0 ? -1 : 0;
}

static json_t *
principals_json(const struct principal *p, size_t n)
{
	char buf[CONFIG_MAX_PRINCIPALS * 72];
	size_t i, pos = 0;
	int k;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		k = snprintf(buf + pos, sizeof(buf) - pos, "%s%s:%s", i ? " " : "",
		             p[i].kind == PRINCIPAL_GROUP ? "group" : "user", p[i].name);
		if (k < 0 || (size_t)k >= sizeof(buf) - pos)
			break;
		pos += (size_t)k;
	}
	return json_string(buf);
}

/* The policy in force for P, every key with its default filled in. */
static json_t *
effective_json(const struct project_conf *p)
{
	char hashes[128] = "", text[HOURS_MAX_TEXT], wait[DURATION_MAX_TEXT], rate[48] = "";
	static const char *const periods[] = { "second", "minute", "hour", "day" };
	static const unsigned secs[] = { 1, 60, 3600, 86400 };
	const struct hashalgo *h;
	size_t i, pos = 0;
	json_t *o = json_object();

	for (i = 0; (h = hashalgo_at(i)) != NULL; i++)
		if ((p->hash_mask & h->bit) && pos + strlen(h->name) + 2 < sizeof(hashes))
			pos += (size_t)snprintf(hashes + pos, sizeof(hashes) - pos, "%s%s", pos ? " " : "", h->name);
	for (i = 0; i < 4 && p->rate.count > 0; i++)
		if (p->rate.period_sec == secs[i])
			snprintf(rate, sizeof(rate), "%u/%s", p->rate.count, periods[i]);
	hours_format(&p->hours, text, sizeof(text));
	duration_format(p->approval_wait, wait, sizeof(wait));
	if (o == NULL ||
	    json_object_set_new(o, "signers", principals_json(p->signers, p->nsigners)) != 0 ||
	    json_object_set_new(o, "hashes", json_string(hashes)) != 0 ||
	    json_object_set_new(o, "approvers", principals_json(p->approvers, p->napprovers)) != 0 ||
	    json_object_set_new(o, "approvals", json_integer(p->approvals)) != 0 ||
	    json_object_set_new(o, "approval_wait", json_string(wait)) != 0 ||
	    json_object_set_new(o, "hours", json_string(text)) != 0 ||
	    json_object_set_new(o, "rate", json_string(rate)) != 0 ||
	    json_object_set_new(o, "second_factor",
	                        json_string(p->second_factor == SECOND_FACTOR_TOTP ? "totp" : "none")) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static gpg_error_t
project_show(assuan_context_t ctx, char **args, size_t nargs)
{
	struct conn *c = assuan_get_pointer(ctx);
	const struct project_conf *p;
	struct confedit *ce = NULL;
	json_t *o = NULL, *raw = NULL, *eff = NULL;
	char *old = NULL, *text = NULL;
	size_t oldlen = 0;
	gpg_error_t r;

	if (nargs != 2)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "usage: PROJECT SHOW <name>");
	if ((r = cmd_require_admin(ctx, "PROJECT SHOW")) != 0)
		return r;
	if (!config_project_name_ok(args[1]))
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "not a project name ([A-Za-z0-9._-], 1-64)");
	if ((r = atomicfile_read(c->pd->config_path, CONFIG_MAX_FILE, &old, &oldlen)) != 0) {
		r = cmd_fail(ctx, gpg_err_code(r), "read %s: %s", c->pd->config_path, gpg_strerror(r));
		goto out;
	}
	if ((o = json_object()) == NULL || (raw = json_object()) == NULL || (r = confedit_new(old, oldlen, &ce)) != 0) {
		r = cmd_fail(ctx, GPG_ERR_ENOMEM, "out of memory");
		goto out;
	}
	if ((r = confedit_each_key(ce, args[1], add_raw, raw)) != 0) {
		r = cmd_fail(ctx, gpg_err_code(r) == GPG_ERR_NOT_FOUND ? SIGNET_ERR_NO_KEY : GPG_ERR_ENOMEM,
		             "no [project %s] in %s", args[1], c->pd->config_path);
		goto out;
	}
	p = config_find_project(c->snap->cfg, args[1]);
	eff = p != NULL ? effective_json(p) : json_null();
	if (eff == NULL || json_object_set_new(o, "project", json_string(args[1])) != 0 ||
	    json_object_set_new(o, "file", json_string(c->pd->config_path)) != 0 ||
	    json_object_set(o, "keys", raw) != 0 || json_object_set(o, "effective", eff) != 0 ||
	    (text = json_dumps(o, JSON_COMPACT)) == NULL) {
		r = cmd_fail(ctx, GPG_ERR_ENOMEM, "out of memory");
		goto out;
	}
	r = assuan_send_data(ctx, text, strlen(text));
out:
	free(text);
	json_decref(eff);
	json_decref(raw);
	json_decref(o);
	confedit_free(ce);
	free(old);
	return r;
}

/* PROJECT CREATE: what goes into the new section. */
struct create_req {
	const char *name;
	enum key_algo algo;
	char *uid, *signers, *cert;
	char uri[P11URI_MAX_LEN];
	char created[24];
};

static gpg_error_t
apply_create(struct confedit *ce, void *opaque, char *why, size_t whylen)
{
	const struct create_req *req = opaque;
	const char *const keys[] = { "key", "algo", "uid", "created", "cert", "signers" };
	const char *const values[] = { req->uri, key_algo_name(req->algo), req->uid, req->created, req->cert,
	                               req->signers };

	return confedit_add_project(ce, req->name, keys, values, sizeof(keys) / sizeof(keys[0]), why, whylen);
}

/* What can be checked before the key is made: the section and files are
 * free, the values can be written.  On the configuration in force (a
 * later edit under the lock checks the file again). */
static gpg_error_t
create_check(assuan_context_t ctx, const struct create_req *req)
{
	struct conn *c = assuan_get_pointer(ctx);
	const struct signet_config *cfg = c->snap->cfg;
	char why[256], keys[PATH_MAX];
	struct principal *sig = NULL;
	size_t nsig = 0;
	struct stat st;

	if (config_find_project(cfg, req->name) != NULL)
		return cmd_fail(ctx, GPG_ERR_EEXIST, "[project %s] exists already; choose another name", req->name);
	if (cfg->nprojects >= CONFIG_MAX_PROJECTS)
		return cmd_fail(ctx, GPG_ERR_LIMIT_REACHED, "%d projects already, the limit", CONFIG_MAX_PROJECTS);
	if (!confedit_value_ok(req->uid, why, sizeof(why)))
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "--uid: %s", why);
	if (principals_parse(req->signers, &sig, &nsig, why, sizeof(why)) != 0 || nsig == 0) {
		principals_free(sig, nsig);
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "--signers: %s", nsig == 0 && why[0] == '\0' ?
		            "empty" : why);
	}
	principals_free(sig, nsig);
	if (req->cert[0] != '/')
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "--cert must be an absolute path");
	if (lstat(req->cert, &st) == 0)
		return cmd_fail(ctx, GPG_ERR_EEXIST, "%s exists but no [project %s] is configured; move that file "
		            "away or choose another name", req->cert, req->name);
	if (keystate_path(req->cert, keys, sizeof(keys)) != 0 || lstat(keys, &st) == 0)
		return cmd_fail(ctx, GPG_ERR_EEXIST, "%s (the key state of an old project) exists; move it away "
		            "or choose another name", keys);
	return 0;
}

static gpg_error_t
project_create(assuan_context_t ctx, char *line)
{
	struct conn *c = assuan_get_pointer(ctx);
	struct cmd_opt opts[] = {
		{ "algo", 1, 0, NULL }, { "uid", 1, 0, NULL }, { "signers", 1, 0, NULL }, { "cert", 1, 0, NULL },
	};
	static const char usage[] = "PROJECT CREATE --algo=<rsa2048|rsa3072|rsa4096|p256|p384|ed25519> --uid=<uid> "
	                            "--signers=<principals> --cert=<path> <name>";
	struct create_req req;
	char *args[2], reason[P11URI_MAX_LEN + 64];
	size_t nargs = 0, i;
	gpg_error_t r;

	memset(&req, 0, sizeof(req));
	if ((r = cmdline_parse(line, opts, 4, args, 2, &nargs)) != 0 || nargs != 1)
		return cmd_fail_parse(ctx, r ? r : gpg_error(GPG_ERR_ASS_PARAMETER), usage);
	for (i = 0; i < 4; i++)
		if (!opts[i].present)
			return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "--%s is missing; usage: %s", opts[i].name, usage);
	if ((r = cmd_require_admin(ctx, "PROJECT CREATE")) != 0)
		return r;
	req.name = args[0];
	req.uid = (char *)opts[1].value;
	req.signers = (char *)opts[2].value;
	req.cert = (char *)opts[3].value;
	if ((req.algo = key_algo_parse(opts[0].value)) == KEY_ALGO_NONE)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "--algo must be " KEY_ALGO_NAMES);
	if (!config_project_name_ok(req.name))
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "not a project name ([A-Za-z0-9._-], 1-64)");
	if (percent_decode(req.uid) != 0 || percent_decode(req.signers) != 0 || percent_decode(req.cert) != 0)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "bad %%-escape in a value (%%XX, two hex digits)");
	if ((r = create_check(ctx, &req)) != 0)
		return r;
	if ((r = cmd_keygen_token(ctx, req.algo, req.name, req.uri, sizeof(req.uri))) != 0)
		return r;
	snprintf(req.created, sizeof(req.created), "%lld", (long long)time(NULL));
	snprintf(reason, sizeof(reason), "created: %s key %s", key_algo_name(req.algo), req.uri);
	if ((r = edit_config(ctx, "PROJECT CREATE", req.name, apply_create, &req, reason)) != 0) {
		log_error("PROJECT CREATE %s by %s: key %s made but not configured: %s", req.name, c->user, req.uri,
		          c->errtext);
		return r;
	}
	if ((r = assuan_write_status(ctx, "KEYURI", req.uri)) != 0)
		return r;
	return assuan_write_status(ctx, "CONFIG", c->pd->config_path);
}

static const char hlp_project[] =
	"PROJECT SET <name> <key>=<value>...\n"
	"PROJECT SHOW <name>\n"
	"PROJECT CREATE --algo=<a> --uid=<uid> --signers=<p> --cert=<path> <name>\n"
	"\n"
	"Admin: change a project's policy in the configuration file, show\n"
	"it, or make a new project (a key on the token and its section).\n"
	"SET changes all keys or none: the result is validated like a\n"
	"reload (the error names file:line), written atomically and put in\n"
	"force.  Settable: signers, hashes, approvers, approvals,\n"
	"approval_wait, hours, rate, second_factor; an empty value removes\n"
	"the key; signers+=user:x / signers-=user:x (also approvers) add or\n"
	"remove one principal.  Values are %-escaped (%20 for a blank, %25\n"
	"for %).  SHOW sends a JSON object: keys (as in the file) and\n"
	"effective (the policy in force, defaults filled in).  CREATE sends\n"
	"S KEYURI and S CONFIG; signet then runs MKCERT.";
static gpg_error_t
cmd_project(assuan_context_t ctx, char *line)
{
	char *args[CMDLINE_MAX_WORDS];
	size_t nargs = 0;
	gpg_error_t r;

	/* CREATE has options after the verb: it parses its own words. */
	if (strncmp(line, "CREATE ", 7) == 0)
		return project_create(ctx, line + 7);
	if ((r = cmdline_parse(line, NULL, 0, args, CMDLINE_MAX_WORDS, &nargs)) != 0 || nargs == 0)
		return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "usage: PROJECT SET|SHOW|CREATE ... (HELP PROJECT)");
	if (strcmp(args[0], "SET") == 0)
		return project_set(ctx, args, nargs);
	if (strcmp(args[0], "SHOW") == 0)
		return project_show(ctx, args, nargs);
	return cmd_fail(ctx, GPG_ERR_ASS_PARAMETER, "PROJECT %.16s: unknown (SET, SHOW or CREATE)", args[0]);
}

const struct cmdtable_entry cmd_project_table[] = {
	{ "PROJECT", cmd_project, hlp_project },
};
const size_t cmd_project_ntable = sizeof(cmd_project_table) / sizeof(cmd_project_table[0]);
