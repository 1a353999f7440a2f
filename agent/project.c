/* project.c — `signet project create|certify|export|list|rotate|upgrade`
 * (set and show: project-policy.c).
 *
 * create: policyd generates the key inside the HSM and adds the project's
 * section to its own signet.conf (PROJECT CREATE: checks first, then the
 * key, then the edit, validated, written atomically and reloaded), then
 * makes the certificate on the HSM (MKCERT: the key is the certify-only
 * primary; policyd generates the signing subkey and keeps its key state).
 * The checks this command can make are made before, for clear messages.
 *
 * rotate / upgrade: policyd does the key work (ROTATE, UPGRADE), writes
 * the certificate and key state and audits; the command shows the result. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "keystate.h"
#include "certinfo.h"
#include "commands.h"
#include "duration.h"
#include "home.h"
#include "p11uri.h"
#include "percent.h"
#include "pd.h"
#include "pgpcert.h"
#include "platform.h"
#include "tsaconf.h"

#define PROJECT_SIGNERS_MAX 4096

struct project_cmd {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv);
};

/* The user ID goes into signet.conf (libinih) and into the certificate:
 * reasons are given for each character class refused. */
static int
check_uid(const char *uid)
{
	size_t i, len = strlen(uid);

	if (len == 0)
		return cli_usage(PROJECT_USAGE, "project create: --uid is empty; give 'Name <mail>'");
	if (len > PGPCERT_MAX_UID)
		return cli_fail("check --uid: %zu bytes, more than %d; shorten it", len, PGPCERT_MAX_UID);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)uid[i];

		if (c < 0x20 || c == 0x7f)
			return cli_fail("check --uid: control character (0x%02x) at byte %zu; use printable "
			                "text only", c, i);
	}
	if (uid[0] == ' ' || uid[len - 1] == ' ')
		return cli_fail("check --uid: leading or trailing space (signet.conf would drop it); remove it");
	/* libinih ends a value at " ;" (inline comment). */
	if (strchr(uid, ';') != NULL)
		return cli_fail("check --uid: ';' is not allowed (signet.conf reads it as a comment); remove it");
	return CLI_EXIT_OK;
}

struct keyuri {
	char uri[P11URI_MAX_LEN + 1];
};

static gpg_error_t
keyuri_cb(void *opaque, const char *keyword, const char *args)
{
	struct keyuri *k = opaque;

	if (strcmp(keyword, "KEYURI") == 0 && strlen(args) <= P11URI_MAX_LEN)
		memcpy(k->uri, args, strlen(args) + 1);
	return 0;
}

/* MKCERT NAME, then show what was made.  Shared by create and certify. */
static int
certify(assuan_context_t ctx, const struct project_conf *p, const char *name)
{
	char cmd[PROJECT_NAME_MAX + 16], reason[512];
	uint8_t *cert = NULL;
	size_t certlen = 0;
	struct certinfo ci;
	gpg_error_t err;
	int rc;

	snprintf(cmd, sizeof(cmd), "MKCERT %s", name);
	reason[0] = '\0';
	err = pdclient_transact(ctx, cmd, &cert, &certlen, NULL, NULL, reason, sizeof(reason));
	if (gpg_err_code(err) == GPG_ERR_EEXIST) {
		rc = cli_fail("make the certificate of %s: %s exists already; `signet project export %s` shows "
		              "it, or move it away and run `signet project certify %s`", name,
		              p ? p->cert : "its file", name, name);
		goto out;
	}
	if (err != 0) {
		rc = cli_fail("make the certificate of %s (MKCERT): %s; see the signet-policyd log, then run "
		              "`signet project certify %s`", name, reason[0] ? reason : gpg_strerror(err), name);
		goto out;
	}
	if ((err = certinfo_parse(cert, certlen, &ci)) != 0) {
		rc = cli_fail("read the new certificate: %s; see the signet-policyd log", gpg_strerror(err));
		goto out;
	}
	printf("project %s: certificate made\n"
	       "  fingerprint  %s\n"
	       "  user id      %s\n"
	       "  key          %s (%u bits), created %lu; certifies only\n"
	       "  signing key  subkey %s\n"
	       "  certificate  %s\n"
	       "publish it with `signet project export %s > %s.asc`; signers set up gpg with\n"
	       "`signet setup --gnupghome DIR --project %s`\n",
	       name, ci.key.fpr, ci.uid, p ? key_algo_name(p->algo) : "rsa", ci.key.bits,
	       (unsigned long)ci.key.created, ci.nsubs > 0 ? ci.subfpr[ci.nsubs - 1] : "(none)",
	       p ? p->cert : "(see signet.conf)", name, name, name);
	/* rpmsign would have the signature made and audited, then fail with
	 * "Unsupported PGP signature". */
	if (p != NULL && (p->algo == KEY_ALGO_P256 || p->algo == KEY_ALGO_P384))
		printf("note: rpm before 4.19 cannot sign or check ECDSA signatures; sign RPMs there with an "
		       "ed25519 or RSA project (signet(1), KEY TYPES)\n");
	rc = CLI_EXIT_OK;
out:
	free(cert);
	return rc;
}

