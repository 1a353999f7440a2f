/* home.c — where things live in a Signet home. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "home.h"

static gpg_error_t
join(char *out, size_t outlen, const char *a, const char *b)
{
	int n = snprintf(out, outlen, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= outlen)
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	return 0;
}

/* Make DIR absolute without touching the file system beyond getcwd(), and
 * drop trailing slashes, so that a home that does not exist yet still gets
 * a stable absolute name. */
static gpg_error_t
absolute(const char *dir, char *out, size_t outlen)
{
	char cwd[PATH_MAX];
	size_t len;
	int n;

	if (dir[0] == '/') {
		n = snprintf(out, outlen, "%s", dir);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return gpg_error_from_syserror();
		if (strcmp(dir, ".") == 0)
			n = snprintf(out, outlen, "%s", cwd);
		else
			n = snprintf(out, outlen, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, dir);
	}
	if (n < 0 || (size_t)n >= outlen)
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	len = strlen(out);
	while (len > 1 && out[len - 1] == '/')
		out[--len] = '\0';
	return 0;
}

gpg_error_t
home_paths(const char *dir, struct home *h)
{
	char abs[PATH_MAX];
	char *real = NULL;
	gpg_error_t err;

	/* DIR may point into H (re-canonicalising a home just created). */
	if ((err = absolute(dir, abs, sizeof(abs))) != 0)
		return err;
	memset(h, 0, sizeof(*h));
	real = realpath(abs, NULL);
	if (snprintf(h->dir, sizeof(h->dir), "%s", real != NULL ? real : abs) >= (int)sizeof(h->dir)) {
		free(real);
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	}
	free(real);
	if ((err = join(h->conf, sizeof(h->conf), h->dir, "signet.conf")) != 0 ||
	    (err = join(h->softhsm2_conf, sizeof(h->softhsm2_conf), h->dir, "softhsm2.conf")) != 0 ||
	    (err = join(h->tokens, sizeof(h->tokens), h->dir, "tokens")) != 0 ||
	    (err = join(h->secrets, sizeof(h->secrets), h->dir, "secrets")) != 0 ||
	    (err = join(h->user_pin, sizeof(h->user_pin), h->secrets, "user-pin")) != 0 ||
	    (err = join(h->so_pin, sizeof(h->so_pin), h->secrets, "so-pin")) != 0 ||
	    (err = join(h->certs, sizeof(h->certs), h->dir, "certs")) != 0 ||
	    (err = join(h->audit_dir, sizeof(h->audit_dir), h->dir, "audit")) != 0 ||
	    (err = join(h->audit, sizeof(h->audit), h->audit_dir, "audit.jsonl")) != 0 ||
	    (err = join(h->run, sizeof(h->run), h->dir, "run")) != 0 ||
	    (err = join(h->pidfile, sizeof(h->pidfile), h->run, "policyd.pid")) != 0 ||
	    (err = join(h->log, sizeof(h->log), h->run, "policyd.log")) != 0 ||
	    (err = join(h->tsa_conf, sizeof(h->tsa_conf), h->dir, "tsa.conf")) != 0 ||
	    (err = join(h->tsa_dir, sizeof(h->tsa_dir), h->dir, "tsa")) != 0 ||
	    (err = join(h->tsa_cert, sizeof(h->tsa_cert), h->tsa_dir, "tsa.pem")) != 0 ||
	    (err = join(h->tsa_ca, sizeof(h->tsa_ca), h->tsa_dir, "ca.pem")) != 0 ||
	    (err = join(h->tsa_chain, sizeof(h->tsa_chain), h->tsa_dir, "chain.pem")) != 0 ||
	    (err = join(h->tsa_serial, sizeof(h->tsa_serial), h->tsa_dir, "serial")) != 0 ||
	    (err = join(h->tsa_audit, sizeof(h->tsa_audit), h->audit_dir, "tsa.jsonl")) != 0 ||
	    (err = join(h->tsa_log, sizeof(h->tsa_log), h->run, "tsa.log")) != 0 ||
	    (err = join(h->tsa_pidfile, sizeof(h->tsa_pidfile), h->run, "tsa.pid")) != 0 ||
	    (err = join(h->tsa_user_pin, sizeof(h->tsa_user_pin), h->secrets, "tsa-user-pin")) != 0 ||
	    (err = join(h->tsa_so_pin, sizeof(h->tsa_so_pin), h->secrets, "tsa-so-pin")) != 0)
		return err;
	return 0;
}

int
home_open(const struct cli *cli, struct home *h, struct signet_config **cfg)
{
	gpg_error_t err;

	*cfg = NULL;
	if ((err = home_paths(cli_home(cli), h)) != 0)
		return cli_fail("use home %s: %s; choose a shorter --home", cli_home(cli), gpg_strerror(err));
	return home_load_config(h, cfg);
}

gpg_error_t
home_cert_path(const struct home *h, const char *name, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s.pgp", h->certs, name);

	if (n < 0 || (size_t)n >= outlen)
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	return 0;
}

int
home_load_config(const struct home *h, struct signet_config **cfg)
{
	char err[512];
	struct stat st;
	gpg_error_t rc;

	*cfg = NULL;
	if (stat(h->conf, &st) != 0 && errno == ENOENT)
		return cli_fail("no Signet home at %s (run `signet init --home %s` first)", h->dir, h->dir);
	err[0] = '\0';
	rc = config_load(h->conf, cfg, err, sizeof(err));
	if (rc != 0)
		return cli_fail("load %s: %s; fix the file (see signet-policyd(8)) or run `signet init --home %s` "
		                "in a fresh folder", h->conf, err[0] ? err : gpg_strerror(rc), h->dir);
	return CLI_EXIT_OK;
}
