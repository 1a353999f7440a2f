/* main.c — signet-policyd: options, start-up, reload; the daemon context.
 *
 * Start-up order (STYLE.md practice 15): configuration, log, audit trail,
 * HSM login, project keys, socket; only then is the daemon "ready".  With
 * --daemon the fork comes first (a PKCS#11 module must never be used across
 * fork()), and the child tells the waiting parent over a pipe when it is
 * ready, so the parent exits 0 only for a daemon that answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gcrypt.h>

#include "audit.h"
#include "auditconf.h"
#include "auditkey.h"
#include "auditts.h"
#include "signednote.h"
#include "config.h"
#include "hsm.h"
#include "idcache.h"
#include "daemonize.h"
#include "ecverify.h"
#include "engine.h"
#include "store.h"
#include "log.h"
#include "notify.h"
#include "platform.h"
#include "policyd.h"
#include "project.h"
#include "snapshot.h"
#include "totp.h"
#include "trustpath.h"

#define PROG "signet-policyd"
#define MAIN_MAX_ERR 1024

enum mode { MODE_RUN, MODE_CHECK_CONFIG, MODE_INIT_TOKEN };

/* The daemon's only global state. */
static struct policyd policyd = { .listen_fd = -1 };

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: " PROG " [--home DIR | --config FILE] [--daemon] [--pidfile FILE]\n"
	        "       " PROG " [--home DIR | --config FILE] --init-token | --check-config\n"
	        "       " PROG " --version | --help\n"
	        "\n"
	        "  --home DIR       use DIR/signet.conf\n"
	        "  --config FILE    the configuration file (see signet-policyd(8))\n"
	        "  --daemon         detach once the socket listens and the HSM is logged in\n"
	        "  --pidfile FILE   write the daemon's pid to FILE\n"
	        "  --init-token     create the [hsm] token (PINs from so_pin_file and pin_file)\n"
	        "  --check-config   load the configuration, print \"FILE: ok\" or the error\n");
}

/* One line on stderr: what failed, why, what to do. */
static void
die(const char *what, const char *why, const char *todo) __attribute__((noreturn));
static void
die(const char *what, const char *why, const char *todo)
{
	fprintf(stderr, PROG ": %s: %s%s%s\n", what, why, todo ? "; " : "", todo ? todo : "");
	exit(1);
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		die("start-up", "out of memory", NULL);
	return p;
}

/* Settings that only a restart applies; a reload keeps the running ones. */
static void
warn_restart_only(const struct signet_config *old, const struct signet_config *cfg)
{
	static const char *const what[] = { "[policyd] socket", "[policyd] socket_group", "[policyd] audit",
	                                    "[policyd] log", "[hsm] module", "[hsm] token", "[hsm] pin_file" };
	const char *a[7] = { old->socket, old->socket_group, old->audit, old->log, old->module,
	                     old->token, old->pin_file };
	const char *b[7] = { cfg->socket, cfg->socket_group, cfg->audit, cfg->log, cfg->module,
	                     cfg->token, cfg->pin_file };
	size_t i;

	for (i = 0; i < 7; i++)
		if ((a[i] == NULL) != (b[i] == NULL) || (a[i] && strcmp(a[i], b[i]) != 0))
			log_warn("reload: %s changed; it takes effect at the next restart", what[i]);
}

/* StrictModes (common/trustpath.h): the configuration file and what it
 * makes the daemon load or read secrets from must be owned by root or the
 * daemon's user and writable by no one else, as must every folder above
 * them.  The socket's folder is checked where it is made (server.c). */
static gpg_error_t
check_trust(const char *config_path, const struct signet_config *cfg, char *err, size_t errlen)
{
	const struct trustpath_item items[] = {
		{ "configuration", config_path, 0 },
		{ "[hsm] module", cfg->module, 0 },
		{ "[hsm] pin_file", cfg->pin_file, 0 },
		{ "[hsm] so_pin_file", cfg->so_pin_file, 1 },
		{ "[hsm] softhsm2_conf", cfg->softhsm2_conf, 0 },
	};

	return trustpath_check_items(items, sizeof(items) / sizeof(items[0]), geteuid(), err, errlen);
}

