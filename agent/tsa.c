/* tsa.c — `signet tsa init|url|ca`: the embedded default's time-stamp
 * authority (signet-tsa(8)) for a home.
 *
 * `tsa init` writes DIR/tsa.conf once (tsaconf-write.c) and then lets
 * signet-tsa itself make the key on the token and the certificate
 * (--init), or a CSR (--init --csr), or take a CA's answer (--import): the
 * key material and the PIN stay with the programs that use the token. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "home.h"
#include "readfile.h"
#include "run.h"
#include "tsa-stamp.h"
#include "tsaconf.h"
#include "tsad.h"

#define TSA_PEM_MAX (256 * 1024)  /* signet-tsa's TSA_MAX_PEM */

struct init_opts {
	const char *algo;          /* ecp256 | rsa3072, or NULL: signet-tsa's default */
	unsigned port;             /* 0: not given */
	const char *csr;
	const char *cert;
	const char *ca;
	const char *clock_check;   /* NULL: decide from the clock */
};

/* PATH as an absolute name into OUT: the child runs in our folder, but a
 * name starting with '-' must never look like an option to it. */
static int
absolute_path(const char *path, char *out, size_t outlen)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/') {
		n = snprintf(out, outlen, "%s", path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return cli_fail("find the current folder: %s; run from a folder that exists", strerror(errno));
		n = snprintf(out, outlen, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
	}
	if (n < 0 || (size_t)n >= outlen)
		return cli_fail("use %s: path too long; choose a shorter name", path);
	return CLI_EXIT_OK;
}

static int
parse_init(struct cli *cli, int argc, char **argv, struct init_opts *o)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "algo", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "csr", required_argument, NULL, 'r' },
		{ "cert", required_argument, NULL, 'c' },
		{ "ca", required_argument, NULL, 'C' },
		{ "clock-check", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': cli->home_arg = optarg; break;
		case 'h': printf("usage: signet %s\n", TSA_USAGE); return CLI_HELP_SHOWN;
		case 'a':
			if (strcmp(optarg, "ecp256") != 0 && strcmp(optarg, "rsa3072") != 0)
				return cli_usage(TSA_USAGE, "tsa init: --algo %s: use ecp256 or rsa3072", optarg);
			o->algo = optarg;
			break;
		case 'p':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' || v == 0 || v > 65535)
				return cli_usage(TSA_USAGE, "tsa init: --port %s: not a TCP port (1-65535)", optarg);
			o->port = (unsigned)v;
			break;
		case 'r': o->csr = optarg; break;
		case 'c': o->cert = optarg; break;
		case 'C': o->ca = optarg; break;
		case 'k':
			if (strcmp(optarg, "adjtimex") != 0 && strcmp(optarg, "none") != 0)
				return cli_usage(TSA_USAGE, "tsa init: --clock-check %s: use adjtimex or none", optarg);
			o->clock_check = optarg;
			break;
		default: return cli_bad_option(TSA_USAGE, argc, argv, c);
		}
	}
	if (optind != argc)
		return cli_usage(TSA_USAGE, "tsa init: unexpected argument '%s'", argv[optind]);
	if ((o->cert != NULL) != (o->ca != NULL))
		return cli_usage(TSA_USAGE, "tsa init: --cert and --ca go together (the CA's answer to the CSR "
		                 "and the CA certificate that verifies it)");
	if (o->cert != NULL && o->csr != NULL)
		return cli_usage(TSA_USAGE, "tsa init: --csr makes a request, --cert imports the answer; "
		                 "use one at a time");
	if (o->cert != NULL && o->algo != NULL)
		return cli_usage(TSA_USAGE, "tsa init: --algo is for the key, made by the first run; "
		                 "leave it out with --cert");
	return CLI_EXIT_OK;
}

/* An existing tsa.conf is kept; options that would change it are refused
 * rather than ignored. */
