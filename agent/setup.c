/* setup.c — `signet setup`: point the caller's GnuPG home at Signet.
 *
 * gpg-agent gets signet-scd as its scdaemon; signet-scd gets the policyd
 * socket and the virtual card's serial; gpg gets each project certificate
 * and gpg-agent the card's key stubs (one per usable signing subkey).  No
 * ownertrust is set: signing needs none, and whom to trust for
 * verification is the user's decision.  Signing keys are named by the
 * primary fingerprint without '!', so gpg picks the newest signing subkey
 * it has a stub for and keeps working across a rotation.  Everything is re-done on each run, so
 * running it again repairs a home and changes nothing in a good one. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certinfo.h"
#include "commands.h"
#include "dotfile.h"
#include "home.h"
#include "pd.h"
#include "platform.h"
#include "run.h"
#include "serial.h"
#include "setup-programs.h"
#include "signet-err.h"
#include "trustpath.h"

#define SETUP_SCD_CONF   "signet-scd.conf"
#define SETUP_AGENT_CONF "gpg-agent.conf"
#define SETUP_LINE_MAX   199   /* libinih line limit of signet-scd.conf */

struct setup_project {
	struct pd_key key;                  /* the current signing key (first KEYLIST line) */
	char primary[PGPKEY_FPR_HEX];       /* the certificate's primary key */
	uint8_t cert[PGPCERT_MAX];
	size_t certlen;
	char uid[PGPCERT_MAX_UID + 1];
};

struct setup_tools {
	char gpg[PATH_MAX];
	char gpgconf[PATH_MAX];
	char connect[PATH_MAX];
	char scd[PATH_MAX];
};

struct setup {
	char gnupghome[PATH_MAX];
	const char *socket;
	char serial[SERIAL_HEX_LEN + 1];
	char user[128];
	struct setup_tools tools;
	struct run_env env;
	struct setup_project *projects;
	size_t nprojects;
	int desktop;                        /* --desktop: signet-scd's desktop notice */
	int git, git_global, rpm, debsign;  /* --git [--global], --rpm, --debsign */
	int named;                          /* projects[] follows --project */
};

static int
find_tools(const struct cli *cli, struct setup_tools *t)
{
	gpg_error_t err;

	if ((err = cli_sibling(cli, "signet-scd", t->scd, sizeof(t->scd))) != 0)
		return cli_fail("find signet-scd in %s: %s; build it (`make`) or install signet completely",
		                cli->bindir, gpg_strerror(err));
	if (run_find_program("gpg", t->gpg, sizeof(t->gpg)) != 0 ||
	    run_find_program("gpgconf", t->gpgconf, sizeof(t->gpgconf)) != 0 ||
	    run_find_program("gpg-connect-agent", t->connect, sizeof(t->connect)) != 0)
		return cli_fail("find gpg, gpgconf and gpg-connect-agent in $PATH: not found; install GnuPG 2.2 "
		                "or later (Debian: apt-get install gnupg)");
	return CLI_EXIT_OK;
}

/* Absolute GnuPG home, created 0700 when missing. */
static int
prepare_gnupghome(const char *arg, char *out, size_t outlen)
{
	char cwd[PATH_MAX], *real;
	struct stat st;
	int n;

	if (arg[0] == '/') {
		n = snprintf(out, outlen, "%s", arg);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return cli_fail("find the current folder: %s; give --gnupghome as an absolute path",
			                strerror(errno));
		n = snprintf(out, outlen, "%s/%s", cwd, arg);
	}
	if (n < 0 || (size_t)n >= outlen)
		return cli_fail("use --gnupghome %s: path too long; choose a shorter one", arg);
	if (stat(out, &st) != 0) {
		if (errno != ENOENT)
			return cli_fail("check %s: %s; choose another --gnupghome", out, strerror(errno));
		if (mkdir(out, 0700) != 0)
			return cli_fail("create %s: %s; create its parent folder first", out, strerror(errno));
		printf("created %s (mode 0700)\n", out);
	} else if (!S_ISDIR(st.st_mode)) {
		return cli_fail("use --gnupghome %s: not a folder; choose another one", out);
	} else if (st.st_uid != geteuid()) {
		return cli_fail("use --gnupghome %s: owned by uid %ld, not by you; gpg refuses such homes, "
		                "use one of your own", out, (long)st.st_uid);
	} else if (st.st_mode & 077) {
		fprintf(stderr, "signet: warning: %s is accessible to other users (mode %03o); gpg will warn, "
		        "consider `chmod 700 %s`\n", out, (unsigned)(st.st_mode & 0777), out);
	}
	/* gpg-agent's socket goes into the home (or /run/user); canonical name
	 * keeps the path short and stable. */
	if ((real = realpath(out, NULL)) != NULL) {
		if (strlen(real) < outlen)
			memcpy(out, real, strlen(real) + 1);
		free(real);
	}
	return CLI_EXIT_OK;
}

