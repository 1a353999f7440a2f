/* fuzz/scd_dispatch.c — libFuzzer target: signet-scd's whole Assuan
 * command dispatch (scdaemon-shim/command.c, backend.c, card.c,
 * keycache.c) as gpg-agent drives it over its pipe, with the backend
 * talking to a real signet-policyd over its real socket, in front of a
 * real SoftHSM2 token (fuzz/lib/world.h; nothing is mocked).
 *
 * Each input is one session: its lines (at most SESSION_MAX_LINES, 64 KiB)
 * go to server_serve_pipe() as gpg-agent's side of the pipe, and every
 * answer is read until signet-scd hangs up; each answer line must be a
 * valid Assuan line, and the session must end within
 * SESSION_DEADLINE_MS.  Each session gets a fresh backend (key cache, idle
 * policyd connections), as a freshly started signet-scd would, except for
 * the key cache file, which stays in the world's folder like the real one
 * in $GNUPGHOME.  An input that starts with '!' is served with policyd
 * unreachable (a socket nobody listens on): what answers from that cache
 * and what fails fast.
 *
 * Seeds: fuzz/corpus/scd_dispatch/ (realistic gpg-agent sessions).  The
 * world's keygrips and keyrefs are new every time, so an input may name
 * them {grip0}, {ref0}, {grip1}, {ref1} (the two signing subkeys) and
 * {legacy} (SIGNET.<project>, a stub from before subkeys). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>

#include "backend.h"
#include "keycache.h"
#include "lib/session.h"
#include "lib/world.h"
#include "log.h"
#include "scdconf.h"
#include "server.h"
#define FUZZ_OWN_INITIALIZE
#include "gcrypt-init.h"

/* The harness's only state. */
static struct {
	struct world world;
	struct scd_server srv;
	struct scd_conf *conf;          /* the world's policyd */
	struct scd_conf *conf_down;     /* a socket nobody listens on */
	char cache_path[96];
	struct session_macros macros;   /* {grip0} {ref0} {grip1} {ref1} {legacy} */
	uint8_t input[SESSION_MAX_INPUT];
} fz;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
at_exit(void)
{
	scdconf_free(fz.conf);
	scdconf_free(fz.conf_down);
	fz.srv.conf = NULL;
	world_end(&fz.world);
}

/* signet-scd.conf for policyd at SOCKET, as `signet setup` writes it. */
static void
load_conf(struct scd_conf **conf, const char *socket)
{
	char text[512], err[SCDCONF_ERR_MAX];
	int n;

	n = snprintf(text, sizeof(text), "policyd_socket = %s\nserial = %s\n", socket, WORLD_SERIAL);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    scdconf_parse_buffer("fuzz.conf", text, (size_t)n, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "scd_dispatch: signet-scd.conf: %s\n", err);
		exit(1);
	}
}

/* The world's keys, for the seeds' macros (their keygrips are new in
 * every world). */
static void
learn_keys(void)
{
	struct card_keylist kl = { NULL, 0 };
	char name[SESSION_MACRO_NAME];
	size_t i;

	/* The refresh also writes the key cache file. */
	if (backend_new(fz.srv.conf->policyd_socket, fz.srv.conf->serial, &fz.srv.be) != 0 ||
	    backend_use_cache_file(fz.srv.be, fz.cache_path) != 0 ||
	    backend_refresh(fz.srv.be, BACKEND_REFRESH_FORCE, NULL) != 0 ||
	    backend_keys(fz.srv.be, &kl) != 0 || kl.nkeys == 0) {
		fprintf(stderr, "scd_dispatch: cannot list the world's keys from signet-policyd\n");
		exit(1);
	}
	for (i = 0; i < kl.nkeys && i < 2; i++) {
		snprintf(name, sizeof(name), "{grip%zu}", i);
		session_macro_add(&fz.macros, name, kl.keys[i].grip);
		snprintf(name, sizeof(name), "{ref%zu}", i);
		session_macro_add(&fz.macros, name, kl.keys[i].keyref);
	}
	/* The EC projects' keys: {grip_<project>}. */
	for (i = 0; i < kl.nkeys; i++) {
		if (strcmp(kl.keys[i].project, WORLD_P256_PROJECT) != 0 &&
		    strcmp(kl.keys[i].project, WORLD_ED25519_PROJECT) != 0)
			continue;
		snprintf(name, sizeof(name), "{grip_%s}", kl.keys[i].project);
		session_macro_add(&fz.macros, name, kl.keys[i].grip);
	}
	session_macro_add(&fz.macros, "{legacy}", CARD_KEYREF_PREFIX WORLD_PROJECT);
	card_keylist_clear(&kl);
	backend_free(fz.srv.be);
	fz.srv.be = NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char down[sizeof(fz.world.dir) + 16];

	(void)argc;
	fuzz_gcrypt_init();
	/* As signet-scd's main(): a closed pipe is EOF, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	/* No agent pid: OPTION event-signal must never signal anyone here. */
	unsetenv("_assuan_pipe_connect_pid");
	/* Every log line formatted (log_vis on peer strings), none kept. */
	log_init("signet-scd", "/dev/null", LOG_LEVEL_DEBUG);

	world_start(&fz.world, (*argv)[0]);
	atexit(at_exit);

	pthread_mutex_init(&fz.srv.lock, NULL);
	fz.srv.listen_fd = -1;
	snprintf(fz.srv.homedir, sizeof(fz.srv.homedir), "%s", fz.world.dir);
	load_conf(&fz.conf, fz.world.socket);
	snprintf(down, sizeof(down), "%s/down.sock", fz.world.dir);
	load_conf(&fz.conf_down, down);
	fz.srv.conf = fz.conf;
	snprintf(fz.cache_path, sizeof(fz.cache_path), "%s/%s", fz.world.dir, KEYCACHE_NAME);
	learn_keys();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session s;
	int in[2], out[2];
	size_t len;

	/* '!': policyd is down; the key cache file answers what it can. */
	fz.srv.conf = size > 0 && data[0] == '!' ? fz.conf_down : fz.conf;
	if (size > 0 && data[0] == '!') {
		data++;
		size--;
	}
	if (backend_new(fz.srv.conf->policyd_socket, fz.srv.conf->serial, &fz.srv.be) != 0)
		__builtin_trap();
	/* Fails only for a malformed file, which is then ignored. */
	(void)backend_use_cache_file(fz.srv.be, fz.cache_path);
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
		__builtin_trap();
	len = session_expand(&fz.macros, data, size, fz.input, sizeof(fz.input));
	session_start(&s, "signet-scd", fz.input, session_bound(fz.input, len), in[1], out[0]);
	/* KILLSCD (1) ends only the session here. */
	if (server_serve_pipe(&fz.srv, in[0], out[1]) < 0)
		__builtin_trap();
	session_finish(&s);
	backend_free(fz.srv.be);
	fz.srv.be = NULL;
	return 0;
}