/* What `project create` makes, gathered and checked before KEYGEN. */
struct create_req {
	const char *name;
	const char *uid;
	enum key_algo algo;
	char signers[PROJECT_SIGNERS_MAX];    /* "user:a group:b" */
	int default_signer;                   /* no --signer: the caller */
	char cert[PATH_MAX];
};

/* The command line of `project create` into REQ: CLI_EXIT_OK,
 * CLI_HELP_SHOWN, or the failure's exit code (printed). */
static int
create_parse(struct cli *cli, int argc, char **argv, struct create_req *req)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "algo", required_argument, NULL, 'a' },
		{ "uid", required_argument, NULL, 'u' },
		{ "signer", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct principal *signers = NULL;
	const char *algo_s = NULL;
	char user[128], errtext[256];
	size_t nsigners = 0, spos = 0;
	gpg_error_t err;
	int c, rc, n;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': cli->home_arg = optarg; break;
		case 'a': algo_s = optarg; break;
		case 'u': req->uid = optarg; break;
		case 's':
			n = snprintf(req->signers + spos, sizeof(req->signers) - spos, "%s%s",
			             spos ? " " : "", optarg);
			if (n < 0 || (size_t)n >= sizeof(req->signers) - spos)
				return cli_usage(PROJECT_USAGE, "project create: too many --signer values");
			spos += (size_t)n;
			break;
		case 'h': printf("usage: signet %s\n", PROJECT_USAGE); return CLI_HELP_SHOWN;
		default: return cli_bad_option(PROJECT_USAGE, argc, argv, c);
		}
	}
	if (optind >= argc)
		return cli_usage(PROJECT_USAGE, "project create: the project NAME is missing");
	if (optind + 1 != argc)
		return cli_usage(PROJECT_USAGE, "project create: unexpected argument '%s'", argv[optind + 1]);
	req->name = argv[optind];
	if (!config_project_name_ok(req->name))
		return cli_fail("check project name '%s': use 1 to %d characters of A-Z a-z 0-9 . _ -; "
		                "choose another name", req->name, PROJECT_NAME_MAX);
	if (tsaconf_is_tsa_object(req->name))
		return cli_fail("check project name '%s': names %s and %s-* are kept for the keys of the time-stamp "
		                "authority (signet tsa init) on the same token; choose another name", req->name,
		                TSACONF_KEY_OBJECT, TSACONF_KEY_OBJECT);
	if (algo_s == NULL)
		return cli_usage(PROJECT_USAGE, "project create: --algo is required (" KEY_ALGO_NAMES ")");
	if ((req->algo = key_algo_parse(algo_s)) == KEY_ALGO_NONE)
		return cli_fail("check --algo '%s': unknown key algorithm; use " KEY_ALGO_NAMES, algo_s);
	if (req->uid == NULL)
		return cli_usage(PROJECT_USAGE, "project create: --uid 'Name <mail>' is required");
	if ((rc = check_uid(req->uid)) != 0)
		return rc;
	if (spos == 0) {
		platform_user_name(getuid(), user, sizeof(user));
		if (user[0] == '#')
			return cli_fail("choose the default signer: your uid %ld has no user name; give --signer",
			                (long)getuid());
		snprintf(req->signers, sizeof(req->signers), "user:%s", user);
		req->default_signer = 1;
	}
	errtext[0] = '\0';
	err = principals_parse(req->signers, &signers, &nsigners, errtext, sizeof(errtext));
	principals_free(signers, nsigners);
	if (err != 0)
		return cli_fail("check --signer '%s': %s; use user:NAME or group:NAME", req->signers,
		                errtext[0] ? errtext : gpg_strerror(err));
	return CLI_EXIT_OK;
}

/* Checked against the home now for clear messages: the name is new,
 * there is room, the certificate path is free (policyd checks again). */