static int
write_confs(struct setup *s)
{
	static const char *const agent_drop[] = { "scdaemon-program", "disable-scdaemon" };
	static const char *const scd_drop[] = { "policyd_socket", "serial", "desktop_notice" };
	char path[PATH_MAX], add[2 * PATH_MAX];
	int n, rc;

	n = snprintf(path, sizeof(path), "%s/%s", s->gnupghome, SETUP_AGENT_CONF);
	if (n < 0 || (size_t)n >= sizeof(path))
		return cli_fail("write gpg-agent.conf: path too long; choose a shorter --gnupghome");
	snprintf(add, sizeof(add), "scdaemon-program %s\n", s->tools.scd);
	if ((rc = dotfile_set_lines(path, agent_drop, 2, add, 0600)) != 0)
		return rc;
	n = snprintf(path, sizeof(path), "%s/%s", s->gnupghome, SETUP_SCD_CONF);
	if (n < 0 || (size_t)n >= sizeof(path))
		return cli_fail("write %s: path too long; choose a shorter --gnupghome", SETUP_SCD_CONF);
	if (strlen("policyd_socket = ") + strlen(s->socket) > SETUP_LINE_MAX)
		return cli_fail("write %s: the socket path %s is too long for the file (%d characters a line); "
		                "use a shorter socket path", path, s->socket, SETUP_LINE_MAX);
	/* The desktop notice only on request: in loopback/batch mode
	 * gpg-agent cancels it, and the signature with it.  Without
	 * --desktop a run of setup turns it off again. */
	snprintf(add, sizeof(add), "policyd_socket = %s\nserial = %s\n%s", s->socket, s->serial,
	         s->desktop ? "desktop_notice = yes\n" : "");
	return dotfile_set_lines(path, scd_drop, 3, add, 0644);
}

/* Run a GnuPG tool, output captured; on failure print it and fail. */
static int
gnupg_run(struct setup *s, const char *prog, char *const argv[], const void *in, size_t inlen,
          char **outp, const char *what, const char *todo)
{
	char *out = NULL;
	gpg_error_t err;
	int status = -1;

	if (outp != NULL)
		*outp = NULL;
	err = run_program(prog, argv, &s->env, in, inlen, &out, &status);
	if (err != 0)
		return cli_fail("%s: cannot run %s: %s; check your GnuPG installation", what, prog, gpg_strerror(err));
	if (status != 0) {
		if (out != NULL && out[0] != '\0')
			fprintf(stderr, "%s", out);
		free(out);
		return cli_fail("%s: %s exited with status %d; %s", what, argv[0], status, todo);
	}
	if (outp != NULL)
		*outp = out;
	else
		free(out);
	return CLI_EXIT_OK;
}

static int
stop_agent(struct setup *s)
{
	char *argv[] = { "gpgconf", "--homedir", s->gnupghome, "--kill", "gpg-agent", NULL };

	/* The agent reads scdaemon-program only when it starts. */
	return gnupg_run(s, s->tools.gpgconf, argv, NULL, 0, NULL, "stop the gpg-agent of the GnuPG home",
	                 "stop it by hand (`gpgconf --homedir DIR --kill gpg-agent`) and run setup again");
}

static int
import_certs(struct setup *s)
{
	char *imp[] = { "gpg", "--homedir", s->gnupghome, "--batch", "--no-tty", "--import", NULL };
	size_t i;
	int rc;

	for (i = 0; i < s->nprojects; i++)
		if ((rc = gnupg_run(s, s->tools.gpg, imp, s->projects[i].cert, s->projects[i].certlen, NULL,
		                    "import the project certificate", "see gpg's messages above")) != 0)
			return rc;
	return CLI_EXIT_OK;
}

