/* reqcmd.h — what the approval commands (request, cancel, pending, show,
 * approve, deny, grants) share: one option parser, each command naming the
 * options it takes, and the two shapes most of them have (a list shown as
 * a table or JSON; one request acted on by its id). */
#ifndef SIGNET_AGENT_REQCMD_H
#define SIGNET_AGENT_REQCMD_H

#include <stdint.h>
#include <jansson.h>
#include "cli.h"
#include "pdclient.h"

/* Letters naming the options a command takes (REQCMD_* in ALLOWED):
 * always --home, --socket and --help. */
#define REQCMD_JSON    "j"   /* --json */
#define REQCMD_PROJECT "p"   /* --project NAME */
#define REQCMD_COUNT   "n"   /* --count N */
#define REQCMD_TTL     "t"   /* --ttl DURATION */
#define REQCMD_REASON  "r"   /* --reason TEXT */
#define REQCMD_COMMENT "c"   /* --comment TEXT */

struct reqopt {
	const char *socket;    /* --socket PATH; NULL: the home's */
	const char *project;
	const char *count;     /* as given; the command checks it */
	const char *ttl;
	const char *reason;
	const char *comment;
	int json;
	int64_t id;            /* the request id (ID), when the command takes one */
};

/* Parse ARGV (ARGV[0] the subcommand) allowing the options in ALLOWED and,
 * when WANT_ID, exactly one operand: a request id (a positive number).
 * Returns CLI_EXIT_OK, CLI_HELP_SHOWN after printing the usage on stdout,
 * or CLI_EXIT_USAGE after saying what was wrong. */
int reqcmd_parse(struct cli *cli, int argc, char **argv, const char *usage, const char *allowed,
                 int want_id, struct reqopt *o);

/* A list command: parse (REQCMD_JSON allowed), run COMMAND (answer: a JSON
 * array) and show it: --json as JSON, else EMPTY when it has no element,
 * else TABLE(array).  WHAT names the step in a failure.  Returns the exit
 * code. */
int reqcmd_list(struct cli *cli, int argc, char **argv, const char *usage, const char *command,
                const char *what, const char *empty, void (*table)(const json_t *));

/* A command on one request: parse (options ALLOWED, one id), send "VERB
 * <id>" followed, when ALLOWED has REQCMD_COMMENT or REQCMD_REASON, by that
 * text (escaped; --reason is then required); status lines to CB.  The
 * request object policyd answers with goes to a new *R.  Prints failures;
 * returns CLI_EXIT_OK, CLI_HELP_SHOWN (*R NULL) or the exit code. */
int reqcmd_one(struct cli *cli, int argc, char **argv, const char *usage, const char *allowed,
               const char *verb, pdclient_status_cb cb, void *opaque, const char *what,
               const char *todo, struct reqopt *o, json_t **r);

#endif
