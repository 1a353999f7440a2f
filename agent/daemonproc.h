/* daemonproc.h — the daemons `signet start` runs (signet-policyd,
 * signet-tsa), seen through their pid files and /proc.
 *
 * A pid file is only a hint: a pid is acted on only when /proc says the
 * process is alive (not a zombie) and its name is the daemon's, so a stale
 * file whose pid was reused by another program is never signalled. */
#ifndef SIGNET_AGENT_DAEMONPROC_H
#define SIGNET_AGENT_DAEMONPROC_H

#include <sys/types.h>

#define DAEMONPROC_STOP_TIMEOUT 10     /* seconds from SIGTERM to giving up */

/* Read a pid from the pid file PATH (no symbolic link).  Returns 1 with
 * *PID set, 0 when there is no file, -1 when it holds no valid pid. */
int daemonproc_read_pid(const char *path, pid_t *pid);

/* 1 if PID is alive, not a zombie, and named PROG in /proc/PID/comm (at
 * most 15 characters, the kernel's limit), else 0. */
int daemonproc_is(pid_t pid, const char *prog);

/* The daemon PROG of pid file PIDFILE, if it runs: 1 with *PID set, or 0
 * (*PID 0).  A pid file that names no PROG is stale: when REMOVE_STALE,
 * it is removed and "removed stale pid file PATH" printed. */
int daemonproc_running(const char *prog, const char *pidfile, int remove_stale, pid_t *pid);

/* Stop PROG (pid PID, from PIDFILE): SIGTERM, then wait up to
 * DAEMONPROC_STOP_TIMEOUT seconds for it to go, then remove PIDFILE.
 * Prints what happened; on failure the reason and what to do (LOG names
 * the file to read).  Returns CLI_EXIT_OK or CLI_EXIT_FAIL. */
int daemonproc_stop(const char *prog, pid_t pid, const char *pidfile, const char *log);

#endif
