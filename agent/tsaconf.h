/* tsaconf.h — the command line's side of a home's signet-tsa configuration
 * (DIR/tsa.conf, signet-tsa(8)): writing it once for `signet tsa init`
 * (only its chain line changes later, when a CA's answer is imported), and
 * reading back the few keys the command line needs.
 *
 * Only signet-tsa validates the file in full (strictly, at start); the
 * reader here takes listen, cert, ca, chain, log, clock_check and tls_cert
 * from [tsa] and ignores the rest, so that a key a newer signet-tsa knows
 * never stops `signet tsa url` or `signet status`. */
#ifndef SIGNET_AGENT_TSACONF_H
#define SIGNET_AGENT_TSACONF_H

#include <limits.h>
#include <stddef.h>
#include <gpg-error.h>

#include "config.h"
#include "home.h"

#define TSACONF_MAX_FILE      (64 * 1024)  /* signet-tsa's TSA_MAX_CONF */
#define TSACONF_MAX_LINE      198          /* longest line signet-tsa reads */
#define TSACONF_MAX_LISTEN    64           /* "[v6 address]:port" */
#define TSACONF_DEFAULT_PORT  3161
#define TSACONF_KEY_OBJECT    CONFIG_TSA_OBJECT /* label of the TSA key on the token */
#define TSACONF_TOKEN         "signet-tsa"      /* the TSA's own token (not policyd's) */
#define TSACONF_URL_MAX       (TSACONF_MAX_LISTEN + 16)

/* What the command line reads back from tsa.conf.  An absent key leaves
 * its field "" (listen: signet-tsa's default, 127.0.0.1:3161). */
struct tsaconf {
	char listen[TSACONF_MAX_LISTEN];
	char cert[PATH_MAX];
	char ca[PATH_MAX];
	char chain[PATH_MAX];
	char log[PATH_MAX];
	char audit[PATH_MAX];       /* the TSA's trail */
	char clock_check[16];
	int tls;                    /* tls_cert is set: clients use https */
};

/* Read PATH into TC.  GPG_ERR_ENOENT when there is no such file (the TSA
 * is not initialised); otherwise on error ERR (ERRLEN bytes) holds "PATH:
 * reason" or "PATH:LINE: reason". */
gpg_error_t tsaconf_read(const char *path, struct tsaconf *tc, char *err, size_t errlen);

/* The port of TC's listen value into *PORT; GPG_ERR_INV_VALUE if it has
 * none. */
gpg_error_t tsaconf_port(const struct tsaconf *tc, unsigned *port);

/* The URL clients use, "http://HOST:PORT/" ("https" with TLS; an IPv6 host in brackets; a
 * wildcard listen address is reached through loopback), into OUT. */
gpg_error_t tsaconf_url(const struct tsaconf *tc, char *out, size_t outlen);

/* 1 if NAME is a token object name of the TSA's family: TSACONF_KEY_OBJECT
 * itself or TSACONF_KEY_OBJECT "-..." (signet-tsa --init makes
 * "signet-tsa" and "signet-tsa-ca").  A project's key is the object of the
 * project's name, so a project named so would share a key with the TSA. */
int tsaconf_is_tsa_object(const char *name);

/* Options of a new tsa.conf. */
struct tsaconf_new {
	unsigned port;              /* 1..65535 */
	const char *clock_check;    /* "adjtimex", "none", or NULL: decide now */
};

/* Create H->tsa_conf (0644, exclusively: an existing file is never
 * rewritten) for the TSA's own token TSACONF_TOKEN, beside policyd's in the
 * same module (CFG's [hsm] module and softhsm2_conf) but with its own PINs
 * (H->tsa_user_pin, H->tsa_so_pin; signet-tsa --init makes the token), so
 * that the TSA cannot use a project key: a fresh policy OID under the UUID
 * arc 2.25, the key TSACONF_KEY_OBJECT on that token, the home's paths,
 * and the clock check.  Without NEW->clock_check it is adjtimex if
 * the system clock reports itself synchronised now, else none with a
 * warning on stderr that says how to turn it on.  Prints what it wrote;
 * returns CLI_EXIT_OK, or CLI_EXIT_FAIL after printing why. */
int tsaconf_create(const struct home *h, const struct signet_config *cfg, const struct tsaconf_new *nw);

/* Make H's tsa.conf name CHAIN as its chain file, or none (CHAIN NULL):
 * drop any chain line and append "chain = CHAIN".  The file is replaced
 * atomically; its previous content goes to a new *OLD (*OLDLEN bytes;
 * free()) for tsaconf_restore().  Prints failures; CLI_EXIT_OK or
 * CLI_EXIT_FAIL. */
int tsaconf_set_chain(const struct home *h, const char *chain, char **old, size_t *oldlen);

/* Put OLD/OLDLEN back as H's tsa.conf.  Prints failures. */
int tsaconf_restore(const struct home *h, const char *old, size_t oldlen);

#endif