static int
create_prepare(const struct home *h, const struct signet_config *cfg, struct create_req *req)
{
	const struct project_conf *existing;
	char keys[PATH_MAX];
	struct stat st;

	if ((existing = config_find_project(cfg, req->name)) != NULL)
		return cli_fail("create project %s: it already exists in %s (line %d); choose another name "
		                "(`signet project list` shows the projects)", req->name, h->conf, existing->line);
	if (cfg->nprojects >= CONFIG_MAX_PROJECTS)
		return cli_fail("create project %s: %s already has %d projects, the limit; remove unused ones",
		                req->name, h->conf, CONFIG_MAX_PROJECTS);
	if (home_cert_path(h, req->name, req->cert, sizeof(req->cert)) != 0)
		return cli_fail("create project %s: certificate path too long; choose a shorter --home", req->name);
	if (lstat(req->cert, &st) == 0)
		return cli_fail("create project %s: %s exists but no [project %s] is in %s; move that file "
		                "away or choose another name", req->name, req->cert, req->name, h->conf);
	if (keystate_path(req->cert, keys, sizeof(keys)) != 0)
		return cli_fail("create project %s: certificate path too long; choose a shorter --home", req->name);
	if (lstat(keys, &st) == 0)
		return cli_fail("create project %s: %s (the key state of an old project) exists but no [project %s] "
		                "is in %s; move that file away or choose another name", req->name, keys, req->name,
		                h->conf);
	return CLI_EXIT_OK;
}

/* PROJECT CREATE on policyd: it makes the key on the token and adds the
 * section to its configuration (policyd writes its own files); the new
 * key's URI into KEY, the file policyd wrote into CONF. */
static int
create_on_policyd(assuan_context_t ctx, const struct signet_config *cfg, const struct create_req *req,
                  struct keyuri *key)
{
	char uid[3 * PGPCERT_MAX_UID + 1], signers[3 * PROJECT_SIGNERS_MAX + 1], cert[3 * PATH_MAX + 1];
	char *cmd = NULL;
	gpg_error_t err;
	int rc;

	if (req->default_signer)
		printf("no --signer given: %s (you) may sign with project %s\n", req->signers, req->name);
	if (percent_encode(req->uid, uid, sizeof(uid)) != 0 || percent_encode(req->signers, signers, sizeof(signers)) != 0 ||
	    percent_encode(req->cert, cert, sizeof(cert)) != 0 ||
	    asprintf(&cmd, "PROJECT CREATE --algo=%s --uid=%s --signers=%s --cert=%s %s", key_algo_name(req->algo),
	             uid, signers, cert, req->name) < 0)
		return cli_fail("create project %s: out of memory; try again", req->name);
	if (strlen(cmd) >= ASSUAN_LINELENGTH) {
		free(cmd);
		return cli_fail("create project %s: --uid, --signer and the home path make a request longer than "
		                "signet-policyd takes; shorten them", req->name);
	}
	printf("generating a %s key on the HSM token '%s' (this can take a while)...\n",
	       key_algo_name(req->algo), cfg->token ? cfg->token : "?");
	fflush(stdout);
	rc = pd_call(ctx, cmd, NULL, NULL, keyuri_cb, key, "create the project (PROJECT CREATE)", NULL, &err);
	free(cmd);
	if (rc != 0) {
		if (gpg_err_code(err) == GPG_ERR_EEXIST)
			fprintf(stderr, "signet: if a key labelled '%s' is already on the token but no project uses "
			        "it, choose another project name, or delete that key with pkcs11-tool "
			        "(--delete-object --label %s) if it is left over\n", req->name, req->name);
		return rc;
	}
	if (key->uri[0] == '\0')
		return cli_fail("create the project (PROJECT CREATE): signet-policyd sent no KEYURI; see its log (%s)",
		                cfg->log ? cfg->log : "its log file");
	return CLI_EXIT_OK;
}

