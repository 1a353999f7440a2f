/* run.h — starting helper programs (signet-policyd, signet-tsa, gpg,
 * gpgconf, gpg-connect-agent) without a shell and with an explicit environment.
 *
 * Nothing the user typed is ever interpreted by a shell: argv goes straight
 * to posix_spawn().  The environment is built here, from a short list, so
 * that nothing unexpected (LD_PRELOAD, GPG_AGENT_INFO, a stray GNUPGHOME)
 * leaks into the helpers. */
#ifndef SIGNET_AGENT_RUN_H
#define SIGNET_AGENT_RUN_H

#include <stddef.h>
#include <gpg-error.h>

#define RUN_MAX_ENV     16
#define RUN_MAX_OUTPUT  (1024 * 1024)   /* captured stdout+stderr */
#define RUN_MAX_INPUT   (32 * 1024)     /* fits in a pipe: written before reading */

struct cli;

struct run_env {
	char *var[RUN_MAX_ENV + 1];      /* "NAME=value", NULL-terminated */
	size_t n;
};

/* Start ENV with PATH (the caller's, or a default), HOME, LC_ALL=C, and
 * TMPDIR if set.  Returns GPG_ERR_ENOMEM. */
gpg_error_t run_env_init(struct run_env *env);
/* Add or replace NAME=VALUE.  GPG_ERR_TOO_LARGE past RUN_MAX_ENV. */
gpg_error_t run_env_set(struct run_env *env, const char *name, const char *value);
void run_env_clear(struct run_env *env);

/* Run the program at PATH (absolute) with ARGV and ENV and wait for it.
 * stdin gets IN (INLEN bytes, at most RUN_MAX_INPUT) or /dev/null when IN is
 * NULL.  When OUT is not NULL, stdout and stderr are captured together into
 * a new NUL-terminated *OUT (free()), else they are inherited.  *STATUS gets
 * the exit code, or 128 + signal number.  Returns an error only when the
 * program could not be run at all. */
gpg_error_t run_program(const char *path, char *const argv[], const struct run_env *env,
                        const void *in, size_t inlen, char **out, int *status);

/* Run NAME, the Signet program next to this signet (cli_sibling()), with
 * ARGV (ARGV[0] is NAME) and the run_env_init() environment plus
 * SOFTHSM2_CONF=SOFTHSM2_CONF when that is not NULL, and wait for it;
 * OUT and *STATUS as for run_program() (stdin is /dev/null).  Secrets go in
 * files the program's config names, never in ARGV.  Returns CLI_EXIT_OK
 * when the program ran, whatever its exit status; else CLI_EXIT_FAIL after
 * cli_fail() said what failed and what to do (not found next to signet,
 * no memory for the environment, not runnable). */
int run_sibling(const struct cli *cli, const char *name, char *const argv[], const char *softhsm2_conf,
                char **out, int *status);

/* Find NAME in the caller's $PATH (or a default path) into OUT.
 * GPG_ERR_ENOENT if not found. */
gpg_error_t run_find_program(const char *name, char *out, size_t outlen);

#endif