/* Signet 0.1's setup made each project key ultimately trusted, which let
 * any key it certified look valid.  Set such an entry back to "undefined"
 * (gpg has no way to delete one), saying so; other ownertrust is the
 * user's and is left alone. */
static int
drop_old_trust(struct setup *s)
{
	char *exp[] = { "gpg", "--homedir", s->gnupghome, "--batch", "--no-tty", "--export-ownertrust", NULL };
	char *imp[] = { "gpg", "--homedir", s->gnupghome, "--batch", "--no-tty", "--import-ownertrust", NULL };
	char *out = NULL, *lines = NULL, want[PGPKEY_FPR_HEX + 8], fix[PGPKEY_FPR_HEX + 8];
	size_t i, len;
	int rc;

	if ((rc = gnupg_run(s, s->tools.gpg, exp, NULL, 0, &out, "read gpg's ownertrust",
	                    "see gpg's messages above")) != 0)
		return rc;
	len = out != NULL ? strlen(out) : 0;
	if ((lines = malloc(len + 2)) == NULL) {
		free(out);
		return cli_fail("read gpg's ownertrust: out of memory; try again");
	}
	snprintf(lines, len + 2, "\n%s", out != NULL ? out : "");
	for (i = 0; i < s->nprojects && rc == 0; i++) {
		snprintf(want, sizeof(want), "\n%s:6:\n", s->projects[i].primary);
		if (strstr(lines, want) == NULL)
			continue;
		snprintf(fix, sizeof(fix), "%s:2:\n", s->projects[i].primary);
		printf("removed the ultimate ownertrust an earlier signet setup gave project %s (%s); whom to "
		       "trust when verifying is your decision\n", s->projects[i].key.project, s->projects[i].primary);
		rc = gnupg_run(s, s->tools.gpg, imp, fix, strlen(fix), NULL, "reset the ownertrust",
		               "see gpg's messages above");
	}
	free(lines);
	free(out);
	return rc;
}

/* GnuPG 2.4's gpg-agent does not start with an option it does not know in
 * gpg-agent.conf (2.2 warned and went on), and gpg then says no more than
 * "failed to start gpg-agent".  So ask gpgconf whether the agent takes the
 * file ("gpg-agent:DESCRIPTION:PROGRAM:RUNTIME:OKAY:"), and when it does
 * not, let the agent's own test name the line. */
static int
check_agent_conf(struct setup *s)
{
	char *chk[] = { "gpgconf", "--homedir", s->gnupghome, "--check-options", "gpg-agent", NULL };
	char *test[] = { "gpg-agent", "--homedir", s->gnupghome, "--gpgconf-test", NULL };
	char *out = NULL, *line, *save = NULL, *f[5] = { NULL }, *fs;
	char todo[PATH_MAX + 160];
	int rc, i;

	if ((rc = gnupg_run(s, s->tools.gpgconf, chk, NULL, 0, &out, "check gpg-agent.conf",
	                    "see gpgconf's messages above")) != 0)
		return rc;
	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "gpg-agent:", 10) == 0)
			break;
	for (i = 0, fs = line; fs != NULL && i < 5; i++)
		f[i] = strsep(&fs, ":");
	rc = CLI_EXIT_OK;
	if (f[4] != NULL && strcmp(f[4], "0") == 0 && f[2][0] == '/') {
		snprintf(todo, sizeof(todo), "gpg-agent refuses %s/%s (the line named above): fix or remove "
		         "that line, then run setup again", s->gnupghome, SETUP_AGENT_CONF);
		if ((rc = gnupg_run(s, f[2], test, NULL, 0, NULL, "check gpg-agent.conf", todo)) == CLI_EXIT_OK)
			rc = cli_fail("check gpg-agent.conf: %s", todo);
	}
	free(out);
	return rc;
}

static int
card_status(struct setup *s)
{
	char *argv[] = { "gpg", "--homedir", s->gnupghome, "--batch", "--no-tty", "--card-status", NULL };
	char todo[PATH_MAX + 128];

	snprintf(todo, sizeof(todo), "gpg-agent could not use signet-scd; see %s/signet-scd.log and "
	         "check `signet status`", s->gnupghome);
	return gnupg_run(s, s->tools.gpg, argv, NULL, 0, NULL, "read the virtual card (gpg --card-status)", todo);
}

