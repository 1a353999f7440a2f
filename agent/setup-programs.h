/* setup-programs.h — `signet setup --git/--rpm/--debsign`: point git,
 * rpmsign and debsign at a GnuPG home that signs through Signet, with the
 * project's signing key named as "FPR!" (that exact key, not whatever gpg
 * would choose).  Each step is idempotent and prints what it changed, or
 * that nothing did. */
#ifndef SIGNET_AGENT_SETUP_PROGRAMS_H
#define SIGNET_AGENT_SETUP_PROGRAMS_H

#include <limits.h>

#include "run.h"

#define SETUP_WRAPPER_NAME "signet-gpg"   /* in the GnuPG home */

struct setup_signer {
	const char *gnupghome;      /* absolute */
	int default_home;           /* ~/.gnupg: every program finds it alone */
	const char *gpg;            /* absolute path of gpg */
	char keyid[64];             /* "FPR!" */
	const struct run_env *env;
};

/* The program git and debsign run as gpg: gpg itself for the default home,
 * else <home>/signet-gpg, a two-line script that runs gpg with GNUPGHOME
 * set (written, or checked unchanged).  Into OUT; CLI_EXIT_OK or the
 * cli_fail() code. */
int setup_programs_gpg(const struct setup_signer *sg, char *out, size_t outlen);

/* user.signingkey (and gpg.program where the home is not the default) in
 * the repository of the current folder, or in ~/.gitconfig if GLOBAL. */
int setup_programs_git(const struct setup_signer *sg, int global);
/* ~/.rpmmacros: %_gpg_name, %_gpg_path and %__gpg. */
int setup_programs_rpm(const struct setup_signer *sg);
/* ~/.devscripts: DEBSIGN_KEYID and DEBSIGN_PROGRAM. */
int setup_programs_debsign(const struct setup_signer *sg);

#endif