gpg_error_t
policyd_reload(struct policyd *pd, const struct configaudit_by *by, char *err, size_t errlen)
{
	gpg_error_t r;
	struct signet_config *cfg = NULL;
	struct project_table *table = NULL;
	struct snapshot *cur = NULL, *next = NULL;
	uint8_t sha[CONFIGAUDIT_SHA256_LEN];
	int have_sha = 0;

	/* One reload at a time, so that each starts from the one before. */
	pthread_mutex_lock(&pd->reload_lock);
	cur = snapshot_get(&pd->snap);
	if ((r = configaudit_load(pd->config_path, &cfg, sha, &have_sha, err, errlen)) != 0)
		goto refused;
	if ((r = check_trust(pd->config_path, cfg, err, errlen)) != 0)
		goto refused;
	/* [hsm] token stays what the HSM session was opened with. */
	if (strcmp(cfg->token, cur->cfg->token) != 0) {
		snprintf(err, errlen, "%s: [hsm] token changed from %s to %s; restart signet-policyd for that",
		         pd->config_path, cur->cfg->token, cfg->token);
		r = gpg_error(GPG_ERR_INV_VALUE);
		goto refused;
	}
	if ((r = project_table_load(cfg, pd->hsm, &table, err, errlen)) != 0)
		goto refused;
	if ((r = snapshot_new(cfg, table, &next)) != 0) {
		snprintf(err, errlen, "out of memory");
		goto refused;
	}
	cfg = NULL;
	table = NULL;
	warn_restart_only(cur->cfg, next->cfg);
	/* Requests under way keep the snapshot they hold; new ones get NEXT. */
	memcpy(pd->cfg_sha256, sha, sizeof(sha));
	snapshot_publish(&pd->snap, next);
	/* CUR is still referenced here, so the old configuration is alive. */
	(void)configaudit_record(pd->audit, by, sha, cur->cfg, next->cfg);
	r = 0; /* success */
	goto out;
refused:
	(void)configaudit_failed(pd->audit, by, have_sha ? sha : NULL, err);
out:
	snapshot_put(cur);
	pthread_mutex_unlock(&pd->reload_lock);
	project_table_free(table);
	config_free(cfg);
	return r;
}

static int
run_init_token(const struct signet_config *cfg)
{
	char err[MAIN_MAX_ERR];
	gpg_error_t r;
	int created = 0;

	if (cfg->so_pin_file == NULL)
		die("--init-token", "[hsm] so_pin_file is not set", "add it to the configuration");
	if ((r = hsm_init_token(cfg->module, cfg->token, cfg->so_pin_file, cfg->pin_file, &created,
	                        err, sizeof(err))) != 0)
		die("--init-token", err, "check [hsm] in the configuration and the PIN files");
	if (created)
		printf("token \"%s\" initialised\n", cfg->token);
	else
		printf("token \"%s\" already exists\n", cfg->token);
	return 0;
}

/* The command line. */
struct options {
	char *config;            /* the configuration file (allocated) */
	int daemonize;
	enum mode mode;
};

/* Parse ARGV into O (PD gets --pidfile).  Returns -1 to go on, or the exit
 * status after --version, --help or a bad option. */
static int
parse_options(int argc, char **argv, struct policyd *pd, struct options *o)
{
	static const struct option longopts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "config", required_argument, NULL, 'c' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "init-token", no_argument, NULL, 'I' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'H':
			free(o->config);
			if (asprintf(&o->config, "%s/signet.conf", optarg) < 0)
				die("--home", "out of memory", NULL);
			break;
		case 'c':
			free(o->config);
			o->config = xstrdup(optarg);
			break;
		case 'd':
			o->daemonize = 1;
			break;
		case 'p':
			pd->pidfile = xstrdup(optarg);
			break;
		case 'I':
			o->mode = MODE_INIT_TOKEN;
			break;
		case 'C':
			o->mode = MODE_CHECK_CONFIG;
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
	if (o->config == NULL)
		die("configuration", "no configuration file given", "use --home DIR or --config FILE");
	return -1;
}

gpg_error_t
policyd_open_store(struct policyd *pd, const struct signet_config *cfg, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *slash;

	if (cfg->state != NULL) {
		snprintf(dir, sizeof(dir), "%s", cfg->state);
	} else {
		slash = strrchr(cfg->audit, '/');
		if (slash == NULL)
			snprintf(dir, sizeof(dir), ".");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash == cfg->audit ? 1 : slash - cfg->audit),
			         cfg->audit);
	}
	return store_open(dir, &pd->store, err, errlen);
}

