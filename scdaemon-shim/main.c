/* main.c — signet-scd: gpg-agent's scdaemon for the Signet virtual
 * OpenPGP card (scd-protocol §1.1).
 *
 * gpg-agent runs it as `signet-scd --multi-server [--homedir DIR]` with the
 * Assuan pipe on stdin/stdout and /dev/null as stderr: stdout carries the
 * protocol and nothing else, the log goes to a file. */
#define GPG_ERR_SOURCE_DEFAULT GPG_ERR_SOURCE_SCD
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <assuan.h>
#include <gcrypt.h>

#include "backend.h"
#include "keycache.h"
#include "restart.h"
#include "log.h"
#include "scdconf.h"
#include "server.h"

#define SCD_LOG_NAME "signet-scd.log"

/* The daemon's context: the only global (STYLE, "Global mutable state"). */
static struct scd_server server;

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: signet-scd --multi-server|--server [--homedir DIR]\n"
	            "       signet-scd --version\n"
	            "Run by gpg-agent (scdaemon-program in gpg-agent.conf); see signet-scd(1).\n");
}

/* --homedir, else $GNUPGHOME, else ~/.gnupg (gpg-agent passes --homedir
 * only for a non-default home; scd-protocol §1.1). */
static int
find_homedir(const char *opt, char *out, size_t outlen)
{
	const char *home;
	struct passwd *pw;
	int n;

	if (opt != NULL)
		n = snprintf(out, outlen, "%s", opt);
	else if ((home = getenv("GNUPGHOME")) != NULL && home[0] != '\0')
		n = snprintf(out, outlen, "%s", home);
	else {
		home = getenv("HOME");
		if ((home == NULL || home[0] == '\0') && (pw = getpwuid(getuid())) != NULL)
			home = pw->pw_dir;
		if (home == NULL)
			return -1;
		n = snprintf(out, outlen, "%s/.gnupg", home);
	}
	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

/* Fatal signals are taken by one thread with sigwait(), so that the socket
 * folder is removed whatever thread was running. */
static void *
signal_thread(void *opaque)
{
	sigset_t *set = opaque;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP || sig == SIGUSR1 || sig == SIGUSR2) {
			log_info("signal %d ignored", sig);
			continue;
		}
		log_info("signal %d received", sig);
		server_shutdown(&server, 0);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	static sigset_t sigs;
	const char *homedir_opt = NULL;
	char path[PATH_MAX + 32], logpath[PATH_MAX + 32];
	const char *logfile;
	pthread_t tid;
	gpg_error_t err, lerr;
	int multi = 0, single = 0, resumed = 0, listen_fd = -1, event_signal = 0, i, n;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--multi-server") == 0) {
			multi = 1;
		} else if (strcmp(argv[i], "--server") == 0) {
			single = 1;
		} else if (strcmp(argv[i], "--homedir") == 0 && i + 1 < argc) {
			homedir_opt = argv[++i];
		} else if (strncmp(argv[i], "--homedir=", 10) == 0) {
			homedir_opt = argv[i] + 10;
		} else if (strcmp(argv[i], RESTART_OPT_RESUMED) == 0) {
			resumed = 1;
		} else if (strcmp(argv[i], RESTART_OPT_LISTEN_FD) == 0 && i + 1 < argc) {
			i++;
			if (restart_parse_int(argv[i - 1], argv[i], 3, INT_MAX, &listen_fd) != 0)
				return 2;
		} else if (strcmp(argv[i], RESTART_OPT_EVENT_SIGNAL) == 0 && i + 1 < argc) {
			i++;
			if (restart_parse_int(argv[i - 1], argv[i], 1, 64, &event_signal) != 0)
				return 2;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("signet-scd %s (reports %s to gpg)\n", SIGNET_VERSION, "2.99.0");
			return 0;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "signet-scd: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!multi && !single) {
		usage(stderr);
		return 2;
	}

	memset(&server, 0, sizeof(server));
	server.listen_fd = -1;
	server.pipe_keep[0] = server.pipe_keep[1] = -1;
	server.multi = multi;
	server.pipe_greeted = resumed;
	server.event_signal = event_signal;
	restart_init(&server);
	pthread_mutex_init(&server.lock, NULL);
	if (find_homedir(homedir_opt, server.homedir, sizeof(server.homedir)) != 0) {
		fprintf(stderr, "signet-scd: cannot tell the GnuPG home directory\n");
		return 1;
	}

	/* Config first: it may name the log file.  Its error is logged once
	 * the log is open, and then answered to every card command. */
	snprintf(path, sizeof(path), "%s/%s", server.homedir, SCDCONF_NAME);
	err = scdconf_load(path, &server.conf, server.conf_error, sizeof(server.conf_error));
	if (server.conf != NULL && server.conf->log_file != NULL) {
		logfile = server.conf->log_file;
	} else {
		n = snprintf(logpath, sizeof(logpath), "%s/%s", server.homedir, SCD_LOG_NAME);
		logfile = (n > 0 && (size_t)n < sizeof(logpath)) ? logpath : NULL;
	}
	lerr = log_init("signet-scd", logfile,
	                server.conf != NULL && server.conf->debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	log_info("signet-scd %s starting (home %s, %s%s)", SIGNET_VERSION, server.homedir,
	         multi ? "multi-server" : "server", resumed ? ", restarted in place" : "");
	if (lerr != 0)
		log_warn_e(lerr, "cannot open log file %s", logfile != NULL ? logfile : "?");
	if (err != 0) {
		log_error("configuration: %s", server.conf_error);
		log_error("every card command will fail until signet-scd.conf is fixed "
		          "(then: gpgconf --kill scdaemon)");
	}

	if (!gcry_check_version(GCRYPT_VERSION))
		log_fatal("libgcrypt is older than %s", GCRYPT_VERSION);
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	/* gpg-agent closing the pipe must end us through EOF, not SIGPIPE
	 * halfway through a write. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (pthread_create(&tid, NULL, signal_thread, &sigs) != 0)
		log_fatal("cannot start the signal thread");
	pthread_detach(tid);

	if (server.conf != NULL) {
		err = backend_new(server.conf->policyd_socket, server.conf->serial, &server.be);
		if (err != 0)
			log_fatal("backend: %s", gpg_strerror(err));
		/* The keys of the last run first: if policyd is down now,
		 * KEYINFO and SERIALNO --all must still answer, or gpg-agent
		 * 2.4 asks for the card without end (scd-protocol §6.3). */
		n = snprintf(path, sizeof(path), "%s/%s", server.homedir, KEYCACHE_NAME);
		if (n < 0 || (size_t)n >= sizeof(path))
			log_warn("home %s too long for the key cache file", server.homedir);
		else if ((err = backend_use_cache_file(server.be, path)) != 0)
			log_warn_e(err, "key cache %s not used", path);
		/* Fill the key cache now, so that KEYINFO can answer even if
		 * policyd goes away later.  Failure is logged and not fatal. */
		backend_refresh(server.be, BACKEND_REFRESH_FORCE, NULL);
	}
	/* After a restart in place gpg-agent still knows the old socket's
	 * name: listen there again, or it can reach us only by the pipe. */
	if (listen_fd >= 0 && restart_adopt_socket(&server, listen_fd) != 0)
		log_warn("restart: gpg-agent's sessions cannot reach the extra socket; "
		         "a new one is made for its next start");
	if (multi && (server.listen_fd >= 0 || server_socket_open(&server) == 0))
		server_socket_start(&server);

	server_shutdown(&server, server_run_pipe(&server));
}
