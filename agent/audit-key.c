/* audit-key.c — `signet audit key [--tsa]`: the verifier key of the
 * home's signet-policyd trail (or signet-tsa's), as the daemon wrote it to
 * P.vkey (doc/audit-format.md §9.2), on a line of its own: what an auditor
 * keeps, somewhere the trail's writer cannot reach, to verify copies of
 * the trail later (`signet audit verify --key`). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auditcmd.h"
#include "auditseg.h"
#include "audittrail.h"

int
audit_key_command(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "tsa", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	char path[PATH_MAX], text[NOTE_MAX_VKEY + 1], err[PATH_MAX + 256];
	struct note_vkey key;
	struct home h;
	int c, tsa = 0, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': cli->home_arg = optarg; break;
		case 'h': printf("usage: signet %s\n", AUDIT_USAGE); return CLI_EXIT_OK;
		case 't': tsa = 1; break;
		default: return cli_bad_option(AUDIT_USAGE, argc, argv, c);
		}
	}
	if (optind != argc)
		return cli_usage(AUDIT_USAGE, "audit key: unexpected argument '%s'", argv[optind]);
	if ((rc = audittrail_home(cli, &h)) != CLI_EXIT_OK)
		return rc;
	if (auditseg_sidecar(tsa ? h.tsa_audit : h.audit, ".vkey", path, sizeof(path)) != 0)
		return cli_fail("audit key: path too long");
	if (access(path, F_OK) != 0)
		return cli_fail("audit key: %s does not exist yet; start %s once: it makes the audit "
		                "key and writes its verifier key there", path,
		                tsa ? "signet-tsa" : "signet-policyd");
	if (audittrail_read_vkey(path, text, sizeof(text), &key, err, sizeof(err)) != 0)
		return cli_fail("audit key: %s", err);
	printf("%s\n", text);
	return CLI_EXIT_OK;
}
