/* run.c — posix_spawn with explicit stdio and environment. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "run.h"

#define RUN_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

gpg_error_t
run_env_set(struct run_env *env, const char *name, const char *value)
{
	size_t i, nlen = strlen(name);
	char *v = NULL;

	if (asprintf(&v, "%s=%s", name, value) < 0)
		return gpg_error(GPG_ERR_ENOMEM);
	for (i = 0; i < env->n; i++) {
		if (strncmp(env->var[i], name, nlen) == 0 && env->var[i][nlen] == '=') {
			free(env->var[i]);
			env->var[i] = v;
			return 0;
		}
	}
	if (env->n >= RUN_MAX_ENV) {
		free(v);
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	env->var[env->n++] = v;
	env->var[env->n] = NULL;
	return 0;
}

void
run_env_clear(struct run_env *env)
{
	size_t i;

	for (i = 0; i < env->n; i++)
		free(env->var[i]);
	env->n = 0;
	env->var[0] = NULL;
}

gpg_error_t
run_env_init(struct run_env *env)
{
	const char *path = getenv("PATH"), *home = getenv("HOME"), *tmp = getenv("TMPDIR");
	gpg_error_t err;

	env->n = 0;
	env->var[0] = NULL;
	if ((err = run_env_set(env, "PATH", path && path[0] ? path : RUN_DEFAULT_PATH)) != 0 ||
	    (home && (err = run_env_set(env, "HOME", home)) != 0) ||
	    (tmp && (err = run_env_set(env, "TMPDIR", tmp)) != 0) ||
	    (err = run_env_set(env, "LC_ALL", "C")) != 0) {
		run_env_clear(env);
		return err;
	}
	return 0;
}

gpg_error_t
run_find_program(const char *name, char *out, size_t outlen)
{
	const char *path = getenv("PATH");
	const char *p, *end;
	int n;

	if (path == NULL || path[0] == '\0')
		path = RUN_DEFAULT_PATH;
	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		if (end == p || *p != '/')
			continue;   /* relative $PATH entries are never trusted */
		n = snprintf(out, outlen, "%.*s/%s", (int)(end - p), p, name);
		if (n < 0 || (size_t)n >= outlen)
			continue;
		if (access(out, X_OK) == 0)
			return 0;
	}
	if (outlen)
		out[0] = '\0';
	return gpg_error(GPG_ERR_ENOENT);
}

static gpg_error_t
read_all(int fd, char **out)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t r;
	char chunk[4096];

	*out = NULL;
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return gpg_error_from_syserror();
		}
		if (r == 0)
			break;
		if (len + (size_t)r + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nbuf;

			while (ncap < len + (size_t)r + 1)
				ncap *= 2;
			if (ncap > RUN_MAX_OUTPUT + 1) {
				/* Keep reading so the child is not blocked, but
				 * drop what does not fit. */
				if (len + 1 >= RUN_MAX_OUTPUT + 1)
					continue;
				ncap = RUN_MAX_OUTPUT + 1;
				if ((size_t)r > ncap - 1 - len)
					r = (ssize_t)(ncap - 1 - len);
			}
			if ((nbuf = realloc(buf, ncap)) == NULL) {
				free(buf);
				return gpg_error(GPG_ERR_ENOMEM);
			}
			buf = nbuf;
			cap = ncap;
		}
		memcpy(buf + len, chunk, (size_t)r);
		len += (size_t)r;
	}
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* The child's descriptors: stdin from a new pipe INPIPE (IN given) or
 * /dev/null, stdout and stderr into a new pipe OUTPIPE (capturing) or
 * inherited, nothing else. */
static gpg_error_t
plan_fds(posix_spawn_file_actions_t *fa, int with_in, int with_out, int inpipe[2], int outpipe[2])
{
	int r;

	if (with_in) {
		if (pipe2(inpipe, O_CLOEXEC) != 0)
			return gpg_error_from_syserror();
		r = posix_spawn_file_actions_adddup2(fa, inpipe[0], 0);
	} else {
		r = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	}
	if (r != 0)
		return gpg_error_from_errno(r);
	if (with_out) {
		if (pipe2(outpipe, O_CLOEXEC) != 0)
			return gpg_error_from_syserror();
		if ((r = posix_spawn_file_actions_adddup2(fa, outpipe[1], 1)) != 0 ||
		    (r = posix_spawn_file_actions_adddup2(fa, outpipe[1], 2)) != 0)
			return gpg_error_from_errno(r);
	}
	/* Our own descriptors (a policyd connection, say) stay ours. */
	if ((r = posix_spawn_file_actions_addclosefrom_np(fa, 3)) != 0)
		return gpg_error_from_errno(r);
	return 0;
}

