/* setup-programs.c — see setup-programs.h. */
#include "setup-programs.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "cli.h"
#include "dotfile.h"

#define GIT_OUT_MAX 4096

/* $HOME, else the passwd entry's folder. */
static int
home_dir(char *out, size_t outlen)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if ((home == NULL || home[0] == '\0') && (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || home[0] != '/')
		return cli_fail("find your home folder: $HOME is not set to an absolute path; set it and run "
		                "setup again");
	if ((size_t)snprintf(out, outlen, "%s", home) >= outlen)
		return cli_fail("use the home folder %s: path too long", home);
	return CLI_EXIT_OK;
}

/* PATH may be written into a shell script or a shell-sourced file between
 * single quotes, and into an rpm macro: refuse what would change meaning
 * there (WHAT names the file, for the message). */
static int
path_ok(const char *path, const char *what)
{
	const char *bad = strpbrk(path, "'\"\\$`%\n\r\t ");

	if (bad == NULL)
		return CLI_EXIT_OK;
	return cli_fail("write %s: the path %s has a '%c', which it cannot carry safely; use a GnuPG "
	                "home and a gpg whose paths have none of ' \" \\ $ ` %% or blanks",
	                what, path, *bad == '\n' ? 'n' : *bad);
}

int
setup_programs_gpg(const struct setup_signer *sg, char *out, size_t outlen)
{
	char script[3 * PATH_MAX], *old = NULL;
	size_t oldlen = 0;
	gpg_error_t err;
	int n, rc;

	if (sg->default_home) {
		if ((size_t)snprintf(out, outlen, "%s", sg->gpg) >= outlen)
			return cli_fail("use gpg at %s: path too long", sg->gpg);
		return CLI_EXIT_OK;
	}
	if ((rc = path_ok(sg->gnupghome, SETUP_WRAPPER_NAME)) != 0 || (rc = path_ok(sg->gpg, SETUP_WRAPPER_NAME)) != 0)
		return rc;
	n = snprintf(out, outlen, "%s/%s", sg->gnupghome, SETUP_WRAPPER_NAME);
	if (n < 0 || (size_t)n >= outlen)
		return cli_fail("write %s: path too long; choose a shorter --gnupghome", SETUP_WRAPPER_NAME);
	/* git runs gpg.program without a shell and with no way to add an
	 * option, so the home travels in a script. */
	snprintf(script, sizeof(script),
	         "#!/bin/sh\n"
	         "# Written by signet setup: gpg with the GnuPG home that signs through Signet.\n"
	         "GNUPGHOME='%s' exec '%s' \"$@\"\n", sg->gnupghome, sg->gpg);
	err = atomicfile_read(out, sizeof(script), &old, &oldlen);
	if (err == 0 && oldlen == strlen(script) && memcmp(old, script, oldlen) == 0) {
		free(old);
		printf("%s: unchanged\n", out);
		return CLI_EXIT_OK;
	}
	free(old);
	if ((err = atomicfile_write(out, script, strlen(script), 0700)) != 0)
		return cli_fail("write %s: %s; check the folder's permissions", out, gpg_strerror(err));
	printf("%s: written (runs %s with GNUPGHOME=%s)\n", out, sg->gpg, sg->gnupghome);
	return CLI_EXIT_OK;
}

/* Run git with ARGV; its output (trimmed) into OUT when not NULL.  The
 * exit status into *STATUS; CLI_EXIT_FAIL only if git could not run. */
static int
git_run(const struct setup_signer *sg, const char *git, char *const argv[], char *out, size_t outlen,
        int *status)
{
	char *text = NULL;
	size_t len;
	gpg_error_t err;

	if ((err = run_program(git, argv, sg->env, NULL, 0, &text, status)) != 0)
		return cli_fail("run %s: %s; check your git installation", git, gpg_strerror(err));
	if (out != NULL) {
		len = text != NULL ? strcspn(text, "\r\n") : 0;
		if (len >= outlen)
			len = outlen - 1;
		if (len > 0)
			memcpy(out, text, len);
		out[len] = '\0';
	}
	if (*status != 0 && out == NULL && text != NULL)
		fputs(text, stderr);
	free(text);
	return CLI_EXIT_OK;
}

/* Set git's KEY to VALUE in SCOPE ("--global" or "--local"), printing the
 * change or "unchanged". */
