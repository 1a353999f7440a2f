/* audit.c — `signet audit VERB …`: picks the verb (auditcmd.h). */
#include <stdio.h>
#include <string.h>

#include "auditcmd.h"
#include "commands.h"

int
audit_command(struct cli *cli, int argc, char **argv)
{
	static const struct {
		const char *name;
		cli_command_fn fn;
	} verbs[] = {
		/* one line per verb, added with the verb's file */
		{ "verify", audit_verify_command },
		{ "key", audit_key_command },
		{ "consistency", audit_consistency_command },
		{ "show", audit_show_command },
		{ "export", audit_export_command },
		{ "prove", audit_prove_command },
		{ "check-receipt", audit_check_receipt_command },
		{ NULL, NULL },
	};
	size_t i;

	if (argc < 2)
		return cli_usage(AUDIT_USAGE, "audit: say what to do (verify, prove, check-receipt, "
		                 "consistency, show, export, key)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: signet %s\n", AUDIT_USAGE);
		return CLI_EXIT_OK;
	}
	for (i = 0; verbs[i].name != NULL; i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].fn(cli, argc - 1, argv + 1);
	return cli_usage(AUDIT_USAGE, "audit: unknown subcommand '%s'", argv[1]);
}