/* Ask gpg-agent about the stub of GRIP: 1 present for our serial, 0 missing,
 * 2 present but bound to another serial; -1 on failure (printed). */
static int
stub_state(struct setup *s, const char *grip)
{
	char cmd[64], *out = NULL, want[128], *line;
	char *argv[] = { "gpg-connect-agent", "--homedir", s->gnupghome, cmd, "/bye", NULL };
	int state = 0;

	snprintf(cmd, sizeof(cmd), "KEYINFO %s", grip);
	if (gnupg_run(s, s->tools.connect, argv, NULL, 0, &out, "ask gpg-agent for the key stub",
	              "see the messages above") != 0)
		return -1;
	/* "S KEYINFO <grip> T <serial> <keyref> ..." for a card stub. */
	snprintf(want, sizeof(want), "S KEYINFO %s T ", grip);
	for (line = out; line != NULL && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, want, strlen(want)) == 0) {
			state = strncmp(line + strlen(want), s->serial, SERIAL_HEX_LEN) == 0 ? 1 : 2;
			break;
		}
	}
	free(out);
	return state;
}

static int
delete_stub(struct setup *s, const char *grip)
{
	char cmd[80];
	char *argv[] = { "gpg-connect-agent", "--homedir", s->gnupghome, cmd, "/bye", NULL };

	/* scd-protocol §11.3: a stub bound to another serial is only
	 * re-bound by deleting it and learning the card again. */
	snprintf(cmd, sizeof(cmd), "DELETE_KEY --force %s", grip);
	return gnupg_run(s, s->tools.connect, argv, NULL, 0, NULL, "remove an old key stub",
	                 "remove it by hand with gpg-connect-agent 'DELETE_KEY --force GRIP' /bye");
}

static int
check_stubs(struct setup *s)
{
	size_t i;
	int st, rc, relearn = 0;

	for (i = 0; i < s->nprojects; i++) {
		st = stub_state(s, s->projects[i].key.grip);
		if (st < 0)
			return CLI_EXIT_FAIL;
		if (st == 2) {
			printf("the stub of %s names an older card serial; renewing it\n", s->projects[i].key.project);
			if ((rc = delete_stub(s, s->projects[i].key.grip)) != 0)
				return rc;
			relearn = 1;
		}
	}
	if (relearn && (rc = card_status(s)) != 0)
		return rc;
	for (i = 0; i < s->nprojects; i++) {
		st = stub_state(s, s->projects[i].key.grip);
		if (st < 0)
			return CLI_EXIT_FAIL;
		if (st != 1)
			return cli_fail("check the key stub of project %s (keygrip %s): gpg-agent has %s; see %s/"
			                "signet-scd.log and run `gpg --homedir %s --card-status` to see the card",
			                s->projects[i].key.project, s->projects[i].key.grip,
			                st == 0 ? "none" : "one for another card serial", s->gnupghome, s->gnupghome);
	}
	return CLI_EXIT_OK;
}

/* SETUP [PROJECT] for a project KEYLIST did not offer (NULL: KEYLIST
 * offered none): policyd refuses and audits it, and says why.  Always
 * CLI_EXIT_FAIL. */
static int
ask_setup(const struct setup *s, assuan_context_t ctx, const char *project)
{
	char cmd[PROJECT_NAME_MAX + 16], reason[512];
	gpg_error_t err;

	snprintf(cmd, sizeof(cmd), "SETUP%s%s", project ? " " : "", project ? project : "");
	reason[0] = '\0';
	err = pdclient_transact(ctx, cmd, NULL, NULL, NULL, NULL, reason, sizeof(reason));
	if (err == 0)   /* a signer since KEYLIST: the next run picks it up */
		return cli_fail("set up project %s: you became a signer meanwhile; run signet setup again",
		                project ? project : "-");
	if (project == NULL)
		return cli_fail("set up signing: you (%s) may not sign with any project on signet-policyd at "
		                "%s; ask the Signet admin to add user:%s to a project's signers",
		                s->user, s->socket, s->user);
	if (gpg_err_code(err) == SIGNET_ERR_NO_KEY)
		return cli_fail("set up project %s: no such project on signet-policyd at %s; `signet status` "
		                "lists the projects you may sign with", project, s->socket);
	return cli_fail("set up project %s: %s; ask the Signet admin to add user:%s (or one of your groups) "
	                "to its signers", project, reason[0] ? reason : gpg_strerror(err), s->user);
}

