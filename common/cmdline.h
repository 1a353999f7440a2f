/* cmdline.h — options and arguments of one Assuan command line.
 *
 * One tested (and fuzzed) splitter for every Assuan handler in Signet, in
 * place of gnupg's strstr()-based has_option().  Words are separated by
 * spaces; "--name" and "--name=value" are options until the first non-option
 * word or a lone "--"; everything after is positional.  An option that is not
 * in the table is an error (GPG_ERR_UNKNOWN_OPTION); a value given to a
 * flag, a missing or empty value for an option that needs one, or a repeated
 * option is GPG_ERR_ASS_PARAMETER.  More positional words than MAXARGS, or
 * more than CMDLINE_MAX_WORDS words in all: GPG_ERR_ASS_PARAMETER ("too many
 * arguments").  On error no option is marked present and *NARGS is 0. */
#ifndef SIGNET_CMDLINE_H
#define SIGNET_CMDLINE_H

#include <stddef.h>
#include <gpg-error.h>

#define CMDLINE_MAX_WORDS 16

struct cmd_opt {
	const char *name;      /* without the leading "--" */
	int takes_value;       /* 0 flag, 1 requires "=value", 2 value optional */
	int present;           /* out */
	const char *value;     /* out: points into the line, NULL if none */
};

/* Parse LINE in place (spaces become NULs).  OPTS is updated; ARGS gets up
 * to MAXARGS pointers into LINE, *NARGS their count. */
gpg_error_t cmdline_parse(char *line, struct cmd_opt *opts, size_t nopts,
                          char **args, size_t maxargs, size_t *nargs);

#endif
