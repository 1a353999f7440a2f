/* cli.c — reporting and locating helpers shared by the subcommands. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* "signet: <text>" on stderr, after what stdout holds so far. */
static void
vreport(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("signet: ", stderr);
	vfprintf(stderr, fmt, ap);
}

int
cli_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_FAIL;
}

int
cli_usage(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: signet %s\n(see `signet --help`)\n", usage);
	return CLI_EXIT_USAGE;
}

int
cli_parse_home_socket(struct cli *cli, int argc, char **argv, const char *usage,
                      const char **socket)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "socket", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': cli->home_arg = optarg; break;
		case 'h': printf("usage: signet %s\n", usage); return CLI_HELP_SHOWN;
		case 'S':
			/* --socket is an option of some commands only. */
			if (socket == NULL)
				return cli_usage(usage, "%s: unknown option --socket", argv[0]);
			*socket = optarg;
			break;
		default: return cli_bad_option(usage, argc, argv, c);
		}
	}
	return CLI_EXIT_OK;
}

int
cli_parse_home(struct cli *cli, int argc, char **argv, const char *usage)
{
	return cli_parse_home_socket(cli, argc, argv, usage, NULL);
}

int
cli_bad_option(const char *usage, int argc, char **argv, int c)
{
	/* getopt_long (optstring starting with ':', opterr 0) leaves the
	 * offending word just before optind. */
	const char *word = (optind >= 1 && optind - 1 < argc) ? argv[optind - 1] : "?";

	if (c == ':')
		return cli_usage(usage, "%s: option %s needs a value", argv[0], word);
	return cli_usage(usage, "%s: unknown option %s", argv[0], word);
}

const char *
cli_home(const struct cli *cli)
{
	const char *env;

	if (cli->home_arg != NULL)
		return cli->home_arg;
	env = getenv(CLI_HOME_ENV);
	if (env != NULL && env[0] != '\0')
		return env;
	if (cli->client && access(CLI_HOME_CLIENT, F_OK) == 0)
		return CLI_HOME_CLIENT;
	return CLI_HOME_ADMIN;
}

gpg_error_t
cli_init(struct cli *cli)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	cli->home_arg = NULL;
	cli->client = 0;
	cli->bindir[0] = '\0';
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return gpg_error_from_syserror();
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	*slash = '\0';
	if (snprintf(cli->bindir, sizeof(cli->bindir), "%s", exe[0] ? exe : "/") >= (int)sizeof(cli->bindir))
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	return 0;
}

gpg_error_t
cli_sibling(const struct cli *cli, const char *name, char *out, size_t outlen)
{
	int n;

	n = snprintf(out, outlen, "%s/%s", cli->bindir, name);
	if (n < 0 || (size_t)n >= outlen)
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	if (access(out, X_OK) != 0)
		return gpg_error_from_syserror();
	return 0;
}