/* Which projects: KEYLIST, narrowed by --project (each must be there). */
static int
choose_projects(struct setup *s, assuan_context_t ctx, char **want, size_t nwant)
{
	struct pd_key *keys = NULL;
	size_t n = 0, i, j;
	int rc;

	if ((keys = calloc(PD_MAX_KEYS, sizeof(*keys))) == NULL ||
	    (s->projects = calloc(CONFIG_MAX_PROJECTS, sizeof(*s->projects))) == NULL) {
		rc = cli_fail("list keys: out of memory; try again");
		goto out;
	}
	if ((rc = pd_keylist(ctx, keys, PD_MAX_KEYS, &n)) != 0)
		goto out;
	if (nwant == 0) {
		if (n == 0) {
			/* Asked of policyd, so that the refusal is audited. */
			rc = ask_setup(s, ctx, NULL);
			goto out;
		}
		/* KEYLIST gives each project's current key first, then old
		 * ones still in their rotation overlap: keep the first. */
		for (i = 0; i < n; i++)
			if ((i == 0 || strcmp(keys[i].project, keys[i - 1].project) != 0) &&
			    s->nprojects < CONFIG_MAX_PROJECTS)
				s->projects[s->nprojects++].key = keys[i];
		rc = CLI_EXIT_OK;
		goto out;
	}
	s->named = 1;
	for (j = 0; j < nwant; j++) {
		int dup = 0;

		for (i = 0; i < n; i++)
			if (strcmp(keys[i].project, want[j]) == 0)
				break;
		if (i < n) {
			size_t k;

			for (k = 0; k < s->nprojects; k++)
				if (strcmp(s->projects[k].key.project, want[j]) == 0)
					dup = 1;
			if (!dup)
				s->projects[s->nprojects++].key = keys[i];
			continue;
		}
		/* Not in our list: unknown, or not ours to use?  policyd
		 * says which (and audits the refusal). */
		rc = ask_setup(s, ctx, want[j]);
		goto out;
	}
	rc = CLI_EXIT_OK;
out:
	free(keys);
	return rc;
}

static int
fetch_certs(struct setup *s, assuan_context_t ctx)
{
	char cmd[PROJECT_NAME_MAX + 16];
	struct certinfo ci;
	uint8_t *data = NULL;
	size_t i, len = 0;
	gpg_error_t err;
	int rc;

	for (i = 0; i < s->nprojects; i++) {
		struct setup_project *p = &s->projects[i];

		snprintf(cmd, sizeof(cmd), "CERT %s", p->key.project);
		if ((rc = pd_call(ctx, cmd, &data, &len, NULL, NULL, "get the project certificate (CERT)",
		                  "ask the Signet admin to run `signet project certify NAME`", NULL)) != 0)
			return rc;
		if (len > sizeof(p->cert) || (err = certinfo_parse(data, len, &ci)) != 0) {
			free(data);
			return cli_fail("read the certificate of %s: malformed; ask the Signet admin to check it "
			                "(`signet project export %s`)", p->key.project, p->key.project);
		}
		/* The card's key is a subkey of the certificate (a 0.1 project
		 * not upgraded yet: its primary). */
		if (strcmp(ci.key.fpr, p->key.fpr) != 0 && !certinfo_has_subkey(&ci, p->key.fpr)) {
			free(data);
			return cli_fail("check the certificate of %s (primary %s): the card key %s is not in it; "
			                "ask the Signet admin to check it (`signet project export %s`)",
			                p->key.project, ci.key.fpr, p->key.fpr, p->key.project);
		}
		memcpy(p->primary, ci.key.fpr, sizeof(p->primary));
		memcpy(p->cert, data, len);
		p->certlen = len;
		memcpy(p->uid, ci.uid, sizeof(p->uid));
		free(data);
		data = NULL;
	}
	return CLI_EXIT_OK;
}