static int
project_create(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL, *newcfg = NULL;
	assuan_context_t ctx = NULL;
	struct create_req req;
	struct keyuri key = { "" };
	struct home h;
	int rc;

	memset(&req, 0, sizeof(req));
	if ((rc = create_parse(cli, argc, argv, &req)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if ((rc = home_open(cli, &h, &cfg)) != 0 ||
	    (rc = create_prepare(&h, cfg, &req)) != 0 ||
	    (rc = pd_open(cfg->socket, 0, &ctx)) != 0 ||
	    (rc = create_on_policyd(ctx, cfg, &req, &key)) != 0)
		goto out;
	printf("added [project %s] to %s (key %s)\n", req.name, h.conf, key.uri);
	if ((rc = home_load_config(&h, &newcfg)) != 0)
		goto out;
	rc = certify(ctx, config_find_project(newcfg, req.name), req.name);
out:
	if (ctx != NULL)
		pdclient_close(ctx);
	config_free(newcfg);
	config_free(cfg);
	return rc;
}

/* The options of certify, export, rotate and upgrade: --home, and
 * --overlap when OVERLAP is not NULL (rotate). */
static int
parse_project_opts(struct cli *cli, int argc, char **argv, const char **overlap)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "overlap", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': cli->home_arg = optarg; break;
		case 'o':
			if (overlap == NULL)
				return cli_usage(PROJECT_USAGE, "project %s: unknown option --overlap", argv[0]);
			*overlap = optarg;
			break;
		case 'h': printf("usage: signet %s\n", PROJECT_USAGE); return CLI_HELP_SHOWN;
		default: return cli_bad_option(PROJECT_USAGE, argc, argv, c);
		}
	}
	return CLI_EXIT_OK;
}

/* The start of certify, export, rotate and upgrade: the one project NAME
 * on the command line, the home's config (*CFG, to be freed) and NAME's
 * section in it (*P).  CLI_EXIT_OK, CLI_HELP_SHOWN, or the failure's exit
 * code (printed; VERB names the subcommand). */
static int
open_project(struct cli *cli, int argc, char **argv, const char *verb, const char **overlap,
             struct home *h, struct signet_config **cfg, const struct project_conf **p)
{
	const char *name;
	int rc;

	*cfg = NULL;
	*p = NULL;
	if ((rc = parse_project_opts(cli, argc, argv, overlap)) != CLI_EXIT_OK)
		return rc;
	if (optind >= argc)
		return cli_usage(PROJECT_USAGE, "project %s: the project NAME is missing", argv[0]);
	if (optind + 1 != argc)
		return cli_usage(PROJECT_USAGE, "project %s: unexpected argument '%s'", argv[0], argv[optind + 1]);
	name = argv[optind];
	if (!config_project_name_ok(name))
		return cli_fail("check project name '%s': use 1 to %d characters of A-Z a-z 0-9 . _ -",
		                name, PROJECT_NAME_MAX);
	if ((rc = home_open(cli, h, cfg)) != CLI_EXIT_OK)
		return rc;
	if ((*p = config_find_project(*cfg, name)) == NULL)
		return cli_fail("%s project %s: no such project in %s; see `signet project list`", verb, name,
		                h->conf);
	return CLI_EXIT_OK;
}

static int
project_certify(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	const struct project_conf *p;
	assuan_context_t ctx = NULL;
	struct home h;
	int rc;

	if ((rc = open_project(cli, argc, argv, "certify", NULL, &h, &cfg, &p)) != CLI_EXIT_OK) {
		rc = rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
		goto out;
	}
	if ((rc = pd_open(cfg->socket, 0, &ctx)) != 0)
		goto out;
	rc = certify(ctx, p, p->name);
out:
	if (ctx != NULL)
		pdclient_close(ctx);
	config_free(cfg);
	return rc;
}

/* The project's certificate: from policyd when it runs, else from the file
 * it wrote.  *FROM says which.  Prints and returns CLI_EXIT_FAIL on error;
 * QUIET_MISSING: a missing certificate returns CLI_EXIT_FAIL silently. */
static int
fetch_cert(assuan_context_t ctx, const struct project_conf *p, uint8_t *buf, size_t bufmax,
           size_t *len, const char **from, int quiet_missing)
{
	char cmd[PROJECT_NAME_MAX + 16];
	uint8_t *data = NULL;
	size_t dlen = 0;
	gpg_error_t err;
	int rc;

	*len = 0;
	if (ctx != NULL) {
		snprintf(cmd, sizeof(cmd), "CERT %s", p->name);
		rc = pd_call(ctx, cmd, &data, &dlen, NULL, NULL, quiet_missing ? NULL : "get the certificate (CERT)",
		             "run `signet project certify NAME` if the project has none yet", &err);
		if (rc != 0) {
			free(data);
			return rc;
		}
		if (dlen > bufmax) {
			free(data);
			return cli_fail("get the certificate of %s: %zu bytes, too large; see the signet-policyd log",
			                p->name, dlen);
		}
		memcpy(buf, data, dlen);
		free(data);
		*len = dlen;
		*from = "signet-policyd";
		return CLI_EXIT_OK;
	}
	if ((err = certinfo_read_file(p->cert, buf, bufmax, len)) != 0) {
		if (quiet_missing)
			return CLI_EXIT_FAIL;
		if (gpg_err_code(err) == GPG_ERR_ENOENT)
			return cli_fail("read %s: no certificate yet and signet-policyd is not running; start it "
			                "(`signet start`) and run `signet project certify %s`", p->cert, p->name);
		return cli_fail("read %s: %s; start signet-policyd (`signet start`) and try again",
		                p->cert, gpg_strerror(err));
	}
	*from = p->cert;
	return CLI_EXIT_OK;
}

