/* cli.h — what every `signet` subcommand shares: the invocation context,
 * the exit codes and the one way a failure is reported.
 *
 * Every failure is one line on stderr, "signet: <what failed>: <why>; <what
 * to do>", and exit status 1; a usage error prints the subcommand's usage
 * and exits 2.  Exit codes are decided here and nowhere else (STYLE §5). */
#ifndef SIGNET_AGENT_CLI_H
#define SIGNET_AGENT_CLI_H

#include <limits.h>
#include <stddef.h>
#include <gpg-error.h>

#define CLI_EXIT_OK    0
#define CLI_EXIT_FAIL  1
#define CLI_EXIT_USAGE 2
/* Not an exit code: --help was answered; the subcommand ends with
 * CLI_EXIT_OK. */
#define CLI_HELP_SHOWN (-1)

#define CLI_HOME_ENV     "SIGNET_HOME"
/* The home when neither --home nor $SIGNET_HOME names one: fixed places,
 * never relative to the current folder (root running `cd /tmp && signet
 * start` must not load someone's /tmp/var).  Admin commands use the state
 * folder; signers' and approvers' commands (status, setup, why, request, …) the system configuration
 * folder when it exists (a service install keeps signet.conf there, with
 * the state folder private to the daemon's user), else the state folder
 * (a home made by `signet init` on the same machine). */
#define CLI_HOME_ADMIN  "/var/lib/signet"
#define CLI_HOME_CLIENT "/etc/signet"

struct cli {
	const char *home_arg;      /* --home DIR as given; NULL: $SIGNET_HOME, else the default */
	int client;                /* the command is a signer's or an approver's (main.c) */
	char bindir[PATH_MAX];     /* folder holding this executable (and its siblings) */
};

/* A subcommand: ARGV[0] is its name; returns an exit code. */
typedef int (*cli_command_fn)(struct cli *cli, int argc, char **argv);

/* Print "signet: <formatted text>" on stderr; returns CLI_EXIT_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "signet: <formatted text>" and "usage: signet USAGE" on stderr;
 * returns CLI_EXIT_USAGE. */
int cli_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The Signet home named by --home, $SIGNET_HOME, else CLI_HOME_CLIENT for a
 * client command when that folder exists, else CLI_HOME_ADMIN (not yet
 * made absolute; home_paths() does that). */
const char *cli_home(const struct cli *cli);

/* Absolute path of the sibling program NAME (signet-policyd, signet-scd)
 * into OUT.  GPG_ERR_ENOENT if it is not there or not executable. */
gpg_error_t cli_sibling(const struct cli *cli, const char *name, char *out, size_t outlen);

/* Fill CLI->bindir from /proc/self/exe. */
gpg_error_t cli_init(struct cli *cli);

/* Parse ARGV (ARGV[0] the subcommand) for the options of a subcommand that
 * takes only --home DIR and --help.  Returns CLI_EXIT_OK with optind at the
 * first other word, CLI_HELP_SHOWN after printing "usage: signet USAGE" on
 * stdout, or CLI_EXIT_USAGE after reporting a bad option. */
int cli_parse_home(struct cli *cli, int argc, char **argv, const char *usage);
/* The same for a subcommand that also takes --socket PATH (into *SOCKET,
 * left alone when not given; with SOCKET NULL, --socket is refused). */
int cli_parse_home_socket(struct cli *cli, int argc, char **argv, const char *usage,
                          const char **socket);

/* Report the option getopt_long just refused (C is its ':' or '?' answer;
 * the optstring must start with ':' and opterr be 0).  Returns
 * CLI_EXIT_USAGE. */
int cli_bad_option(const char *usage, int argc, char **argv, int c);

#endif
