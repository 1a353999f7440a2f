/* main.c — signet-tsa: options, start-up, the daemon context.
 *
 * Order (STYLE 15): configuration, key and certificates (all read and
 * checked before anything starts), fork for --daemon (before any thread),
 * log, serial store, audit trail, reply contexts, HTTP listener, pid file;
 * only then is the daemon "ready" and the --daemon parent exits 0. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "audit.h"
#include "auditconf.h"
#include "auditkey.h"
#include "signednote.h"
#include "hsmkey.h"
#include "daemonize.h"
#include "init.h"
#include "log.h"
#include "platform.h"
#include "readfile.h"
#include "trustpath.h"
#include "tsa.h"
#include "tsacert.h"

#define PROG "signet-tsa"

/* The daemon's only global state. */
static struct tsa_daemon {
	struct tsa_config *cfg;
	EVP_PKEY *key;
	struct hsmkey *hsm;                /* key = pkcs11:…: the token behind KEY */
	X509 *cert;
	STACK_OF(X509) *chain;
	char *tls_cert_pem;
	char *tls_key_pem;
	struct tsa_serial *serial;
	struct audit_log *audit;
	struct tsa_resp *resp;
	struct tsa_http *http;
	char *pidfile;
	int log_to_file;               /* die() also logs (stderr is not the log) */
} tsa_daemon;

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: " PROG " --config FILE [--daemon] [--pidfile FILE]\n"
	        "       " PROG " --config FILE --check-config\n"
	        "       " PROG " --config FILE --init [--algo ecp256|rsa3072] [--csr OUT.pem]\n"
	        "       " PROG " --config FILE --import CERT.pem --ca CA.pem\n"
	        "An RFC 3161 time-stamp authority over HTTP (POST application/timestamp-query).\n"
	        "  --config FILE    the configuration ([tsa] section; see signet-tsa(8))\n"
	        "  --daemon         detach once the listener is up\n"
	        "  --pidfile FILE   write the daemon's pid to FILE\n"
	        "  --check-config   check the configuration, key and certificate, then exit\n"
	        "  --init           make the key on the token (if missing) and its certificate from\n"
	        "                   a local test CA (written to cert and ca), then exit\n"
	        "  --algo ALGO      --init: the key to make, ecp256 (default) or rsa3072\n"
	        "  --csr OUT.pem    --init: write a certificate request for a real CA instead\n"
	        "  --import CERT    install CERT (issued for the --csr request; intermediates\n"
	        "                   after it) as cert (and chain), with --ca CA.pem as ca\n"
	        "  --version        print the version\n"
	        "  --help           this text\n");
}

static void
die(const char *what, const char *why, const char *todo) __attribute__((noreturn));
static void
die(const char *what, const char *why, const char *todo)
{
	fprintf(stderr, PROG ": %s: %s%s%s\n", what, why, todo ? "; " : "", todo ? todo : "");
	if (tsa_daemon.log_to_file)
		log_error("%s: %s", what, why);
	exit(1);
}

/* Wipe and free a NUL-terminated secret (a PEM private key); NULL is fine. */
static void
free_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Read PATH (bounded, no symlink) into a memory BIO. */
static BIO *
pem_bio(const char *path, const char *what, char **text)
{
	char err[TSA_MAX_ERR];
	char *buf = NULL;
	size_t len = 0;
	gpg_error_t r;
	BIO *b;

	if ((r = readfile_bounded(path, TSA_MAX_PEM, &buf, &len, err, sizeof(err))) != 0)
		die(what, err, "check the path in the configuration");
	if ((b = BIO_new_mem_buf(buf, (int)len)) == NULL)
		die(what, "out of memory", NULL);
	*text = buf;
	return b;
}

/* ca = …: the certificate (with chain) must verify against it as a
 * time-stamping certificate, or nothing starts: a TSA whose tokens its
 * users cannot verify is worse than none. */
static void
check_ca(struct tsa_daemon *t)
{
	STACK_OF(X509) *cas = NULL;
	char err[TSA_MAX_ERR], why[TSA_MAX_ERR + 64];

	if (tsacert_read_pem(t->cfg->ca, &cas, err, sizeof(err)) != 0)
		die("ca", err, "check ca in the configuration (signet-tsa --init writes it)");
	if (tsacert_verify(t->cert, t->chain, cas, err, sizeof(err)) != 0) {
		snprintf(why, sizeof(why), "%s does not verify against %s: %s", t->cfg->cert, t->cfg->ca, err);
		sk_X509_pop_free(cas, X509_free);
		die("cert", why, "give the CA that issued cert (and any intermediates in chain), or run --init / --import again");
	}
	sk_X509_pop_free(cas, X509_free);
}

