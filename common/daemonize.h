/* daemonize.h — --daemon for Signet's daemons: the parent process returns
 * (exit 0) only once the child says it is ready to serve, so `signet start`
 * and systemd's Type=forking see a working daemon or a failure, never a
 * half-started one. */
#ifndef SIGNET_DAEMONIZE_H
#define SIGNET_DAEMONIZE_H

#include <signal.h>
#include <gpg-error.h>

/* Fork.  In the parent this never returns: it waits for the child's ready
 * byte and exits 0, or reaps the child and exits 1 (the child printed why).
 * In the child (new session) *READY_FD gets the pipe for daemonize_ready().
 * On failure returns the error and sets *WHAT to the step ("pipe", "fork",
 * "setsid"). */
gpg_error_t daemonize_fork(int *ready_fd, const char **what);

/* daemonize_fork for a daemon's main(): on failure print
 * "PROG: --daemon: STEP: reason" to standard error and exit 1.  Returns
 * the ready pipe (in the child). */
int daemonize_start(const char *prog);

/* Block SIGTERM, SIGINT and SIGHUP in every thread (SET gets them, for the
 * main thread's sigwait) and ignore SIGPIPE (a client that hung up) and
 * SIGXFSZ (a file size limit must fail the audit write with EFBIG, not kill
 * the daemon). */
void daemonize_block_signals(sigset_t *set);

/* Write our pid to PATH (0644, created or truncated, symlinks refused). */
gpg_error_t daemonize_write_pidfile(const char *path);

/* Child: stdin/out/err to /dev/null, then tell the parent to exit 0. */
void daemonize_ready(int ready_fd);

#endif