static int
project_export(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	const struct project_conf *p;
	assuan_context_t ctx = NULL;
	uint8_t cert[PGPCERT_MAX];
	const char *name, *from = NULL;
	char *armored = NULL;
	struct certinfo ci;
	size_t len = 0;
	struct home h;
	gpg_error_t err;
	int rc;

	if ((rc = open_project(cli, argc, argv, "export", NULL, &h, &cfg, &p)) != CLI_EXIT_OK) {
		rc = rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
		goto out;
	}
	name = p->name;
	(void)pd_open(cfg->socket, 1, &ctx);   /* down: the file will do */
	if ((rc = fetch_cert(ctx, p, cert, sizeof(cert), &len, &from, 0)) != 0)
		goto out;
	if ((err = certinfo_parse(cert, len, &ci)) != 0) {
		rc = cli_fail("read the certificate of %s (from %s): %s; remake it (move %s away, then "
		              "`signet project certify %s`)", name, from, gpg_strerror(err), p->cert, name);
		goto out;
	}
	if ((err = pgpcert_armor(cert, len, &armored)) != 0) {
		rc = cli_fail("armor the certificate of %s: %s; try again", name, gpg_strerror(err));
		goto out;
	}
	fputs(armored, stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rc = cli_fail("write the certificate: %s; check where stdout goes", strerror(errno));
		goto out;
	}
	rc = CLI_EXIT_OK;
out:
	free(armored);
	if (ctx != NULL)
		pdclient_close(ctx);
	config_free(cfg);
	return rc;
}

static void
format_signers(const struct project_conf *p, char *out, size_t outlen)
{
	size_t i, pos = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i < p->nsigners; i++) {
		n = snprintf(out + pos, outlen - pos, "%s%s:%s", i ? " " : "",
		             p->signers[i].kind == PRINCIPAL_GROUP ? "group" : "user", p->signers[i].name);
		if (n < 0 || (size_t)n >= outlen - pos)
			return;
		pos += (size_t)n;
	}
}

