/* main.c — `signet`, the Signet command line: global options, then one
 * subcommand from the table below. */
#include <gcrypt.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "auditcmd.h"
#include "commands.h"

struct subcommand {
	const char *name;
	cli_command_fn fn;
	const char *usage;
	const char *summary;
	int client;   /* a signer's command: the home defaults to /etc/signet */
};

static const struct subcommand subcommands[] = {
	{ "init", init_command, INIT_USAGE,
	  "create a Signet home: SoftHSM2 token, PINs, signet.conf (idempotent)", 0 },
	{ "start", daemon_command_start, START_USAGE,
	  "start signet-policyd, and signet-tsa once `signet tsa init` has run", 0 },
	{ "stop", daemon_command_stop, STOP_USAGE, "stop the home's signet-policyd and signet-tsa", 0 },
	{ "status", status_command, STATUS_USAGE,
	  "is signet-policyd reachable; the projects you may sign with; signet-tsa's state", 1 },
	{ "project", project_command, PROJECT_USAGE,
	  "create a project (key on the HSM + certificate), export its certificate, list projects", 0 },
	{ "setup", setup_command, SETUP_USAGE,
	  "point a GnuPG home at Signet: gpg-agent.conf, certificates, card stubs", 1 },
	{ "why", why_command, WHY_USAGE,
	  "the full reason of your last refused signature (gpg shows only its error code)", 1 },
	{ "request", request_command, REQUEST_USAGE,
	  "ask the project's approvers for a grant of N signatures (prints the request id)", 1 },
	{ "cancel", cancel_command, CANCEL_USAGE, "withdraw a request of yours", 1 },
	{ "pending", pending_command, PENDING_USAGE, "the requests waiting for your approval", 1 },
	{ "show", show_command, SHOW_USAGE, "one request in full: who asked, why, who approved, its state", 1 },
	{ "approve", approve_command, APPROVE_USAGE, "approve a request (each approver counts once)", 1 },
	{ "deny", deny_command, DENY_USAGE, "deny a request (final; the requester sees your reason)", 1 },
	{ "grants", grants_command, GRANTS_USAGE, "your approved grants: signatures left, until when", 1 },
	{ "totp", totp_command, TOTP_USAGE,
	  "second factor: enrol (otpauth URI for an authenticator app); reset a user (admin)", 1 },
	{ "audit", audit_command, AUDIT_USAGE,
	  "check the audit trails offline: verify, prove a signature was issued here, receipts", 0 },
	{ "tsa", tsa_command, TSA_USAGE,
	  "RFC 3161 time-stamp authority: key on the HSM + certificate (init), its URL, its CA", 0 },
};

#define NSUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: signet [--home DIR] COMMAND [ARGS]\n\n"
	           "Signet: sign with keys held on an HSM, under per-project policy.\n\n"
	           "Global options:\n"
	           "  --home DIR   the Signet home (default $SIGNET_HOME, else " CLI_HOME_ADMIN ";\n"
	           "               for the signers' and approvers' commands " CLI_HOME_CLIENT " when it exists)\n"
	           "  --help       this text\n"
	           "  --version    the version\n\n"
	           "Commands:\n");
	for (i = 0; i < NSUBCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(f, "\nUsage of each:\n");
	for (i = 0; i < NSUBCOMMANDS; i++)
		fprintf(f, "  signet %s\n", subcommands[i].usage);
	fprintf(f, "\nExit status: 0 success, 1 failure, 2 usage error.  See signet(1).\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli;
	gpg_error_t err;
	size_t i;
	int c;

	/* A helper that stops reading its stdin must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (!gcry_check_version(GCRYPT_VERSION)) {
		fprintf(stderr, "signet: libgcrypt is older than the one signet was built with; reinstall\n");
		return CLI_EXIT_FAIL;
	}
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	if ((err = cli_init(&cli)) != 0)
		return cli_fail("find my own folder (/proc/self/exe): %s; is /proc mounted?", gpg_strerror(err));

	/* "+": global options end at the subcommand's name. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'H': cli.home_arg = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		case 'V': printf("signet %s\n", SIGNET_VERSION); return CLI_EXIT_OK;
		case ':':
			fprintf(stderr, "signet: option %s needs a value\n", argv[optind - 1]);
			usage(stderr);
			return CLI_EXIT_USAGE;
		default:
			fprintf(stderr, "signet: unknown option %s\n", argv[optind - 1]);
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "signet: no command given\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli.home_arg != NULL && cli.home_arg[0] == '\0') {
		fprintf(stderr, "signet: --home is empty\n");
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < NSUBCOMMANDS; i++)
		if (strcmp(argv[optind], subcommands[i].name) == 0) {
			cli.client = subcommands[i].client;
			return subcommands[i].fn(&cli, argc - optind, argv + optind);
		}
	if (strcmp(argv[optind], "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	fprintf(stderr, "signet: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
