/* world.h — a real Signet world for the dispatch fuzz targets: a short
 * temporary folder (in /dev/shm, else /tmp) holding a Signet home made by
 * the real programs (`signet init`: a SoftHSM2 token and signet.conf;
 * `signet start`: signet-policyd; `signet project create` and `rotate`: a
 * project whose signer is the fuzzing user, with two signing subkeys, and
 * one whose signer is someone else).
 *
 * Nothing is left behind however the fuzzer ends: a janitor process forked
 * first waits for the fuzzer's end (EOF on a pipe only the fuzzer holds),
 * then stops policyd and removes the folder, so a crash (libFuzzer leaves
 * through _Exit) or Ctrl-C cleans up too.
 *
 * The programs come from $SIGNET_BIN, else ../build/bin next to the fuzz
 * binary (the Makefile builds them first). */
#ifndef SIGNET_FUZZ_WORLD_H
#define SIGNET_FUZZ_WORLD_H

#include <limits.h>
#include <sys/types.h>

#define WORLD_PROJECT "p"
/* A second project, signed for by another user (made only if that user
 * exists): the fuzzing user is refused there. */
#define WORLD_OTHER_PROJECT "q"
#define WORLD_OTHER_SIGNER "nobody"
/* Projects of the EC key types, signed for by the fuzzing user: the card
 * lists their keys beside the RSA ones (KEY-ATTR, READKEY, PKSIGN). */
#define WORLD_P256_PROJECT "e"
#define WORLD_ED25519_PROJECT "d"
/* The virtual card's serial the targets configure signet-scd with. */
#define WORLD_SERIAL "D276000124010304FFFE1A2B3C4D0000"

struct world {
	char dir[32];              /* /dev/shm/sfzXXXXXX or /tmp/sfzXXXXXX */
	char home[64];             /* DIR/h: the Signet home */
	char config[96];           /* HOME/signet.conf */
	char socket[96];           /* policyd's socket */
	char bin[PATH_MAX];        /* the programs */
	pid_t janitor;
	int janitor_fd;            /* write end of the janitor's pipe; -1: none */
};

/* Make the world (a few hundred milliseconds).  Any failure is printed
 * with what to do and ends the process: a fuzz target without its world
 * has nothing to fuzz. */
void world_start(struct world *w, const char *argv0);
/* Stop signet-policyd (for a target that serves the protocol in-process
 * from the same home).  Dies on failure. */
void world_stop_policyd(const struct world *w);
/* Run `signet ARGS...` (NULL-terminated) with --home; 0 if it exited 0.
 * Its output goes to DIR/world.log. */
int world_signet(const struct world *w, ...) __attribute__((sentinel));
/* Stop everything and remove the folder; waits for the janitor.  For
 * atexit(): idempotent. */
void world_end(struct world *w);

#endif