/* The verifiable log: segment size, and checkpoints signed by the audit
 * key on the HSM (made on first use), time-stamped when tsa_url is set. */
static gpg_error_t
start_checkpoints(struct policyd *pd, const struct signet_config *cfg, const char **what, char *err,
                  size_t errlen)
{
	char origin[NOTE_MAX_NAME + 1];
	struct audit_signer signer;
	gpg_error_t r;

	if (cfg->audit_origin != NULL)
		snprintf(origin, sizeof(origin), "%s", cfg->audit_origin);
	else
		snprintf(origin, sizeof(origin), "signet.%02x%02x%02x%02x/policyd", cfg->instance[0],
		         cfg->instance[1], cfg->instance[2], cfg->instance[3]);
	*what = "audit key";
	if ((r = policyd_auditkey(pd->hsm, origin, &signer, err, errlen)) != 0)
		return r;
	*what = "audit time-stamps";
	if (cfg->tsa_url != NULL) {
		if ((r = auditts_new(cfg->tsa_url, NULL, NULL, 0, &pd->auditts, err, errlen)) != 0)
			return r;
		auditts_attach(pd->auditts, &signer);
	}
	*what = "audit checkpoints";
	return auditconf_start(pd->audit, &signer, cfg->checkpoint_every, cfg->checkpoint_interval,
	                       cfg->audit_segment_size, err, errlen);
}

/* Everything between the configuration and "ready", in the order of
 * practice 15: log, hardening, lock, audit trail, HSM login, project keys,
 * socket, pid file.  Dies on any failure. */
static void
start_up(struct policyd *pd, struct signet_config *cfg)
{
	static const struct configaudit_by start_by = { "start", 0, 0, NULL, 0 };
	struct project_table *projects = NULL;
	struct snapshot *first = NULL;
	sigset_t set; /* loop.c's event loop waits for these itself */
	char err[MAIN_MAX_ERR];
	const char *what = NULL;
	gpg_error_t r;

	if ((r = log_init(PROG, cfg->log, LOG_LEVEL_INFO)) != 0)
		die("log", gpg_strerror(r), "check [policyd] log");
	platform_harden();
	daemonize_block_signals(&set);
	hours_memo_init(&pd->hours_memo);
	if (pthread_mutex_init(&pd->reload_lock, NULL) != 0 || pthread_mutex_init(&pd->edit_lock, NULL) != 0)
		die("start-up", "cannot create the reload lock", NULL);

	if ((r = audit_open(cfg->audit, &pd->audit)) != 0) {
		snprintf(err, sizeof(err), "%s: %s", cfg->audit, gpg_strerror(r));
		die("audit trail", err, "check [policyd] audit (a damaged last line must be repaired by hand)");
	}
	if ((r = denials_new(&pd->denials)) != 0 || (r = denylog_new(pd->audit, 1, &pd->denylog)) != 0 ||
	    (r = notify_new(pd->audit, &pd->notify)) != 0 ||
	    (r = idcache_new(NULL, NULL, IDCACHE_TTL_MS, &pd->ids)) != 0 || (r = ecverify_cache_new(&pd->ecv)) != 0)
		die("start-up", gpg_strerror(r), NULL);
	if ((r = policyd_open_store(pd, cfg, err, sizeof(err))) != 0)
		die("state store", err, "check [policyd] state (a folder of the daemon's user)");
	if ((r = hsm_open(cfg->module, cfg->token, cfg->pin_file, &pd->hsm, err, sizeof(err))) != 0)
		die("HSM", err, "check [hsm] in the configuration");
	if ((r = totp_keys_open(pd->hsm, &pd->totp)) != 0)
		die("start-up", gpg_strerror(r), NULL);
	if ((r = project_table_load(cfg, pd->hsm, &projects, err, sizeof(err))) != 0)
		die("project keys", err, "create the key (KEYGEN) or fix the key URI");
	if ((r = server_listen(pd, cfg, err, sizeof(err))) != 0)
		die("socket", err, "check [policyd] socket");
	/* Only once the socket is ours: a second instance that fails to bind
	 * must not have written to the trail. */
	if ((r = configaudit_record(pd->audit, &start_by, pd->cfg_sha256, NULL, cfg)) != 0) {
		server_close(pd);
		die("audit trail", gpg_strerror(r), "check [policyd] audit and the disk it is on");
	}
	if ((r = start_checkpoints(pd, cfg, &what, err, sizeof(err))) != 0) {
		server_close(pd);
		die(what, err, "check [policyd] (audit_*, checkpoint_*, tsa_url) and the token");
	}
	if ((r = snapshot_new(cfg, projects, &first)) != 0 ||
	    (r = snapshot_slot_init(&pd->snap, first)) != 0) {
		server_close(pd);
		die("start-up", gpg_strerror(r), NULL);
	}
	if ((r = engine_start(pd)) != 0) {
		server_close(pd);
		die("start-up", gpg_strerror(r), "check [policyd] state");
	}
	if (pd->pidfile != NULL && (r = daemonize_write_pidfile(pd->pidfile)) != 0) {
		server_close(pd);
		die("pidfile", gpg_strerror(r), "check --pidfile");
	}
}