static int
check_existing(const struct home *h, const struct init_opts *o)
{
	struct tsaconf tc;
	char err[512];
	unsigned port = 0;
	gpg_error_t rc;

	if ((rc = tsaconf_read(h->tsa_conf, &tc, err, sizeof(err))) != 0)
		return cli_fail("read %s: %s; fix the file (signet-tsa(8)) or remove it and run `signet tsa init` "
		                "again", h->tsa_conf, err[0] ? err : gpg_strerror(rc));
	if (o->port != 0 && (tsaconf_port(&tc, &port) != 0 || port != o->port))
		return cli_fail("tsa init --port %u: %s already exists with listen = %s; to change the port, edit "
		                "listen in %s (then `signet stop` and `signet start`)",
		                o->port, h->tsa_conf, tc.listen, h->tsa_conf);
	if (o->clock_check != NULL && strcmp(tc.clock_check[0] ? tc.clock_check : "adjtimex", o->clock_check) != 0)
		return cli_fail("tsa init --clock-check %s: %s already exists with clock_check = %s; to change it, "
		                "edit clock_check in %s (then `signet stop` and `signet start`)", o->clock_check,
		                h->tsa_conf, tc.clock_check[0] ? tc.clock_check : "adjtimex", h->tsa_conf);
	printf("%s exists; kept as it is\n", h->tsa_conf);
	return CLI_EXIT_OK;
}

/* A project from before the TSA (or from editing signet.conf by hand)
 * may have a name of the TSA's key family (tsaconf_is_tsa_object()); new
 * ones are refused by `signet project create`. */
static int
check_projects(const struct signet_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nprojects; i++) {
		const char *name = cfg->projects[i].name;

		if (tsaconf_is_tsa_object(name))
			return cli_fail("tsa init: project '%s' has a key object name the TSA's keys use "
			                "(%s, %s-ca); this home cannot have both", name, TSACONF_KEY_OBJECT,
			                TSACONF_KEY_OBJECT);
	}
	return CLI_EXIT_OK;
}

static int
ensure_tsa_dir(const struct home *h)
{
	struct stat st;

	if (lstat(h->tsa_dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return cli_fail("use %s: it exists and is not a folder; remove it and run `signet tsa init` again",
			                h->tsa_dir);
		return CLI_EXIT_OK;
	}
	if (mkdir(h->tsa_dir, 0755) != 0 || chmod(h->tsa_dir, 0755) != 0)
		return cli_fail("create %s: %s; check the permissions of %s", h->tsa_dir, strerror(errno), h->dir);
	printf("created %s/\n", h->tsa_dir);
	return CLI_EXIT_OK;
}

/* signet-tsa --config DIR/tsa.conf --init [--algo A] [--csr F], or
 * --import CERT --ca CA; its output goes straight to ours. */
static int
run_tsa_init(const struct cli *cli, const struct home *h, const struct init_opts *o)
{
	char csr[PATH_MAX], cert[PATH_MAX], ca[PATH_MAX];
	char *args[12];
	size_t n = 0;
	int rc, status = -1;

	args[n++] = TSAD_PROG;
	args[n++] = "--config";
	args[n++] = (char *)h->tsa_conf;
	if (o->cert != NULL) {
		if ((rc = absolute_path(o->cert, cert, sizeof(cert))) != 0 ||
		    (rc = absolute_path(o->ca, ca, sizeof(ca))) != 0)
			return rc;
		args[n++] = "--import";
		args[n++] = cert;
		args[n++] = "--ca";
		args[n++] = ca;
	} else {
		args[n++] = "--init";
		if (o->algo != NULL) {
			args[n++] = "--algo";
			args[n++] = (char *)o->algo;
		}
		if (o->csr != NULL) {
			if ((rc = absolute_path(o->csr, csr, sizeof(csr))) != 0)
				return rc;
			args[n++] = "--csr";
			args[n++] = csr;
		}
	}
	args[n] = NULL;
	/* The PIN travels in the file tsa.conf names, never in argv. */
	if ((rc = run_sibling(cli, TSAD_PROG, args, NULL, NULL, &status)) != CLI_EXIT_OK)
		return rc;
	if (status != 0)
		return cli_fail("%s the TSA: %s %s exited with status %d; see the messages above",
		                o->cert != NULL ? "import the certificate of" : "initialise", TSAD_PROG,
		                o->cert != NULL ? "--import" : "--init", status);
	return CLI_EXIT_OK;
}

/* Before --import: tsa.conf must name a chain file exactly when CERT
 * (the CA's answer) carries intermediates after the certificate, so that
 * signet-tsa has a place for them.  When the line had to change, the old
 * tsa.conf is handed back in *OLD for tsaconf_restore() (else *OLD is
 * NULL).  A CERT that cannot be read is left for signet-tsa to report. */
static int
match_chain(const struct home *h, const char *cert, char **old, size_t *oldlen)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	struct tsaconf tc;
	char err[512], *pem = NULL, *p;
	size_t len = 0, n = 0;
	int rc = CLI_EXIT_OK;

	*old = NULL;
	*oldlen = 0;
	if (tsaconf_read(h->tsa_conf, &tc, err, sizeof(err)) != 0 ||
	    readfile_bounded(cert, TSA_PEM_MAX, &pem, &len, NULL, 0) != 0)
		return CLI_EXIT_OK;
	for (p = pem; (p = strstr(p, begin)) != NULL; p += sizeof(begin) - 1)
		n++;
	if (n > 1 && tc.chain[0] == '\0') {
		if ((rc = tsaconf_set_chain(h, h->tsa_chain, old, oldlen)) == CLI_EXIT_OK)
			printf("%s comes with %zu intermediate certificate(s): added chain = %s to %s\n",
			       cert, n - 1, h->tsa_chain, h->tsa_conf);
	} else if (n == 1 && tc.chain[0] != '\0') {
		if ((rc = tsaconf_set_chain(h, NULL, old, oldlen)) == CLI_EXIT_OK)
			printf("%s comes without intermediate certificates: removed chain = %s from %s\n",
			       cert, tc.chain, h->tsa_conf);
	}
	free(pem);
	return rc;
}

