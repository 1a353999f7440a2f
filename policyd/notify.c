/* notify.c — see notify.h.
 *
 * The program is started with fork() and execve() from the notify thread
 * of a threaded daemon: between the two the child only calls
 * async-signal-safe functions, with everything it needs (argv, envp, the
 * descriptor limit) built before fork().  Whether execve() worked comes
 * back through a close-on-exec pipe (nothing read: it did). */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "monotime.h"

#define NOTIFY_EVENT_MAX 16
#define NOTIFY_NENV      8          /* PATH and the seven SIGNET_ variables */
#define NOTIFY_ENV_MAX   (NOTIFY_TEXT_MAX + 32)

struct item {
	char program[NOTIFY_PROGRAM_MAX];
	char event[NOTIFY_EVENT_MAX];
	int64_t request;
	char project[NOTIFY_TEXT_MAX];
	char requester[NOTIFY_TEXT_MAX];
	char reason[NOTIFY_TEXT_MAX];
	unsigned approvals, needed;
};

struct notify {
	pthread_mutex_t lock;           /* guards the queue, STOP and DROPPED */
	pthread_cond_t cond;
	struct item q[NOTIFY_QUEUE_MAX];
	size_t head, len;
	int stop;
	unsigned long dropped;
	pthread_t tid;
	struct audit_log *audit;
	unsigned timeout_sec;
};

/* What one run came to. */
struct outcome {
	int exec_errno;                 /* execve failed with it; 0: started */
	int timed_out;
	int status;                     /* waitpid's, when it ended by itself */
	char output[NOTIFY_OUTPUT_MAX + 1];
	size_t outlen;
};

/* The child, between fork() and execve(): async-signal-safe calls only.
 * Signal dispositions and the mask are policyd's (SIGPIPE ignored, SIGTERM
 * blocked): execve() would pass both on, so they are reset. */
static void __attribute__((noreturn))
child(char *const argv[], char *const envp[], int devnull, int out, int errp, int maxfd)
{
	struct sigaction sa;
	sigset_t none;
	int sig, fd, e;

	(void)setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 || dup2(errp, 3) < 0 ||
	    fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		goto fail;
	if (close_range(4, ~0U, 0) != 0)
		for (fd = 4; fd < maxfd; fd++)
			(void)close(fd);
	execve(argv[0], argv, envp);
fail:
	e = errno;
	(void)!write(3, &e, sizeof(e));
	_exit(127);
}

/* Read the program's output until it closes it or DEADLINE (ms); keeps the
 * first NOTIFY_OUTPUT_MAX bytes.  1 if the deadline came first. */
static int
collect(int fd, int64_t deadline, struct outcome *o)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char buf[1024];
	int64_t left;
	ssize_t n;
	size_t k;

	for (;;) {
		if ((left = deadline - monotime_ms()) <= 0)
			return 1;
		if ((n = poll(&p, 1, (int)left)) < 0 && errno != EINTR)
			return 0;
		if (n <= 0)
			continue;
		if ((n = read(fd, buf, sizeof(buf))) == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return 0;
		if (n > 0 && o->outlen < NOTIFY_OUTPUT_MAX) {
			k = (size_t)n < NOTIFY_OUTPUT_MAX - o->outlen ? (size_t)n : NOTIFY_OUTPUT_MAX - o->outlen;
			memcpy(o->output + o->outlen, buf, k);
			o->outlen += k;
		}
	}
}

/* Wait for PID until DEADLINE (ms), then kill its process group.  (Not
 * after a normal exit: a mailer may leave a delivery process behind on
 * purpose.) */
static void
reap(pid_t pid, int64_t deadline, struct outcome *o)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	pid_t r;

	while (!o->timed_out) {
		if ((r = waitpid(pid, &o->status, WNOHANG)) == pid || (r < 0 && errno != EINTR))
			return;
		if (monotime_ms() >= deadline)
			o->timed_out = 1;
		else
			nanosleep(&tick, NULL);
	}
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, &o->status, 0) < 0 && errno == EINTR)
		;
}

