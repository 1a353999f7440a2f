/* home.h — the paths of a Signet home (the folder `signet init` makes) and
 * loading its signet.conf.
 *
 *   DIR/signet.conf         policyd configuration (0644)
 *   DIR/softhsm2.conf       SoftHSM2 configuration, DIR/tokens/ its store
 *   DIR/secrets/            0700: user-pin, so-pin (0600)
 *   DIR/certs/NAME.pgp      project certificates
 *   DIR/audit/audit.jsonl   audit trail (folder 0750)
 *   DIR/run/                policyd.pid, policyd.log, usually policyd.sock;
 *                           tsa.pid, tsa.log
 *   DIR/tsa.conf            signet-tsa configuration (`signet tsa init`)
 *   DIR/tsa/                tsa.pem (its certificate), ca.pem (the CA that
 *                           verifies it), chain.pem (intermediates, if the
 *                           CA has any), serial (serial-number store)
 *   DIR/audit/tsa.jsonl     signet-tsa's audit trail */
#ifndef SIGNET_AGENT_HOME_H
#define SIGNET_AGENT_HOME_H

#include <limits.h>
#include "cli.h"
#include "config.h"

struct home {
	char dir[PATH_MAX];
	char conf[PATH_MAX];
	char softhsm2_conf[PATH_MAX];
	char tokens[PATH_MAX];
	char secrets[PATH_MAX];
	char user_pin[PATH_MAX];
	char so_pin[PATH_MAX];
	char certs[PATH_MAX];
	char audit_dir[PATH_MAX];
	char audit[PATH_MAX];
	char run[PATH_MAX];
	char pidfile[PATH_MAX];
	char log[PATH_MAX];
	char tsa_conf[PATH_MAX];
	char tsa_dir[PATH_MAX];
	char tsa_cert[PATH_MAX];
	char tsa_ca[PATH_MAX];
	char tsa_chain[PATH_MAX];
	char tsa_serial[PATH_MAX];
	char tsa_audit[PATH_MAX];
	char tsa_log[PATH_MAX];
	char tsa_pidfile[PATH_MAX];
	char tsa_user_pin[PATH_MAX];   /* the TSA's own token (signet tsa init) */
	char tsa_so_pin[PATH_MAX];
};

/* Fill H for home folder DIR.  A relative DIR is taken from the current
 * folder; an existing DIR is canonicalised with realpath().  Returns
 * GPG_ERR_ENAMETOOLONG when a path does not fit, or the getcwd() error. */
gpg_error_t home_paths(const char *dir, struct home *h);

/* StrictModes for the caller (common/trustpath.h): H->dir and every folder
 * above it, or, when H->dir is still to be made, the nearest existing
 * folder above it.  Prints the refusal naming the file and why;
 * CLI_EXIT_OK or CLI_EXIT_FAIL. */
int home_check_trust(const struct home *h);

/* Load H->conf into *CFG.  H->dir and H->conf must pass the trust check,
 * and so must the folder of the socket it names, if that exists.  On failure prints
 * the reason (a missing file says to run `signet init --home DIR` first)
 * and returns CLI_EXIT_FAIL; else CLI_EXIT_OK. */
int home_load_config(const struct home *h, struct signet_config **cfg);

/* home_paths() for the home the command line names (cli_home()) and
 * home_load_config(), printing either failure; CLI_EXIT_OK or
 * CLI_EXIT_FAIL. */
int home_open(const struct cli *cli, struct home *h, struct signet_config **cfg);

/* DIR/certs/NAME.pgp into OUT. */
gpg_error_t home_cert_path(const struct home *h, const char *name, char *out, size_t outlen);

#endif