int
main(int argc, char **argv)
{
	struct policyd *pd = &policyd;
	struct options o = { NULL, 0, MODE_RUN };
	struct signet_config *cfg = NULL;
	char err[MAIN_MAX_ERR];
	gpg_error_t r;
	int ready_fd = -1, status, have_sha = 0;

	if ((status = parse_options(argc, argv, pd, &o)) >= 0)
		return status;
	pd->config_path = o.config;
	pd->self_uid = geteuid();
	/* glibc gives the top of a heap back to the kernel whenever 128 KiB
	 * lie free there, and takes it again on the next request: a brk or
	 * madvise and its TLB shootdown (an IPI to every core) per state
	 * transaction.  Measured: 40 % of a grant use's CPU on a 2-core VM.
	 * policyd's heap is bounded by its per-user limits; keep it.  Setting
	 * the trim threshold also ends glibc's dynamic mmap threshold, which
	 * would then leave every block of 128 KiB or more to its own mmap and
	 * munmap (another shootdown per signature): those come from the heap
	 * too. */
	mallopt(M_TRIM_THRESHOLD, POLICYD_MALLOC_KEEP);
	mallopt(M_MMAP_THRESHOLD, POLICYD_MALLOC_MMAP);

	if (!gcry_check_version(GCRYPT_VERSION))
		die("libgcrypt", "version mismatch", "reinstall libgcrypt");
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);

	if ((r = configaudit_load(o.config, &cfg, pd->cfg_sha256, &have_sha, err, sizeof(err))) != 0 ||
	    (r = check_trust(o.config, cfg, err, sizeof(err))) != 0) {
		config_free(cfg);   /* loaded but not trusted */
		if (o.mode == MODE_CHECK_CONFIG) {
			printf("%s\n", err);
			return 1;
		}
		die("configuration", err, "fix the file and start again");
	}
	if (o.mode == MODE_CHECK_CONFIG) {
		printf("%s: ok\n", o.config);
		config_free(cfg);
		return 0;
	}
	/* Before the module is loaded: SoftHSM2 reads it in C_Initialize. */
	if (cfg->softhsm2_conf != NULL && setenv("SOFTHSM2_CONF", cfg->softhsm2_conf, 1) != 0)
		die("SOFTHSM2_CONF", strerror(errno), NULL);
	if (o.mode == MODE_INIT_TOKEN) {
		status = run_init_token(cfg);
		config_free(cfg);
		return status;
	}

	if (o.daemonize)
		ready_fd = daemonize_start(PROG);
	start_up(pd, cfg);
	log_info("ready: %zu project(s), socket %s", pd->snap.cur->projects->n, pd->socket_path);
	if (o.daemonize)
		daemonize_ready(ready_fd);

	status = server_run(pd);

	server_close(pd);
	engine_stop(pd);
	if (pd->pidfile != NULL)
		unlink(pd->pidfile);
	/* The counts of coalesced refusals still held go to the trail; a
	 * refusal still in flight is written on its own. */
	denylog_close(pd->denylog);
	/* The last checkpoint covers every record so far. */
	audit_stop_checkpoints(pd->audit);
	log_info("stopped");
	/* Workers may still be in a request: leave without tearing
	 * down what they use (no atexit/destructors of the module either);
	 * every answer given was already durable. */
	fflush(NULL);
	_exit(status);
}
