/* tsad.h — signet-tsa of a home, for `signet start`, `signet stop` and
 * `signet status`: started with DIR/tsa.conf once `signet tsa init` has
 * put its certificate in place, found through DIR/run/tsa.pid (and /proc,
 * daemonproc.h). */
#ifndef SIGNET_AGENT_TSAD_H
#define SIGNET_AGENT_TSAD_H

#include <sys/types.h>

#include "cli.h"
#include "home.h"

#define TSAD_PROG "signet-tsa"

/* Start signet-tsa for H unless it runs already: nothing when H has no
 * tsa.conf, a note when its certificate is not there yet (a CSR is
 * pending).  Returns once the daemon listens.  Prints what happened; on
 * failure the daemon's own words (or the tail of its log) and what to do.
 * CLI_EXIT_OK or CLI_EXIT_FAIL. */
int tsad_start(const struct cli *cli, const struct home *h);

/* Stop H's signet-tsa if it runs (SIGTERM, wait, remove the pid file).
 * Silent when H has no tsa.conf and no pid file.  CLI_EXIT_OK or
 * CLI_EXIT_FAIL (printed). */
int tsad_stop(const struct home *h);

/* 1 with *PID if H's signet-tsa runs, else 0. */
int tsad_running(const struct home *h, pid_t *pid);

/* Print the "tsa:" line of `signet status`: running with its URL, not
 * running, waiting for a certificate, or not initialised. */
void tsad_print_status(const struct home *h);

#endif