static int
git_set(const struct setup_signer *sg, const char *git, const char *scope, const char *key, const char *value)
{
	char *get[] = { "git", "config", (char *)scope, "--get", (char *)key, NULL };
	char *set[] = { "git", "config", (char *)scope, (char *)key, (char *)value, NULL };
	char old[GIT_OUT_MAX];
	int rc, status;

	if ((rc = git_run(sg, git, get, old, sizeof(old), &status)) != 0)
		return rc;
	if (status != 0)
		old[0] = '\0';        /* not set */
	if (strcmp(old, value) == 0) {
		printf("git config %s %s: unchanged (%s)\n", scope, key, value);
		return CLI_EXIT_OK;
	}
	if ((rc = git_run(sg, git, set, NULL, 0, &status)) != 0)
		return rc;
	if (status != 0)
		return cli_fail("git config %s %s %s: git exited with status %d; see its message above",
		                scope, key, value, status);
	printf("git config %s %s: %s%s%s\n", scope, key, old, old[0] ? " -> " : "", value);
	return CLI_EXIT_OK;
}

int
setup_programs_git(const struct setup_signer *sg, int global)
{
	char *inrepo[] = { "git", "rev-parse", "--git-dir", NULL };
	char git[PATH_MAX], prog[PATH_MAX], where[PATH_MAX];
	const char *scope = global ? "--global" : "--local";
	int rc, status;

	if (run_find_program("git", git, sizeof(git)) != 0)
		return cli_fail("set up git: git is not in $PATH; install it (Debian: apt-get install git)");
	if (!global) {
		if ((rc = git_run(sg, git, inrepo, where, sizeof(where), &status)) != 0)
			return rc;
		if (status != 0)
			return cli_fail("set up git: the current folder is not in a git repository; run setup "
			                "--git inside the repository, or add --global for all of yours");
	}
	if ((rc = git_set(sg, git, scope, "user.signingkey", sg->keyid)) != 0)
		return rc;
	/* gpg in $PATH finds the default home alone; another home needs
	 * the script that names it. */
	if (sg->default_home)
		return CLI_EXIT_OK;
	if ((rc = setup_programs_gpg(sg, prog, sizeof(prog))) != 0)
		return rc;
	return git_set(sg, git, scope, "gpg.program", prog);
}

/* HOME/NAME into OUT. */
static int
dotfile_path(const char *name, char *out, size_t outlen)
{
	char home[PATH_MAX];
	int rc;

	if ((rc = home_dir(home, sizeof(home))) != 0)
		return rc;
	if ((size_t)snprintf(out, outlen, "%s/%s", home, name) >= outlen)
		return cli_fail("write ~/%s: path too long", name);
	return CLI_EXIT_OK;
}

int
setup_programs_rpm(const struct setup_signer *sg)
{
	static const char *const keys[] = { "%_gpg_name", "%_gpg_path", "%__gpg" };
	char path[PATH_MAX], add[3 * PATH_MAX + 128];
	int rc;

	if ((rc = dotfile_path(".rpmmacros", path, sizeof(path))) != 0 ||
	    (rc = path_ok(sg->gnupghome, "~/.rpmmacros")) != 0 || (rc = path_ok(sg->gpg, "~/.rpmmacros")) != 0)
		return rc;
	/* %__gpg: some distributions' macros name /usr/bin/gpg2, which
	 * GnuPG 2.2 and later do not ship. */
	snprintf(add, sizeof(add), "%%_gpg_name %s\n%%_gpg_path %s\n%%__gpg %s\n", sg->keyid, sg->gnupghome,
	         sg->gpg);
	return dotfile_set_lines(path, keys, 3, add, 0644);
}

int
setup_programs_debsign(const struct setup_signer *sg)
{
	static const char *const keys[] = { "DEBSIGN_KEYID", "DEBSIGN_PROGRAM" };
	char path[PATH_MAX], prog[PATH_MAX], add[PATH_MAX + 128];
	int rc;

	if ((rc = dotfile_path(".devscripts", path, sizeof(path))) != 0 ||
	    (rc = setup_programs_gpg(sg, prog, sizeof(prog))) != 0 || (rc = path_ok(prog, "~/.devscripts")) != 0)
		return rc;
	/* debsign sources the file with a shell and runs the program
	 * unquoted: one word, no quoting needed beyond the quotes here. */
	snprintf(add, sizeof(add), "DEBSIGN_KEYID='%s'\nDEBSIGN_PROGRAM='%s'\n", sg->keyid, prog);
	return dotfile_set_lines(path, keys, 2, add, 0644);
}
