/* tsa-stamp.h — point policyd's checkpoint time-stamps at the home's TSA. */
#ifndef SIGNET_AGENT_TSA_STAMP_H
#define SIGNET_AGENT_TSA_STAMP_H

#include "cli.h"
#include "config.h"
#include "home.h"

/* After `signet tsa init`: add [policyd] tsa_url = the TSA's URL to H's
 * signet.conf (CFG, as loaded) when it names none; keep one it names and
 * say so; with TLS only say what to set.  Prints what it did;
 * CLI_EXIT_OK or CLI_EXIT_FAIL (the file is then unchanged). */
int tsa_stamp_checkpoints(const struct home *h, const struct signet_config *cfg);

#endif
