/* daemonize.c — see daemonize.h. */
#include "daemonize.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

gpg_error_t
daemonize_fork(int *ready_fd, const char **what)
{
	int pfd[2];
	pid_t pid;
	char c;
	ssize_t n;
	int status;

	*ready_fd = -1;
	*what = "pipe";
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return gpg_error_from_syserror();
	*what = "fork";
	if ((pid = fork()) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return gpg_error_from_syserror();
	}
	if (pid > 0) {
		close(pfd[1]);
		do
			n = read(pfd[0], &c, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1 && c == 'R')
			_exit(0);
		/* The child printed why; reap it. */
		waitpid(pid, &status, 0);
		_exit(1);
	}
	close(pfd[0]);
	*what = "setsid";
	if (setsid() < 0) {
		close(pfd[1]);
		return gpg_error_from_syserror();
	}
	*ready_fd = pfd[1];
	return 0;
}

void
daemonize_ready(int ready_fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	if (write(ready_fd, "R", 1) != 1)
		log_warn("could not tell the parent that the daemon is ready");
	close(ready_fd);
}

gpg_error_t
daemonize_write_pidfile(const char *path)
{
	gpg_error_t r = 0;
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return gpg_error_from_syserror();
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n)
		r = gpg_error_from_syserror();
	if (close(fd) != 0 && r == 0)
		r = gpg_error_from_syserror();
	return r;
}

int
daemonize_start(const char *prog)
{
	const char *what = NULL;
	gpg_error_t r;
	int fd;

	if ((r = daemonize_fork(&fd, &what)) != 0) {
		fprintf(stderr, "%s: --daemon: %s: %s\n", prog, what, gpg_strerror(r));
		exit(1);
	}
	return fd;
}

void
daemonize_block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}
