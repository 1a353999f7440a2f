/* fuzz/policyd_dispatch.c — libFuzzer target: signet-policyd's whole
 * command dispatch (policyd/command.c and everything it calls: policy,
 * projects, HSM, key operations, audit trail, refusals) in-process, in
 * front of a real SoftHSM2 token (fuzz/lib/world.h; nothing is mocked).
 *
 * LLVMFuzzerInitialize makes the world with the real programs, stops the
 * world's signet-policyd and builds a struct policyd on the same home as
 * policyd/main.c does (configuration, audit trail, refusals, HSM session,
 * project snapshot; no socket, no event loop).  Each input is then one
 * client connection: its lines (at most SESSION_MAX_LINES, 64 KiB) go over
 * a socketpair to the daemon's per-connection code (conn.h: greeting,
 * bounded line reader, a worker's run of each line, the never-waiting
 * output queue) driven as the event loop drives it, and every answer is
 * read until policyd hangs up; answer lines must be valid Assuan lines and
 * the session must end within SESSION_DEADLINE_MS.
 *
 * An input that starts with '!' is served as another user (WORLD_OTHER_
 * SIGNER: not an admin, not a signer of the fuzzing user's project), so
 * both the granted and the refused paths are reached.  The seeds name the
 * world's keys {grip0} {grip1} (the current and the old signing subkey of
 * WORLD_PROJECT) and {primary} (its primary key's keygrip).
 *
 * Everything the daemon can be made to write stays in the world's folder:
 * RELOAD re-reads the world's signet.conf, which only PROJECT SET and
 * PROJECT CREATE write (validated first, so it always loads again);
 * KEYGEN labels are objects on the world's token; MKCERT, ROTATE and
 * UPGRADE write the certificates and key states the configuration names,
 * in the world's certs/.  Key generation takes a while (RSA-4096: seconds
 * on SoftHSM2), so an input runs at most FUZZ_MAX_KEYOPS of those (PROJECT
 * counts: CREATE makes a key, SET rewrites the file); the rest of it is
 * cut. */
#include <ctype.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gcrypt.h>

#include "configaudit.h"
#include "conn.h"
#include "connio.h"
#include "lib/session.h"
#include "lib/world.h"
#include "log.h"
#include "monotime.h"
#include "policyd.h"
#include "snapshot.h"
#include "../policyd/totp.h"   /* not common/totp.h */
#define FUZZ_OWN_INITIALIZE
#include "gcrypt-init.h"

#define FUZZ_MAX_KEYOPS 2
#define FUZZ_ERR_MAX 1024

/* The harness's only state. */
static struct {
	struct world world;
	struct policyd pd;
	uid_t other_uid;                /* (uid_t)-1: no such user */
	struct session_macros macros;
	uint8_t input[SESSION_MAX_INPUT];
} fz;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *err) __attribute__((noreturn));
static void
die(const char *what, const char *err)
{
	fprintf(stderr, "policyd_dispatch: %s: %s\n", what, err);
	exit(1);
}

static void
at_exit(void)
{
	world_end(&fz.world);
}

/* policyd/main.c's start_up() without the socket, the event loop, the pid
 * file and the hardening (a fuzzer must stay debuggable). */
static void
start_policyd(struct policyd *pd, const char *config)
{
	struct signet_config *cfg = NULL;
	struct project_table *projects = NULL;
	struct snapshot *first = NULL;
	char err[FUZZ_ERR_MAX];
	int have_sha = 0;
	gpg_error_t r;

	pd->listen_fd = -1;
	pd->self_uid = geteuid();
	if ((pd->config_path = strdup(config)) == NULL)
		die("start-up", "out of memory");
	if (configaudit_load(config, &cfg, pd->cfg_sha256, &have_sha, err, sizeof(err)) != 0)
		die("configuration", err);
	if (cfg->softhsm2_conf != NULL && setenv("SOFTHSM2_CONF", cfg->softhsm2_conf, 1) != 0)
		die("SOFTHSM2_CONF", "setenv");
	hours_memo_init(&pd->hours_memo);
	if (pthread_mutex_init(&pd->reload_lock, NULL) != 0 || pthread_mutex_init(&pd->edit_lock, NULL) != 0)
		die("start-up", "reload lock");
	if ((r = audit_open(cfg->audit, &pd->audit)) != 0)
		die("audit trail", gpg_strerror(r));
	if ((r = denials_new(&pd->denials)) != 0 || (r = denylog_new(pd->audit, 1, &pd->denylog)) != 0)
		die("start-up", gpg_strerror(r));
	if (policyd_open_store(pd, cfg, err, sizeof(err)) != 0)
		die("state store", err);
	if (hsm_open(cfg->module, cfg->token, cfg->pin_file, &pd->hsm, err, sizeof(err)) != 0)
		die("HSM", err);
	if (totp_keys_open(pd->hsm, &pd->totp) != 0)
		die("start-up", "TOTP keys");
	if (project_table_load(cfg, pd->hsm, &projects, err, sizeof(err)) != 0)
		die("project keys", err);
	if ((r = snapshot_new(cfg, projects, &first)) != 0 || (r = snapshot_slot_init(&pd->snap, first)) != 0)
		die("start-up", gpg_strerror(r));
}