static int
is_default_gnupghome(const char *dir)
{
	const char *home = getenv("HOME");
	struct passwd *pw;
	char def[PATH_MAX], *real;
	int same = 0;

	if (home == NULL || home[0] == '\0') {
		pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (home == NULL)
		return 0;
	if (snprintf(def, sizeof(def), "%s/.gnupg", home) >= (int)sizeof(def))
		return 0;
	if ((real = realpath(def, NULL)) != NULL) {
		same = strcmp(real, dir) == 0;
		free(real);
	} else {
		same = strcmp(def, dir) == 0;
	}
	return same;
}

static void
print_summary(const struct setup *s)
{
	size_t i;
	int dflt = is_default_gnupghome(s->gnupghome);

	printf("\nGnuPG home %s now signs through Signet (card serial %s).\n", s->gnupghome, s->serial);
	if (!dflt)
		printf("In your shell:\n  export GNUPGHOME=%s\n", s->gnupghome);
	if (s->desktop)
		printf("A signature that waits for approvers shows a pinentry message "
		       "(--desktop; with --pinentry-mode loopback it is cancelled).\n");
	for (i = 0; i < s->nprojects; i++) {
		const struct setup_project *p = &s->projects[i];

		printf("\nproject %s: %s\n  fingerprint %s (signing subkey %s)\n"
		       "  git:  git config user.signingkey %s\n"
		       "        git config gpg.program gpg\n"
		       "  gpg:  gpg -u %s --detach-sign FILE\n",
		       p->key.project, p->uid, p->primary, p->key.fpr, p->primary, p->primary);
	}
	if (!s->git && !s->rpm && !s->debsign)
		printf("\nsetup can write git's, rpm's and debsign's settings for you: add --git [--global], "
		       "--rpm, --debsign.\n");
}

/* --git, --rpm, --debsign: for the one project set up (or named first
 * with --project), with its current signing key. */
static int
setup_signers(const struct setup *s)
{
	const struct setup_project *p;
	struct setup_signer sg;
	size_t i;
	int rc;

	if (!s->git && !s->rpm && !s->debsign)
		return CLI_EXIT_OK;
	if (s->nprojects != 1 && !s->named) {
		fprintf(stderr, "signet: --git, --rpm and --debsign sign with one project, and you may sign with %zu:",
		        s->nprojects);
		for (i = 0; i < s->nprojects; i++)
			fprintf(stderr, " %s", s->projects[i].key.project);
		return cli_fail("; name it first with --project NAME");
	}
	p = &s->projects[0];
	memset(&sg, 0, sizeof(sg));
	sg.gnupghome = s->gnupghome;
	sg.default_home = is_default_gnupghome(s->gnupghome);
	sg.gpg = s->tools.gpg;
	sg.env = &s->env;
	snprintf(sg.keyid, sizeof(sg.keyid), "%s!", p->key.fpr);
	printf("\nSigning programs use project %s, key %s:\n", p->key.project, sg.keyid);
	if ((s->git && (rc = setup_programs_git(&sg, s->git_global)) != 0) ||
	    (s->rpm && (rc = setup_programs_rpm(&sg)) != 0) ||
	    (s->debsign && (rc = setup_programs_debsign(&sg)) != 0))
		return rc;
	printf("After a key rotation of %s, run this setup again: it names the signing key itself.\n",
	       p->key.project);
	return CLI_EXIT_OK;
}

/* The command line of `signet setup`. */
struct setup_args {
	const char *gnupghome;
	char *want[CONFIG_MAX_PROJECTS];   /* --project NAME, in order */
	size_t nwant;
};

/* Parse ARGV into A (and --socket into S): CLI_EXIT_OK, CLI_HELP_SHOWN, or
 * the failure's exit code (printed). */
static int
setup_parse(struct cli *cli, int argc, char **argv, struct setup *s, struct setup_args *a)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "gnupghome", required_argument, NULL, 'g' },
		{ "project", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 'S' },
		{ "desktop", no_argument, NULL, 'd' },
		{ "git", no_argument, NULL, 'G' },
		{ "global", no_argument, NULL, 'L' },
		{ "rpm", no_argument, NULL, 'R' },
		{ "debsign", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': cli->home_arg = optarg; break;
		case 'g': a->gnupghome = optarg; break;
		case 'S': s->socket = optarg; break;
		case 'd': s->desktop = 1; break;
		case 'G': s->git = 1; break;
		case 'L': s->git_global = 1; break;
		case 'R': s->rpm = 1; break;
		case 'D': s->debsign = 1; break;
		case 'p':
			if (a->nwant >= CONFIG_MAX_PROJECTS)
				return cli_usage(SETUP_USAGE, "setup: too many --project options");
			if (!config_project_name_ok(optarg))
				return cli_fail("check --project '%s': not a valid project name (A-Z a-z 0-9 . _ -, at "
				                "most %d); see `signet status`", optarg, PROJECT_NAME_MAX);
			a->want[a->nwant++] = optarg;
			break;
		case 'h': printf("usage: signet %s\n", SETUP_USAGE); return CLI_HELP_SHOWN;
		default: return cli_bad_option(SETUP_USAGE, argc, argv, c);
		}
	}
	if (optind != argc)
		return cli_usage(SETUP_USAGE, "setup: unexpected argument '%s'", argv[optind]);
	if (a->gnupghome == NULL || a->gnupghome[0] == '\0')
		return cli_usage(SETUP_USAGE, "setup: --gnupghome DIR is required");
	if (s->git_global && !s->git)
		return cli_usage(SETUP_USAGE, "setup: --global goes with --git");
	return CLI_EXIT_OK;
}