static int
project_list(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	assuan_context_t ctx = NULL;
	uint8_t cert[PGPCERT_MAX];
	char signers[PROJECT_SIGNERS_MAX];
	const char *from;
	struct certinfo ci;
	struct home h;
	size_t i, len;
	int rc;

	if ((rc = cli_parse_home(cli, argc, argv, PROJECT_USAGE)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if (optind != argc)
		return cli_usage(PROJECT_USAGE, "project list: unexpected argument '%s'", argv[optind]);
	if ((rc = home_open(cli, &h, &cfg)) != 0)
		goto out;
	if (cfg->nprojects == 0) {
		printf("no projects in %s; create one with `signet project create NAME --algo rsa3072 "
		       "--uid 'Name <mail>'`\n", h.conf);
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (pd_open(cfg->socket, 1, &ctx) != CLI_EXIT_OK)
		printf("(signet-policyd is not running at %s: fingerprints come from the certificate files)\n",
		       cfg->socket);
	printf("%-24s %-8s %-40s %s\n", "PROJECT", "ALGO", "FINGERPRINT", "SIGNERS");
	for (i = 0; i < cfg->nprojects; i++) {
		const struct project_conf *p = &cfg->projects[i];
		const char *fpr = "(no certificate)";

		if (fetch_cert(ctx, p, cert, sizeof(cert), &len, &from, 1) == CLI_EXIT_OK &&
		    certinfo_parse(cert, len, &ci) == 0)
			fpr = ci.key.fpr;
		format_signers(p, signers, sizeof(signers));
		printf("%-24s %-8s %-40s %s\n", p->name, key_algo_name(p->algo), fpr, signers);
	}
	rc = CLI_EXIT_OK;
out:
	if (ctx != NULL)
		pdclient_close(ctx);
	config_free(cfg);
	return rc;
}

/* Show the certificate CERT that ROTATE or UPGRADE returned for P. */
static int
show_new_cert(const struct project_conf *p, const uint8_t *cert, size_t len, const char *what)
{
	struct certinfo ci;
	gpg_error_t err;

	if ((err = certinfo_parse(cert, len, &ci)) != 0 || ci.nsubs == 0)
		return cli_fail("read the new certificate of %s: %s; see the signet-policyd log", p->name,
		                err ? gpg_strerror(err) : "it has no signing subkey");
	printf("project %s: %s\n"
	       "  primary key    %s (certifies only; keep using this fingerprint)\n"
	       "  signing subkey %s (current)\n"
	       "  certificate    %s\n"
	       "publish it again (`signet project export %s > %s.asc`): verifiers need the new subkey.\n",
	       p->name, what, ci.key.fpr, ci.subfpr[ci.nsubs - 1], p->cert, p->name, p->name);
	return CLI_EXIT_OK;
}

/* ROTATE or UPGRADE (COMMAND, already formatted) for P, then show it. */
static int
keyop(const struct signet_config *cfg, const struct project_conf *p, const char *command,
      const char *what, const char *verb)
{
	assuan_context_t ctx = NULL;
	uint8_t *cert = NULL;
	size_t len = 0;
	char doing[128];
	int rc;

	snprintf(doing, sizeof(doing), "%s project %s (%s)", verb, p->name, command);
	if ((rc = pd_open(cfg->socket, 0, &ctx)) != 0 ||
	    (rc = pd_call(ctx, command, &cert, &len, NULL, NULL, doing, NULL, NULL)) != 0)
		goto out;
	rc = show_new_cert(p, cert, len, what);
out:
	free(cert);
	if (ctx != NULL)
		pdclient_close(ctx);
	return rc;
}

static int
project_rotate(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	const struct project_conf *p;
	const char *overlap_s = "7d";
	char cmd[PROJECT_NAME_MAX + 64], what[160];
	uint32_t overlap = 0;
	struct home h;
	time_t until;
	int rc;

	if ((rc = open_project(cli, argc, argv, "rotate", &overlap_s, &h, &cfg, &p)) != CLI_EXIT_OK) {
		rc = rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
		goto out;
	}
	if (duration_parse(overlap_s, KEYSTATE_MAX_OVERLAP, &overlap) != 0) {
		rc = cli_fail("check --overlap '%s': want a number and a unit s, m, h or d (30m, 12h, 7d), at most "
		              "366d, or 0", overlap_s);
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "ROTATE --overlap=%lu %s", (unsigned long)overlap, p->name);
	until = time(NULL) + (time_t)overlap;
	snprintf(what, sizeof(what), "new signing subkey; the old one keeps signing for clients set up "
	         "before until %.24s UTC", asctime(gmtime(&until)));
	rc = keyop(cfg, p, cmd, what, "rotate");
out:
	config_free(cfg);
	return rc;
}

static int
project_upgrade(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	const struct project_conf *p;
	char cmd[PROJECT_NAME_MAX + 16];
	struct home h;
	int rc;

	if ((rc = open_project(cli, argc, argv, "upgrade", NULL, &h, &cfg, &p)) != CLI_EXIT_OK) {
		rc = rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "UPGRADE %s", p->name);
	rc = keyop(cfg, p, cmd, "upgraded: signing subkey added, the primary key only certifies from now "
	           "on (old signatures stay valid); signers run `signet setup` again", "upgrade");
out:
	config_free(cfg);
	return rc;
}

static const struct project_cmd project_cmds[] = {
	{ "create", project_create },
	{ "certify", project_certify },
	{ "export", project_export },
	{ "list", project_list },
	{ "rotate", project_rotate },
	{ "upgrade", project_upgrade },
	{ "set", project_set_command },
	{ "show", project_show_command },
};

int
project_command(struct cli *cli, int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return cli_usage(PROJECT_USAGE, "project: which one: create, certify, export, list, rotate, upgrade, set or show?");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: signet %s\n", PROJECT_USAGE);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < sizeof(project_cmds) / sizeof(project_cmds[0]); i++)
		if (strcmp(argv[1], project_cmds[i].name) == 0)
			return project_cmds[i].fn(cli, argc - 1, argv + 1);
	return cli_usage(PROJECT_USAGE, "project: unknown subcommand '%s' (create, certify, export, list, rotate, upgrade, set, show)", argv[1]);
}
