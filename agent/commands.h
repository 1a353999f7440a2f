/* commands.h — the subcommands of `signet`, each run from main.c's one
 * table.  ARGV[0] is the subcommand's own name; each returns an exit code
 * (cli.h) and prints its own failures. */
#ifndef SIGNET_AGENT_COMMANDS_H
#define SIGNET_AGENT_COMMANDS_H

#include "cli.h"

int init_command(struct cli *cli, int argc, char **argv);        /* init.c */
int daemon_command_start(struct cli *cli, int argc, char **argv); /* daemon.c */
int daemon_command_stop(struct cli *cli, int argc, char **argv);  /* daemon.c */
int status_command(struct cli *cli, int argc, char **argv);      /* status.c */
int project_command(struct cli *cli, int argc, char **argv);     /* project.c */
int project_set_command(struct cli *cli, int argc, char **argv); /* project-policy.c */
int project_show_command(struct cli *cli, int argc, char **argv); /* project-policy.c */
int setup_command(struct cli *cli, int argc, char **argv);       /* setup.c */
int why_command(struct cli *cli, int argc, char **argv);         /* why.c */
int tsa_command(struct cli *cli, int argc, char **argv);         /* tsa.c */
int request_command(struct cli *cli, int argc, char **argv);     /* request.c */
int cancel_command(struct cli *cli, int argc, char **argv);      /* request.c */
int pending_command(struct cli *cli, int argc, char **argv);     /* approve.c */
int show_command(struct cli *cli, int argc, char **argv);        /* approve.c */
int approve_command(struct cli *cli, int argc, char **argv);     /* approve.c */
int deny_command(struct cli *cli, int argc, char **argv);        /* approve.c */
int grants_command(struct cli *cli, int argc, char **argv);      /* grants.c */
int totp_command(struct cli *cli, int argc, char **argv);        /* totp.c */
int audit_command(struct cli *cli, int argc, char **argv);       /* audit.c (auditcmd.h) */

/* init.c: make PATH hold a new random PIN (0600) unless it exists (then it
 * must be ours and private); *CREATED says which.  WHAT names it. */
int init_pin_file(const char *path, const char *what, int *created);

#define INIT_USAGE    "init [--home DIR]"
#define START_USAGE   "start [--home DIR]"
#define STOP_USAGE    "stop [--home DIR]"
#define STATUS_USAGE  "status [--home DIR] [--socket PATH]"
#define PROJECT_USAGE "project create NAME --algo rsa2048|rsa3072|rsa4096|p256|p384|ed25519 --uid 'Name <mail>' " \
                      "[--signer user:U|group:G]...\n" \
                      "  signet project certify NAME\n" \
                      "  signet project export NAME\n" \
                      "  signet project list\n" \
                      "  signet project set NAME KEY=VALUE...   (signers, hashes, approvers, approvals,\n" \
                      "      approval_wait, hours, rate, second_factor; KEY= removes; signers+=user:U,\n" \
                      "      signers-=user:U; admins only)\n" \
                      "  signet project show NAME [--json]\n" \
                      "  signet project rotate NAME [--overlap DURATION]   (default 7d; 30m, 12h, 7d, 0)\n" \
                      "  signet project upgrade NAME"
#define WHY_USAGE     "why [--json] [--home DIR] [--socket PATH]"
#define REQUEST_USAGE "request --project NAME [--count N] [--ttl DURATION] --reason TEXT " \
                      "[--home DIR] [--socket PATH]   (DURATION: 30m, 12h, 7d; default 24h)"
#define CANCEL_USAGE  "cancel ID [--home DIR] [--socket PATH]"
#define PENDING_USAGE "pending [--json] [--home DIR] [--socket PATH]"
#define SHOW_USAGE    "show ID [--json] [--home DIR] [--socket PATH]"
#define APPROVE_USAGE "approve ID [--comment TEXT] [--home DIR] [--socket PATH]"
#define DENY_USAGE    "deny ID --reason TEXT [--home DIR] [--socket PATH]"
#define GRANTS_USAGE  "grants [--json] [--home DIR] [--socket PATH]"
#define TSA_USAGE     "tsa init [--algo ecp256|rsa3072] [--port N] [--clock-check adjtimex|none] " \
                      "[--csr FILE | --cert FILE --ca FILE]\n" \
                      "  signet tsa url\n" \
                      "  signet tsa ca"
#define TOTP_USAGE    "totp enroll [--home DIR] [--socket PATH]\n" \
                      "  signet totp reset USER [--home DIR] [--socket PATH]   (admin)"
#define SETUP_USAGE   "setup --gnupghome DIR [--project NAME]... [--desktop] [--git [--global]] [--rpm] [--debsign]\n" \
                      "             [--socket PATH] [--home DIR]"

#endif