/* Ask policyd first: the card serial, the projects the caller may sign
 * with (WANT, or all of them) and their certificates.  Nothing in the GnuPG
 * home changes when this fails. */
static int
ask_policyd(struct setup *s, char **want, size_t nwant)
{
	assuan_context_t ctx = NULL;
	int rc;

	if ((rc = pd_open(s->socket, 0, &ctx)) != 0)
		return rc;
	if ((rc = pd_getinfo(ctx, "serialno", s->serial, sizeof(s->serial))) != 0)
		goto out;
	if (!serial_is_valid(s->serial)) {
		rc = cli_fail("read the card serial: '%s' is not a valid OpenPGP card serial; check that %s is a "
		              "signet-policyd socket", s->serial, s->socket);
		goto out;
	}
	if ((rc = choose_projects(s, ctx, want, nwant)) != 0)
		goto out;
	rc = fetch_certs(s, ctx);
out:
	pdclient_close(ctx);
	return rc;
}

int
setup_command(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	struct setup_args a;
	struct setup s;
	struct home h;
	char why[TRUSTPATH_MAX_WHY];
	gpg_error_t err;
	int rc;

	memset(&s, 0, sizeof(s));
	memset(&a, 0, sizeof(a));
	if ((rc = setup_parse(cli, argc, argv, &s, &a)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if (s.socket == NULL) {
		if ((err = home_paths(cli_home(cli), &h)) != 0)
			return cli_fail("use home %s: %s; give --socket PATH", cli_home(cli), gpg_strerror(err));
		if ((rc = home_load_config(&h, &cfg)) != 0)
			return rc;
		s.socket = cfg->socket;
	}
	/* The socket signet-scd will be pointed at: never one in a folder
	 * someone else controls (they could answer as policyd). */
	if (trustpath_check_socket_dir(s.socket, geteuid(), why, sizeof(why)) != 0) {
		rc = cli_fail("refusing the policyd socket %s: %s", s.socket, why);
		goto out;
	}
	platform_user_name(getuid(), s.user, sizeof(s.user));
	if ((rc = find_tools(cli, &s.tools)) != 0 ||
	    (rc = ask_policyd(&s, a.want, a.nwant)) != 0 ||
	    (rc = prepare_gnupghome(a.gnupghome, s.gnupghome, sizeof(s.gnupghome))) != 0)
		goto out;
	if ((err = run_env_init(&s.env)) != 0 || (err = run_env_set(&s.env, "GNUPGHOME", s.gnupghome)) != 0) {
		rc = cli_fail("prepare the environment: %s; try again", gpg_strerror(err));
		goto out;
	}
	if ((rc = write_confs(&s)) != 0 || (rc = check_agent_conf(&s)) != 0 || (rc = stop_agent(&s)) != 0 ||
	    (rc = import_certs(&s)) != 0 ||
	    (rc = drop_old_trust(&s)) != 0 ||
	    (rc = card_status(&s)) != 0 || (rc = check_stubs(&s)) != 0)
		goto out;
	print_summary(&s);
	rc = setup_signers(&s);
out:
	run_env_clear(&s.env);
	free(s.projects);
	config_free(cfg);
	return rc;
}