static void
load_credentials(struct tsa_daemon *t)
{
	char why[TSA_MAX_ERR];
	char *text = NULL;
	BIO *b;
	X509 *x;

	b = pem_bio(t->cfg->cert, "cert", &text);
	t->cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	free(text);
	if (t->cert == NULL) {
		snprintf(why, sizeof(why), "%s: not a PEM certificate", t->cfg->cert);
		die("cert", why, "check cert in the configuration");
	}
	if (t->cfg->key_file != NULL) {
		b = pem_bio(t->cfg->key_file, "key", &text);
		t->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
		free_secret(text);
		if (t->key == NULL) {
			snprintf(why, sizeof(why), "%s: not a PEM private key (or it is encrypted)", t->cfg->key_file);
			die("key", why, "give an unencrypted PEM key (key = file:/abs/path.pem)");
		}
		if (X509_check_private_key(t->cert, t->key) != 1) {
			snprintf(why, sizeof(why), "%s does not belong to the key %s", t->cfg->cert, t->cfg->key_file);
			die("cert", why, "give the certificate of this key");
		}
	}
	/* RFC 3161 §2.3: the only extended key usage, and critical. */
	if (X509_check_purpose(t->cert, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1) {
		snprintf(why, sizeof(why), "%s has no critical extendedKeyUsage timeStamping", t->cfg->cert);
		die("cert", why, "issue a time-stamping certificate (RFC 3161 2.3)");
	}
	if (t->cfg->chain != NULL) {
		b = pem_bio(t->cfg->chain, "chain", &text);
		if ((t->chain = sk_X509_new_null()) == NULL)
			die("chain", "out of memory", NULL);
		while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
			if (!sk_X509_push(t->chain, x))
				die("chain", "out of memory", NULL);
		ERR_clear_error();
		BIO_free(b);
		free(text);
		if (sk_X509_num(t->chain) == 0) {
			snprintf(why, sizeof(why), "%s: no PEM certificate in it", t->cfg->chain);
			die("chain", why, "check chain in the configuration");
		}
	}
	if (t->cfg->ca != NULL)
		check_ca(t);
	if (t->cfg->tls_cert != NULL) {
		size_t len;
		char err[TSA_MAX_ERR];
		gpg_error_t r;

		if ((r = readfile_bounded(t->cfg->tls_cert, TSA_MAX_PEM, &t->tls_cert_pem, &len, err, sizeof(err))) != 0)
			die("tls_cert", err, "check tls_cert in the configuration");
		if ((r = readfile_bounded(t->cfg->tls_key, TSA_MAX_PEM, &t->tls_key_pem, &len, err, sizeof(err))) != 0)
			die("tls_key", err, "check tls_key in the configuration");
	}
}

/* key = pkcs11:…: log in to the token and check its key against the
 * certificate with one signature.  Done after the --daemon fork (a PKCS#11
 * module must not be used across fork()). */
static void
open_hsm_key(struct tsa_daemon *t)
{
	struct hsmkey_params hp;
	char err[TSA_MAX_ERR];

	if (t->cfg->key_uri == NULL)
		return;
	memset(&hp, 0, sizeof(hp));
	hp.uri = t->cfg->key_uri;
	hp.module = t->cfg->pkcs11_module;
	hp.pin_file = t->cfg->pin_file;
	hp.softhsm2_conf = t->cfg->softhsm2_conf;
	hp.cert = t->cert;
	if (hsmkey_open(&hp, &t->hsm, &t->key, err, sizeof(err)) != 0)
		die("key", err, "check key, pkcs11_module, pin_file and softhsm2_conf");
}

static void
close_key(struct tsa_daemon *t)
{
	EVP_PKEY_free(t->key);
	t->key = NULL;
	hsmkey_close(t->hsm);
	t->hsm = NULL;
}

/* The trail as a verifiable log: checkpoints signed by the audit key on
 * the TSA's token (made on first use).  A TSA whose key is a file has no
 * token to keep an audit key on: its trail gets no checkpoints. */
static void
start_checkpoints(struct tsa_daemon *t)
{
	char origin[NOTE_MAX_NAME + 1], host[64] = "localhost", err[TSA_MAX_ERR];
	struct audit_signer signer;
	size_t i;

	if (t->hsm == NULL) {
		log_info("audit %s: no checkpoints (key is a file, not on a token)", t->cfg->audit);
		return;
	}
	if (t->cfg->audit_origin != NULL) {
		snprintf(origin, sizeof(origin), "%s", t->cfg->audit_origin);
	} else {
		/* A host name is letters, digits, '-' and '.'; keep it so. */
		if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
			snprintf(host, sizeof(host), "localhost");
		for (i = 0; host[i] != '\0'; i++)
			if (!isalnum((unsigned char)host[i]) && host[i] != '-' && host[i] != '.')
				host[i] = '-';
		snprintf(origin, sizeof(origin), "signet.%s/tsa", host);
	}
	if (tsa_auditkey(t->hsm, origin, &signer, err, sizeof(err)) != 0)
		die("audit key", err, "check the token (the audit key is labelled #signet-audit)");
	if (auditconf_start(t->audit, &signer, t->cfg->checkpoint_every, t->cfg->checkpoint_interval_s,
	                    t->cfg->audit_segment_size, err, sizeof(err)) != 0)
		die("audit checkpoints", err, "check audit_origin, checkpoint_* and audit_segment_size");
}

static void
start_up(struct tsa_daemon *t)
{
	struct tsa_resp_params p;
	char err[TSA_MAX_ERR];
	gpg_error_t r;

	if ((r = log_init(PROG, t->cfg->log, LOG_LEVEL_INFO)) != 0)
		die("log", gpg_strerror(r), "check log in the configuration");
	t->log_to_file = t->cfg->log != NULL;
	open_hsm_key(t);
	if ((r = tsa_serial_open(t->cfg->serial_file, &t->serial, err, sizeof(err))) != 0)
		die("serial_file", err, "check serial_file (it must hold the last high-water mark)");
	if ((r = audit_open(t->cfg->audit, &t->audit)) != 0) {
		snprintf(err, sizeof(err), "%s: %s", t->cfg->audit, gpg_strerror(r));
		die("audit", err, "check audit (a damaged last line must be repaired by hand)");
	}
	if (t->cfg->audit_sync_ms != 0 && (r = audit_set_sync_interval(t->audit, t->cfg->audit_sync_ms)) != 0)
		die("audit_sync", gpg_strerror(r), "check audit_sync");
	memset(&p, 0, sizeof(p));
	p.key = t->key;
	p.cert = t->cert;
	p.chain = t->chain;
	p.cfg = t->cfg;
	p.serial = t->serial;
	p.audit = t->audit;
	p.nctx = t->cfg->threads;
	if ((r = tsa_resp_new(&p, &t->resp, err, sizeof(err))) != 0)
		die("reply set-up", err, "check key, cert and policies");
	if ((r = tsa_http_start(t->cfg, t->resp, t->tls_cert_pem, t->tls_key_pem, &t->http, err, sizeof(err))) != 0)
		die("listen", err, "check listen, or stop what uses the port");
	start_checkpoints(t);
	if (t->pidfile != NULL && (r = daemonize_write_pidfile(t->pidfile)) != 0)
		die("pidfile", gpg_strerror(r), "check --pidfile");
}

/* --init / --import: one job on the token, then exit (no daemon). */
static int
setup_mode(struct tsa_daemon *t, int init, const char *algo, const char *csr, const char *import, const char *ca,
           int other)
{
	enum hsmkey_algo a = HSMKEY_ALGO_NONE;
	char err[TSA_MAX_ERR];
	gpg_error_t r;

	if (other || (init && import != NULL))
		die("options", "--init and --import go alone (not with each other, --daemon, --pidfile or --check-config)",
		    "see " PROG " --help");
	if (!init && (algo != NULL || csr != NULL))
		die("options", "--algo and --csr go with --init", "see " PROG " --help");
	if ((import == NULL) != (ca == NULL))
		die("options", "--import CERT.pem needs --ca CA.pem (and --ca goes with --import)", "see " PROG " --help");
	if (algo != NULL && (a = tsa_init_parse_algo(algo)) == HSMKEY_ALGO_NONE)
		die("--algo", "unknown key algorithm", "use ecp256 or rsa3072");
	/* One-shot: the per-thread session notes are not news here. */
	if ((r = log_init(PROG, NULL, LOG_LEVEL_WARN)) != 0)
		die("log", gpg_strerror(r), NULL);
	if (init)
		r = tsa_init_run(t->cfg, a, csr, err, sizeof(err));
	else
		r = tsa_import_run(t->cfg, import, ca, err, sizeof(err));
	tsa_config_free(t->cfg);
	t->cfg = NULL;
	if (r != 0)
		die(init ? "--init" : "--import", err, NULL);
	return 0;
}

/* StrictModes (common/trustpath.h): the configuration file, the PKCS#11
 * module, the PIN file and the keys it names must be owned by root or the
 * daemon's user and writable by no one else, as must every folder above.
 * KEYS 0: --init/--import, which make the key file. */
static gpg_error_t
check_trust(const char *config, const struct tsa_config *cfg, int keys, char *err, size_t errlen)
{
	const struct trustpath_item items[] = {
		{ "configuration", config, 0 },
		{ "pkcs11_module", cfg->pkcs11_module, 0 },
		{ "pin_file", cfg->pin_file, 0 },
		{ "softhsm2_conf", cfg->softhsm2_conf, 0 },
		{ "key", keys ? cfg->key_file : NULL, 0 },
		{ "tls_key", keys ? cfg->tls_key : NULL, 0 },
	};

	return trustpath_check_items(items, sizeof(items) / sizeof(items[0]), geteuid(), err, errlen);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "init", no_argument, NULL, 'I' },
		{ "algo", required_argument, NULL, 'a' },
		{ "csr", required_argument, NULL, 'r' },
		{ "import", required_argument, NULL, 'm' },
		{ "ca", required_argument, NULL, 'A' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tsa_daemon *t = &tsa_daemon;
	const char *config = NULL, *algo = NULL, *csr = NULL, *import = NULL, *ca = NULL;
	int init = 0;
	char err[TSA_MAX_ERR];
	int opt, daemonize = 0, check = 0, ready_fd = -1, sig;
	sigset_t set;
	gpg_error_t r;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'd':
			daemonize = 1;
			break;
		case 'p':
			t->pidfile = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 'I':
			init = 1;
			break;
		case 'a':
			algo = optarg;
			break;
		case 'r':
			csr = optarg;
			break;
		case 'm':
			import = optarg;
			break;
		case 'A':
			ca = optarg;
			break;
		case 'V':
			printf(PROG " %s\n", SIGNET_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc)
		die("arguments", "unexpected argument", "see " PROG " --help");
	if (config == NULL)
		die("configuration", "no configuration file given", "use --config FILE");
	/* Before any secret is read (the PIN in every mode, the TLS or file
	 * key): no core dump and no ptrace may ever see one.  Both settings
	 * survive the --daemon fork. */
	platform_harden();
	if ((r = tsa_config_load(config, &t->cfg, err, sizeof(err))) != 0 ||
	    (r = check_trust(config, t->cfg, !(init || import != NULL), err, sizeof(err))) != 0) {
		if (check) {
			printf("%s\n", err);
			return 1;
		}
		die("configuration", err, gpg_err_code(r) == GPG_ERR_ENOENT ? "check --config" : "fix the file and start again");
	}
	if (init || import != NULL || algo != NULL || csr != NULL || ca != NULL)
		return setup_mode(t, init, algo, csr, import, ca, check || daemonize || t->pidfile != NULL);
	load_credentials(t);
	if (check) {
		open_hsm_key(t);
		close_key(t);
		printf("%s: ok\n", config);
		return 0;
	}
	daemonize_block_signals(&set);
	if (daemonize)
		ready_fd = daemonize_start(PROG);
	start_up(t);
	log_info("ready: listening on %s, %u threads, policy %s", t->cfg->listen, t->cfg->threads,
	         t->cfg->policies[0]);
	if (daemonize)
		daemonize_ready(ready_fd);

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_info("SIGHUP: nothing to reload (restart to apply a new configuration)");
			continue;
		}
		break;
	}
	log_info("stopping (signal %d)", sig);
	tsa_http_stop(t->http);
	if (t->pidfile != NULL)
		unlink(t->pidfile);
	tsa_resp_free(t->resp);
	audit_close(t->audit);
	tsa_serial_close(t->serial);
	sk_X509_pop_free(t->chain, X509_free);
	X509_free(t->cert);
	close_key(t);
	free(t->tls_cert_pem);
	free_secret(t->tls_key_pem);
	tsa_config_free(t->cfg);
	log_info("stopped");
	return 0;
}