/* One connection through the daemon's per-connection machinery (conn.h,
 * connio.h) in the order the event loop (loop.c) drives it: greeting;
 * then, until the client leaves or the connection is dead, send what is
 * queued, read until a whole line is held, and run it as a worker does.
 * The waits the loop does in epoll are poll()s on the one socket here. */
static void
serve_conn(struct conn *c)
{
	struct pollfd p = { c->fd, 0, 0 };
	enum conn_state st;
	int r;

	if (conn_greet(c) != 0)
		return;
	for (;;) {
		while (connio_has_output(c)) {
			if ((r = connio_flush(c)) < 0)
				return;
			p.events = POLLOUT;
			if (r == 0 && poll(&p, 1, -1) < 0)
				return;
		}
		if (c->dead)
			return;
		st = conn_pending(c, monotime_sec());
		while (st == CONN_WAIT) {
			p.events = POLLIN;
			if (poll(&p, 1, -1) < 0)
				return;
			st = conn_read(c, monotime_sec());
		}
		if (st == CONN_CLOSE)
			return;
		conn_work(c);
	}
}

/* The macros of the seeds: the world's keygrips. */
static void
learn_keys(void)
{
	struct snapshot *snap = snapshot_get(&fz.pd.snap);
	const struct project *p = project_table_find(snap->projects, WORLD_PROJECT);
	char name[SESSION_MACRO_NAME];
	size_t i, k = 0;

	if (p == NULL || p->ks.nsubs == 0)
		die("world", "project " WORLD_PROJECT " has no signing subkey");
	/* Newest first: {grip0} is the current subkey, as in KEYLIST. */
	for (i = p->ks.nsubs; i-- > 0 && k < 2; k++) {
		snprintf(name, sizeof(name), "{grip%zu}", k);
		session_macro_add(&fz.macros, name, p->subs[i].pub.grip);
	}
	session_macro_add(&fz.macros, "{primary}", p->pub.grip);
	snapshot_put(snap);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct passwd *pw;

	(void)argc;
	fuzz_gcrypt_init();
	signal(SIGPIPE, SIG_IGN);
	/* Every log line formatted, none kept. */
	log_init("signet-policyd", "/dev/null", LOG_LEVEL_DEBUG);

	world_start(&fz.world, (*argv)[0]);
	atexit(at_exit);
	/* This process is the daemon from now on. */
	world_stop_policyd(&fz.world);
	start_policyd(&fz.pd, fz.world.config);
	pw = getpwnam(WORLD_OTHER_SIGNER);
	fz.other_uid = pw != NULL ? pw->pw_uid : (uid_t)-1;
	learn_keys();
	return 0;
}

/* 1 if LINE (LEN bytes) is a command that generates a key. */
static int
is_keyop(const uint8_t *line, size_t len)
{
	static const char *const ops[] = { "KEYGEN", "MKCERT", "ROTATE", "UPGRADE", "PROJECT" };
	size_t i, n;

	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		n = strlen(ops[i]);
		if (len >= n && strncasecmp((const char *)line, ops[i], n) == 0 &&
		    (len == n || isspace(line[n])))
			return 1;
	}
	return 0;
}

/* LEN cut before the (FUZZ_MAX_KEYOPS + 1)th key operation. */
static size_t
bound_keyops(const uint8_t *data, size_t len)
{
	size_t start = 0, i, n = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && data[i] != '\n')
			continue;
		if (is_keyop(data + start, i - start) && ++n > FUZZ_MAX_KEYOPS)
			return start;
		start = i + 1;
	}
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session s;
	struct conn *c;
	uid_t uid = getuid();
	size_t len;
	int sv[2];

	if (size > 0 && data[0] == '!') {
		if (fz.other_uid == (uid_t)-1)
			return 0;
		uid = fz.other_uid;
		data++;
		size--;
	}
	len = session_expand(&fz.macros, data, size, fz.input, sizeof(fz.input));
	len = bound_keyops(fz.input, session_bound(fz.input, len));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0)
		__builtin_trap();
	if (conn_new(&fz.pd, sv[0], uid, getpid(), &c) != 0)
		__builtin_trap();
	session_start(&s, "signet-policyd", fz.input, len, sv[1], sv[1]);
	serve_conn(c);
	conn_free(c);   /* closes sv[0]: the client sees EOF */
	session_finish(&s);
	return 0;
}
