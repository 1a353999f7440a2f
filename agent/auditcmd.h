/* auditcmd.h — `signet audit …`: offline tools over copies of the audit
 * trails (doc/audit-format.md); no daemon is needed.  Each verb is a
 * cli_command_fn whose ARGV[0] is the verb. */
#ifndef SIGNET_AGENT_AUDITCMD_H
#define SIGNET_AGENT_AUDITCMD_H

#include "cli.h"

int audit_verify_command(struct cli *cli, int argc, char **argv);        /* audit-verify.c */
int audit_consistency_command(struct cli *cli, int argc, char **argv);   /* audit-consistency.c */
int audit_show_command(struct cli *cli, int argc, char **argv);          /* audit-show.c */
int audit_export_command(struct cli *cli, int argc, char **argv);        /* audit-show.c */
int audit_key_command(struct cli *cli, int argc, char **argv);           /* audit-key.c */
int audit_prove_command(struct cli *cli, int argc, char **argv);         /* audit-prove.c */
int audit_check_receipt_command(struct cli *cli, int argc, char **argv); /* audit-receipt.c */

#define AUDIT_USAGE "audit verify [FILES...] [--key VKEY|--key-file FILE] [--from-segment K] [--tsa-ca FILE] [--checkpoint FILE] [--home DIR]\n" \
                    "  signet audit prove SIGFILE [-o RECEIPT] [--home DIR]\n" \
                    "  signet audit check-receipt RECEIPT [--key VKEY | --key-file FILE] [SIGFILE] [--home DIR]\n" \
                    "  signet audit consistency OLD NEW [--json] [--home DIR]\n" \
                    "  signet audit show [--project P] [--user U] [--since T] [--event E] [--json] [--home DIR]\n" \
                    "  signet audit export [--since CURSOR] [--cursor-file FILE] [--home DIR]\n" \
                    "  signet audit key [--tsa] [--home DIR]"

#endif
