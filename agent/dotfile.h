/* dotfile.h — set a few lines of a line-oriented settings file that the
 * user owns and edits too (gpg-agent.conf, signet-scd.conf, ~/.rpmmacros,
 * ~/.devscripts): lines whose first word is one of ours are replaced, every
 * other line is kept byte for byte, and the file is written atomically only
 * when its content changes.  What changed is printed, line by line. */
#ifndef SIGNET_AGENT_DOTFILE_H
#define SIGNET_AGENT_DOTFILE_H

#include <stddef.h>
#include <sys/types.h>

#define DOTFILE_MAX (64 * 1024)        /* a file larger than this is refused */

/* Rewrite PATH: every line kept except those whose first word (after
 * blanks, ended by a blank, '=' or the line's end) is one of KEYS[NKEYS];
 * then the lines of ADD appended.  A new file gets MODE, an existing one
 * keeps its own.  Prints "PATH: unchanged", or "PATH:" and each line
 * removed ("- ") and added ("+ ").  CLI_EXIT_OK, or the cli_fail() code. */
int dotfile_set_lines(const char *path, const char *const *keys, size_t nkeys, const char *add,
                      mode_t mode);

#endif