/* Write IN/INLEN (at most RUN_MAX_INPUT bytes) to FD.  That fits in the
 * pipe buffer, so this cannot deadlock against the output pipe.  EPIPE
 * (the child did not read) shows in its exit status, not here. */
static void
write_input(int fd, const void *in, size_t inlen)
{
	const char *p = in;
	ssize_t w;

	while (inlen > 0) {
		w = write(fd, p, inlen);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		inlen -= (size_t)w;
	}
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

gpg_error_t
run_program(const char *path, char *const argv[], const struct run_env *env,
            const void *in, size_t inlen, char **out, int *status)
{
	posix_spawn_file_actions_t fa;
	int fa_ok = 0;
	int inpipe[2] = { -1, -1 }, outpipe[2] = { -1, -1 };
	pid_t pid = -1;
	int r, wst;
	gpg_error_t err = 0;
	char *captured = NULL;

	*status = -1;
	if (out != NULL)
		*out = NULL;
	if (in != NULL && inlen > RUN_MAX_INPUT)
		return gpg_error(GPG_ERR_TOO_LARGE);
	if ((r = posix_spawn_file_actions_init(&fa)) != 0)
		return gpg_error_from_errno(r);
	fa_ok = 1;
	if ((err = plan_fds(&fa, in != NULL, out != NULL, inpipe, outpipe)) != 0)
		goto out;
	fflush(stdout);
	fflush(stderr);
	r = posix_spawn(&pid, path, &fa, NULL, argv, env->var);
	if (r != 0) {
		pid = -1;
		err = gpg_error_from_errno(r);
		goto out;
	}
	if (in != NULL) {
		close_fd(&inpipe[0]);
		write_input(inpipe[1], in, inlen);
		close_fd(&inpipe[1]);
	}
	if (out != NULL) {
		close_fd(&outpipe[1]);
		err = read_all(outpipe[0], &captured);
	}
	while ((r = waitpid(pid, &wst, 0)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		err = gpg_error_from_syserror();
		goto out;
	}
	pid = -1;
	if (WIFEXITED(wst))
		*status = WEXITSTATUS(wst);
	else if (WIFSIGNALED(wst))
		*status = 128 + WTERMSIG(wst);
	if (err == 0 && out != NULL) {
		*out = captured;
		captured = NULL;
	}
out:
	if (pid > 0)
		while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
			;
	close_fd(&inpipe[0]);
	close_fd(&inpipe[1]);
	close_fd(&outpipe[0]);
	close_fd(&outpipe[1]);
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	free(captured);
	return err;
}

int
run_sibling(const struct cli *cli, const char *name, char *const argv[], const char *softhsm2_conf,
            char **out, int *status)
{
	struct run_env env = { .n = 0 };
	char prog[PATH_MAX];
	gpg_error_t err;
	int rc;

	*status = -1;
	if (out != NULL)
		*out = NULL;
	if ((err = cli_sibling(cli, name, prog, sizeof(prog))) != 0)
		return cli_fail("find %s in %s: %s; build it (`make`) or install signet completely", name,
		                cli->bindir, gpg_strerror(err));
	if ((err = run_env_init(&env)) != 0 ||
	    (softhsm2_conf != NULL && (err = run_env_set(&env, "SOFTHSM2_CONF", softhsm2_conf)) != 0)) {
		rc = cli_fail("prepare the environment: %s; try again", gpg_strerror(err));
		goto out;
	}
	if ((err = run_program(prog, argv, &env, NULL, 0, out, status)) != 0) {
		rc = cli_fail("run %s: %s; check that it is executable", prog, gpg_strerror(err));
		goto out;
	}
	rc = CLI_EXIT_OK;
out:
	run_env_clear(&env);
	return rc;
}
