/* home.c — where things live in a Signet home. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abspath.h"
#include "cli.h"
#include "home.h"
#include "trustpath.h"

static gpg_error_t
join(char *out, size_t outlen, const char *a, const char *b)
{
	int n = snprintf(out, outlen, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= outlen)
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	return 0;
}

gpg_error_t
home_paths(const char *dir, struct home *h)
{
	char abs[PATH_MAX];
	char *real = NULL;
	gpg_error_t err;

	/* DIR may point into H (re-canonicalising a home just created). */
	if ((err = abspath_make(dir, abs, sizeof(abs))) != 0)
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

/* Print why H (as found at PATH) is not trusted; CLI_EXIT_FAIL. */
static int
refuse(const struct home *h, const char *why)
{
	return cli_fail("refusing the Signet home %s: %s; a home, its signet.conf and every folder above "
	                "them must be owned by root or you and writable by no one else (pick another "
	                "--home or $SIGNET_HOME; see signet(1))", h->dir, why);
}

int
home_check_trust(const struct home *h)
{
	char why[TRUSTPATH_MAX_WHY];
	gpg_error_t r;

	r = trustpath_check_new(h->dir, geteuid(), why, sizeof(why));
	return r != 0 ? refuse(h, why) : CLI_EXIT_OK;
}

int
home_load_config(const struct home *h, struct signet_config **cfg)
{
	char err[512], why[TRUSTPATH_MAX_WHY];
	struct stat st;
	gpg_error_t rc;

	*cfg = NULL;
	if (stat(h->conf, &st) != 0 && errno == ENOENT)
		return cli_fail("no Signet home at %s (run `signet init --home %s` first)", h->dir, h->dir);
	/* StrictModes: whoever can change the configuration chooses the
	 * PKCS#11 module root loads and the socket clients trust.  The home
	 * itself as the last step, not as a folder above: sticky is no
	 * excuse there (others could add files the home is read for). */
	if (trustpath_check(h->dir, geteuid(), why, sizeof(why)) != 0 ||
	    trustpath_check(h->conf, geteuid(), why, sizeof(why)) != 0)
		return refuse(h, why);
	err[0] = '\0';
	rc = config_load(h->conf, cfg, err, sizeof(err));
	if (rc != 0)
		return cli_fail("load %s: %s; fix the file (see signet-policyd(8)) or run `signet init --home %s` "
		                "in a fresh folder", h->conf, err[0] ? err : gpg_strerror(rc), h->dir);
	/* The socket signet-scd will be pointed at: a folder someone else
	 * controls could hold their own "policyd".  Not there yet is fine
	 * (signet-policyd makes it, and checks it, when it starts). */
	rc = trustpath_check_socket_dir((*cfg)->socket, geteuid(), why, sizeof(why));
	if (rc != 0 && gpg_err_code(rc) != GPG_ERR_ENOENT) {
		config_free(*cfg);
		*cfg = NULL;
		return refuse(h, why);
	}
	return CLI_EXIT_OK;
}