/* 1 if H's certificate file is still the one BEFORE describes (a new one
 * is renamed into place: another inode). */
static int
same_file(const struct home *h, const struct stat *before)
{
	struct stat now;

	return stat(h->tsa_cert, &now) == 0 && now.st_ino == before->st_ino && now.st_dev == before->st_dev &&
	       now.st_size == before->st_size && now.st_mtim.tv_sec == before->st_mtim.tv_sec &&
	       now.st_mtim.tv_nsec == before->st_mtim.tv_nsec;
}

static int
tsa_init(struct cli *cli, int argc, char **argv)
{
	struct signet_config *cfg = NULL;
	struct tsaconf_new nw;
	struct init_opts o;
	struct stat st, before;
	struct home h;
	char *old = NULL;
	size_t oldlen = 0;
	pid_t pid = 0;
	int rc, had_cert;

	if ((rc = parse_init(cli, argc, argv, &o)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if ((rc = home_open(cli, &h, &cfg)) != CLI_EXIT_OK)
		return rc;
	if ((rc = check_projects(cfg)) != CLI_EXIT_OK)
		goto out;
	if ((rc = ensure_tsa_dir(&h)) != CLI_EXIT_OK)
		goto out;
	if (lstat(h.tsa_conf, &st) == 0) {
		if ((rc = check_existing(&h, &o)) != CLI_EXIT_OK)
			goto out;
	} else {
		int made;

		nw.port = o.port != 0 ? o.port : TSACONF_DEFAULT_PORT;
		nw.clock_check = o.clock_check;
		/* The TSA's own token gets its own PINs. */
		if ((rc = init_pin_file(h.tsa_user_pin, "TSA token user PIN", &made)) != CLI_EXIT_OK ||
		    (rc = init_pin_file(h.tsa_so_pin, "TSA token SO PIN", &made)) != CLI_EXIT_OK ||
		    (rc = tsaconf_create(&h, cfg, &nw)) != CLI_EXIT_OK)
			goto out;
	}
	had_cert = stat(h.tsa_cert, &before) == 0;
	if (o.cert != NULL && (rc = match_chain(&h, o.cert, &old, &oldlen)) != CLI_EXIT_OK)
		goto out;
	if ((rc = run_tsa_init(cli, &h, &o)) != CLI_EXIT_OK) {
		if (old != NULL && tsaconf_restore(&h, old, oldlen) == CLI_EXIT_OK)
			printf("%s put back as it was\n", h.tsa_conf);
		goto out;
	}
	/* A TSA that can answer stamps policyd's checkpoints too (issue 10). */
	if (o.csr == NULL && (rc = tsa_stamp_checkpoints(&h, cfg)) != CLI_EXIT_OK)
		goto out;
	if (o.csr != NULL)
		printf("next: have a CA sign %s (extendedKeyUsage timeStamping, critical), then\n"
		       "  signet --home %s tsa init --cert CERT.pem --ca CA.pem\n", o.csr, h.dir);
	else if (tsad_running(&h, &pid) && (!had_cert || !same_file(&h, &before)))
		printf("signet-tsa (pid %ld) runs with the certificate it started with; "
		       "`signet stop` and `signet start` to use the new one\n", (long)pid);
	else if (pid != 0)
		printf("signet-tsa runs (pid %ld)\n", (long)pid);
	else
		printf("next: signet --home %s start   (starts signet-tsa; `signet tsa url` is its URL)\n", h.dir);
	rc = CLI_EXIT_OK;
out:
	free(old);
	config_free(cfg);
	return rc;
}

/* H's tsa.conf into TC, or the reason it is not there. */
static int
open_tsa(struct cli *cli, int argc, char **argv, struct home *h, struct tsaconf *tc)
{
	struct signet_config *cfg = NULL;
	char err[512];
	gpg_error_t rc;
	int r;

	if ((r = cli_parse_home(cli, argc, argv, TSA_USAGE)) != CLI_EXIT_OK)
		return r;
	if (optind != argc)
		return cli_usage(TSA_USAGE, "tsa %s: unexpected argument '%s'", argv[0], argv[optind]);
	if ((r = home_open(cli, h, &cfg)) != CLI_EXIT_OK)
		return r;
	config_free(cfg);
	rc = tsaconf_read(h->tsa_conf, tc, err, sizeof(err));
	if (gpg_err_code(rc) == GPG_ERR_ENOENT)
		return cli_fail("the home %s has no time-stamp authority yet (no %s); run `signet --home %s tsa init`",
		                h->dir, h->tsa_conf, h->dir);
	if (rc != 0)
		return cli_fail("read %s: %s; fix the file (signet-tsa(8))", h->tsa_conf, err[0] ? err : gpg_strerror(rc));
	return CLI_EXIT_OK;
}

static int
tsa_url(struct cli *cli, int argc, char **argv)
{
	char url[TSACONF_URL_MAX];
	struct tsaconf tc;
	struct home h;
	int rc;

	if ((rc = open_tsa(cli, argc, argv, &h, &tc)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if (tsaconf_url(&tc, url, sizeof(url)) != 0)
		return cli_fail("read %s: listen = %s is not ADDRESS:PORT; fix it (signet-tsa(8))", h.tsa_conf, tc.listen);
	printf("%s\n", url);
	return CLI_EXIT_OK;
}

static int
tsa_ca(struct cli *cli, int argc, char **argv)
{
	struct tsaconf tc;
	struct home h;
	char err[512], *pem = NULL;
	size_t len = 0;
	gpg_error_t e;
	int rc;

	if ((rc = open_tsa(cli, argc, argv, &h, &tc)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if (tc.ca[0] == '\0')
		return cli_fail("%s names no ca file; add `ca = /path/ca.pem` (the CA that verifies the TSA "
		                "certificate) to [tsa]", h.tsa_conf);
	e = readfile_bounded(tc.ca, TSA_PEM_MAX, &pem, &len, err, sizeof(err));
	if (gpg_err_code(e) == GPG_ERR_ENOENT)
		return cli_fail("no CA certificate at %s yet; finish `signet --home %s tsa init` (after --csr: "
		                "tsa init --cert CERT --ca CA)", tc.ca, h.dir);
	if (e != 0)
		return cli_fail("read %s: %s; check the file", tc.ca, err[0] ? err : gpg_strerror(e));
	if (strstr(pem, "-----BEGIN CERTIFICATE-----") == NULL) {
		free(pem);
		return cli_fail("%s holds no PEM certificate; run `signet tsa init` again", tc.ca);
	}
	rc = fwrite(pem, 1, len, stdout) == len && fflush(stdout) == 0 ? CLI_EXIT_OK
	     : cli_fail("write the CA certificate: %s", strerror(errno));
	free(pem);
	return rc;
}

int
tsa_command(struct cli *cli, int argc, char **argv)
{
	static const struct {
		const char *name;
		cli_command_fn fn;
	} verbs[] = {
		{ "init", tsa_init },
		{ "url", tsa_url },
		{ "ca", tsa_ca },
	};
	size_t i;

	if (argc < 2)
		return cli_usage(TSA_USAGE, "tsa: say init, url or ca");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: signet %s\n", TSA_USAGE);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].fn(cli, argc - 1, argv + 1);
	return cli_usage(TSA_USAGE, "tsa: unknown subcommand '%s' (init, url or ca)", argv[1]);
}
