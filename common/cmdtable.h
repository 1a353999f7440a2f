/* cmdtable.h — the one list of an Assuan server's commands (STYLE 3):
 * each entry pairs a cmd_<verb> handler with the hlp_<verb> text that HELP
 * serves, and the whole table is registered in one call.  Used by
 * signet-policyd and signet-scd. */
#ifndef SIGNET_CMDTABLE_H
#define SIGNET_CMDTABLE_H

#include <stddef.h>
#include <assuan.h>
#include <gpg-error.h>

struct cmdtable_entry {
	const char *name;             /* the command word, upper case */
	assuan_handler_t handler;
	const char *help;             /* "USAGE\n\nwhat it does" */
};

/* Register the N entries of TABLE on CTX, in order.  Returns the first
 * error of assuan_register_command() (the entries before it stay
 * registered; the caller drops CTX then). */
gpg_error_t cmdtable_register(assuan_context_t ctx, const struct cmdtable_entry *table, size_t n);

#endif
