/* world.c — see world.h. */
#include "world.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORLD_MAX_ARGS 16

extern char **environ;

static void die(const struct world *w, const char *what) __attribute__((noreturn));
static void
die(const struct world *w, const char *what)
{
	char cmd[256];

	fprintf(stderr, "fuzz world: %s\n", what);
	if (w->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "tail -n 20 %s/world.log >&2", w->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz world: (no log)\n");
	}
	exit(1);
}

/* $SIGNET_BIN, else ../build/bin beside this binary. */
static void
find_bin(struct world *w, const char *argv0)
{
	char self[PATH_MAX], probe[PATH_MAX + 32];
	const char *env = getenv("SIGNET_BIN");
	ssize_t n;
	int len;

	if (env != NULL && env[0] != '\0') {
		len = snprintf(w->bin, sizeof(w->bin), "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			n = (ssize_t)snprintf(self, sizeof(self), "%s", argv0);
		self[n < (ssize_t)sizeof(self) ? n : (ssize_t)sizeof(self) - 1] = '\0';
		len = snprintf(w->bin, sizeof(w->bin), "%s/../build/bin", dirname(self));
	}
	if (len < 0 || (size_t)len >= sizeof(w->bin))
		die(w, "the programs' folder name is too long");
	snprintf(probe, sizeof(probe), "%s/signet", w->bin);
	if (access(probe, X_OK) != 0) {
		fprintf(stderr, "fuzz world: %s: %s; run `make` first or set SIGNET_BIN\n", probe,
		        strerror(errno));
		exit(1);
	}
}

/* Run ARGV[0] (a program in the bin folder) with output to DIR/world.log;
 * its exit status, or -1. */
static int
run(const struct world *w, char *const argv[])
{
	posix_spawn_file_actions_t fa;
	char path[PATH_MAX + 32], log[64];
	pid_t pid;
	int st, rc;

	snprintf(path, sizeof(path), "%s/%s", w->bin, argv[0]);
	snprintf(log, sizeof(log), "%s/world.log", w->dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
world_signet(const struct world *w, ...)
{
	char *argv[WORLD_MAX_ARGS + 4];
	size_t n = 0;
	va_list ap;
	char *a;

	argv[n++] = (char *)"signet";
	argv[n++] = (char *)"--home";
	argv[n++] = (char *)w->home;
	va_start(ap, w);
	while ((a = va_arg(ap, char *)) != NULL && n < WORLD_MAX_ARGS + 3)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return run(w, argv);
}

/* The janitor: waits until every copy of the pipe's write end is gone
 * (the fuzzer ended, however), then stops policyd and removes the folder.
 * It ignores the terminal's signals so that Ctrl-C does not skip that. */
static void
start_janitor(struct world *w)
{
	static const char script[] = "\"$1\"/signet --home \"$2\" stop >/dev/null 2>&1; rm -rf -- \"$3\"";
	int fds[2];
	char c;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) != 0)
		die(w, "pipe for the janitor");
	fflush(NULL);
	w->janitor = fork();
	if (w->janitor < 0)
		die(w, "fork for the janitor");
	if (w->janitor == 0) {
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		close(fds[1]);
		do
			n = read(fds[0], &c, 1);
		while (n > 0 || (n < 0 && errno == EINTR));
		execl("/bin/sh", "sh", "-c", script, "sh", w->bin, w->home, w->dir, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	w->janitor_fd = fds[1];
}

/* /dev/shm when there is one: the audit trail syncs every record and
 * SoftHSM2 writes a file per key, which costs a disk far more than a
 * tmpfs (several times the executions per second). */
static const char *
world_tmp(void)
{
	return access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
}

/* Wait for the clock's next second (a condition, not a guessed delay). */
static void
next_second(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec++;
	ts.tv_nsec = 0;
	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

void
world_start(struct world *w, const char *argv0)
{
	char signer[128];
	struct passwd *pw;
	int n;

	memset(w, 0, sizeof(*w));
	w->janitor_fd = -1;
	find_bin(w, argv0);
	snprintf(w->dir, sizeof(w->dir), "%s/sfzXXXXXX", world_tmp());
	if (mkdtemp(w->dir) == NULL) {
		w->dir[0] = '\0';
		die(w, "mkdtemp sfzXXXXXX in /dev/shm or /tmp");
	}
	n = snprintf(w->home, sizeof(w->home), "%s/h", w->dir);
	if (n < 0 || (size_t)n >= sizeof(w->home))
		die(w, "home name too long");
	snprintf(w->config, sizeof(w->config), "%s/signet.conf", w->home);
	snprintf(w->socket, sizeof(w->socket), "%s/run/policyd.sock", w->home);
	/* Only now: the janitor's copy of W must name the home it stops
	 * (forked before, it ran `signet --home "" stop` and left policyd
	 * running after every fuzzing run). */
	start_janitor(w);
	if ((pw = getpwuid(getuid())) == NULL)
		die(w, "the fuzzing user has no name");
	snprintf(signer, sizeof(signer), "user:%s", pw->pw_name);
	if (world_signet(w, "init", (char *)NULL) != 0)
		die(w, "signet init failed");
	if (world_signet(w, "start", (char *)NULL) != 0)
		die(w, "signet start failed");
	if (world_signet(w, "project", "create", WORLD_PROJECT, "--algo", "rsa2048", "--uid",
	                 "Fuzz <fuzz@signet.test>", "--signer", signer, (char *)NULL) != 0)
		die(w, "signet project create failed");
	if (world_signet(w, "project", "create", WORLD_P256_PROJECT, "--algo", "p256", "--uid",
	                 "Fuzz P-256 <e@signet.test>", "--signer", signer, (char *)NULL) != 0 ||
	    world_signet(w, "project", "create", WORLD_ED25519_PROJECT, "--algo", "ed25519", "--uid",
	                 "Fuzz Ed25519 <d@signet.test>", "--signer", signer, (char *)NULL) != 0)
		die(w, "signet project create (the EC projects) failed");
	/* A project the fuzzing user may not sign with (refusals, WHY). */
	if (getpwnam(WORLD_OTHER_SIGNER) != NULL &&
	    world_signet(w, "project", "create", WORLD_OTHER_PROJECT, "--algo", "rsa2048", "--uid",
	                 "Other <other@signet.test>", "--signer", "user:" WORLD_OTHER_SIGNER,
	                 (char *)NULL) != 0)
		die(w, "signet project create (the other project) failed");
	/* A second signing subkey inside its overlap: KEYLIST lists two.
	 * policyd refuses to rotate a subkey made this second. */
	next_second();
	if (world_signet(w, "project", "rotate", WORLD_PROJECT, "--overlap", "7d", (char *)NULL) != 0)
		die(w, "signet project rotate failed");
}

void
world_stop_policyd(const struct world *w)
{
	if (world_signet(w, "stop", (char *)NULL) != 0)
		die(w, "signet stop failed");
}

void
world_end(struct world *w)
{
	if (w->janitor_fd < 0)
		return;
	close(w->janitor_fd);
	w->janitor_fd = -1;
	while (waitpid(w->janitor, NULL, 0) < 0 && errno == EINTR)
		;
}