/* Run IT's program; 0 when it started, or the error of fork/pipe. */
static int
run_program(const struct item *it, unsigned timeout_sec, struct outcome *o)
{
	char env[NOTIFY_NENV][NOTIFY_ENV_MAX], *envp[NOTIFY_NENV + 1], *argv[2];
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, devnull = -1, rc = 0, maxfd = 1024;
	struct rlimit rl;
	int64_t deadline;
	pid_t pid;
	ssize_t n;
	size_t i;

	snprintf(env[0], NOTIFY_ENV_MAX, "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	snprintf(env[1], NOTIFY_ENV_MAX, "SIGNET_EVENT=%s", it->event);
	snprintf(env[2], NOTIFY_ENV_MAX, "SIGNET_REQUEST=%lld", (long long)it->request);
	snprintf(env[3], NOTIFY_ENV_MAX, "SIGNET_PROJECT=%s", it->project);
	snprintf(env[4], NOTIFY_ENV_MAX, "SIGNET_REQUESTER=%s", it->requester);
	snprintf(env[5], NOTIFY_ENV_MAX, "SIGNET_APPROVALS=%u", it->approvals);
	snprintf(env[6], NOTIFY_ENV_MAX, "SIGNET_NEEDED=%u", it->needed);
	snprintf(env[7], NOTIFY_ENV_MAX, "SIGNET_REASON=%s", it->reason);
	for (i = 0; i < NOTIFY_NENV; i++)
		envp[i] = env[i];
	envp[NOTIFY_NENV] = NULL;
	argv[0] = (char *)it->program;
	argv[1] = NULL;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 65536)
		maxfd = (int)rl.rlim_cur;

	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0 ||
	    (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 || (pid = fork()) < 0) {
		rc = errno;
		goto out;
	}
	if (pid == 0)
		child(argv, envp, devnull, out[1], errp[1], maxfd);
	(void)setpgid(pid, pid);   /* before the child did, for kill(-pid) */
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	deadline = monotime_ms() + (int64_t)timeout_sec * 1000;
	while ((n = read(errp[0], &o->exec_errno, sizeof(o->exec_errno))) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(o->exec_errno))
		o->exec_errno = 0;
	o->timed_out = collect(out[0], deadline, o);
	reap(pid, deadline, o);
out:
	for (i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (devnull >= 0)
		close(devnull);
	return rc;
}

/* The program's output into the log, one line per line, escaped. */
static void
log_output(const struct item *it, struct outcome *o)
{
	char vis[512], *line, *save = NULL;

	o->output[o->outlen] = '\0';
	for (line = strtok_r(o->output, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		log_info("notify %s %lld: %s", it->event, (long long)it->request, log_vis(line, vis, sizeof(vis)));
	if (o->outlen == NOTIFY_OUTPUT_MAX)
		log_info("notify %s %lld: (output cut at %d bytes)", it->event, (long long)it->request,
		         NOTIFY_OUTPUT_MAX);
}

static void
report_failure(struct notify *n, const struct item *it, const char *reason)
{
	struct audit_event ev;
	gpg_error_t r;

	log_warn("notify %s for request %lld: %s", it->event, (long long)it->request, reason);
	if (n->audit == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.event = "notify";
	ev.project = it->project[0] != '\0' ? it->project : NULL;
	ev.request = it->request;
	ev.result = "error";
	ev.reason = reason;
	if ((r = audit_append(n->audit, &ev, NULL)) != 0)
		log_error_e(r, "audit append (notify failure)");
}

static void
run_item(struct notify *n, const struct item *it, unsigned timeout_sec)
{
	struct outcome *o;
	char reason[NOTIFY_PROGRAM_MAX + 128];
	int err;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		report_failure(n, it, "out of memory");
		return;
	}
	if ((err = run_program(it, timeout_sec, o)) != 0)
		snprintf(reason, sizeof(reason), "cannot start %s: %s", it->program, strerror(err));
	else if (o->exec_errno != 0)
		snprintf(reason, sizeof(reason), "cannot run %s: %s", it->program, strerror(o->exec_errno));
	else if (o->timed_out)
		snprintf(reason, sizeof(reason), "%s did not finish within %u s: killed", it->program,
		         timeout_sec);
	else if (WIFSIGNALED(o->status))
		snprintf(reason, sizeof(reason), "%s was killed by signal %d", it->program,
		         WTERMSIG(o->status));
	else if (WIFEXITED(o->status) && WEXITSTATUS(o->status) != 0)
		snprintf(reason, sizeof(reason), "%s exited with status %d", it->program,
		         WEXITSTATUS(o->status));
	else
		reason[0] = '\0';
	log_output(it, o);
	if (reason[0] != '\0')
		report_failure(n, it, reason);
	else
		log_info("notify %s for request %lld: done", it->event, (long long)it->request);
	free(o);
}

static void *
notify_main(void *arg)
{
	struct notify *n = arg;
	struct item *it;
	unsigned timeout;

	if ((it = malloc(sizeof(*it))) == NULL)
		return NULL;
	pthread_mutex_lock(&n->lock);
	for (;;) {
		while (n->len == 0 && !n->stop)
			pthread_cond_wait(&n->cond, &n->lock);
		if (n->len == 0)
			break;
		*it = n->q[n->head];
		n->head = (n->head + 1) % NOTIFY_QUEUE_MAX;
		n->len--;
		timeout = n->timeout_sec;
		pthread_mutex_unlock(&n->lock);
		run_item(n, it, timeout);
		pthread_mutex_lock(&n->lock);
	}
	pthread_mutex_unlock(&n->lock);
	free(it);
	return NULL;
}

gpg_error_t
notify_new(struct audit_log *audit, struct notify **out)
{
	struct notify *n;
	int rc;

	*out = NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	n->audit = audit;
	n->timeout_sec = NOTIFY_TIMEOUT_SEC;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	if ((rc = pthread_create(&n->tid, NULL, notify_main, n)) != 0) {
		pthread_cond_destroy(&n->cond);
		pthread_mutex_destroy(&n->lock);
		free(n);
		return gpg_error_from_errno(rc);
	}
	*out = n;
	return 0;
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->lock);
	n->stop = 1;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->tid, NULL);
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

void
notify_set_timeout(struct notify *n, unsigned sec)
{
	pthread_mutex_lock(&n->lock);
	n->timeout_sec = sec;
	pthread_mutex_unlock(&n->lock);
}

void
notify_post(struct notify *n, const char *program, const struct notify_event *ev)
{
	struct item *it;
	unsigned long dropped;

	if (n == NULL || program == NULL || program[0] == '\0')
		return;
	pthread_mutex_lock(&n->lock);
	if (n->len == NOTIFY_QUEUE_MAX || n->stop) {
		dropped = ++n->dropped;
		pthread_mutex_unlock(&n->lock);
		log_warn("notify %s for request %lld dropped: %d notifications wait already (%lu dropped)",
		         ev->event, (long long)ev->request, NOTIFY_QUEUE_MAX, dropped);
		return;
	}
	it = &n->q[(n->head + n->len) % NOTIFY_QUEUE_MAX];
	snprintf(it->program, sizeof(it->program), "%s", program);
	snprintf(it->event, sizeof(it->event), "%s", ev->event);
	it->request = ev->request;
	snprintf(it->project, sizeof(it->project), "%s", ev->project ? ev->project : "");
	snprintf(it->requester, sizeof(it->requester), "%s", ev->requester ? ev->requester : "");
	snprintf(it->reason, sizeof(it->reason), "%s", ev->reason ? ev->reason : "");
	it->approvals = ev->approvals;
	it->needed = ev->needed;
	n->len++;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}
