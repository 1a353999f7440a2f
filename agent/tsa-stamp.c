/* tsa-stamp.c — once the home has a TSA, policyd's checkpoints are
 * time-stamped by it: `signet tsa init` adds tsa_url to [policyd] in
 * signet.conf unless the file names a time-stamp authority already (the
 * admin's choice, kept).  An edit of the configuration is checked as the
 * daemon would read it before it replaces the file.
 *
 * The one place the command line writes policyd's file itself, not through
 * policyd (DESIGN: the CLI asks policyd): `tsa init` usually runs before
 * policyd is started, and tsa_url is read only at policyd's start.  It
 * takes the lock policyd's edits take (conflock.h), so neither loses the
 * other's change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicfile.h"
#include "confedit.h"
#include "conflock.h"
#include "config.h"
#include "readfile.h"
#include "tsa-stamp.h"
#include "tsaconf.h"

/* H's signet.conf with [policyd] tsa_url = URL, checked, in place of the
 * file; ERR says why not. */
static gpg_error_t
write_url(const struct home *h, const char *url, char *err, size_t errlen)
{
	struct signet_config *check = NULL;
	struct confedit *ce = NULL;
	const char *text;
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	gpg_error_t r;
	int lockfd = -1;

	/* policyd edits the file too (PROJECT SET, …): not both at once. */
	if ((r = conflock_take(h->conf, CONFLOCK_WAIT_MS, &lockfd, err, errlen)) != 0 ||
	    (r = readfile_bounded(h->conf, CONFIG_MAX_FILE, &buf, &len, err, errlen)) != 0)
		goto out;
	if (stat(h->conf, &st) != 0) {
		r = gpg_error_from_syserror();
		snprintf(err, errlen, "stat: %s", gpg_strerror(r));
		goto out;
	}
	if ((r = confedit_new(buf, len, &ce)) != 0 || (r = confedit_set_in(ce, "policyd", "tsa_url", url, err, errlen)) != 0)
		goto out;
	text = confedit_text(ce, &len);
	if ((r = config_parse_buffer(h->conf, text, len, &check, err, errlen)) != 0)
		goto out;
	if ((r = atomicfile_write(h->conf, text, len, st.st_mode & 07777)) != 0)
		snprintf(err, errlen, "write: %s", gpg_strerror(r));
out:
	conflock_release(lockfd);
	config_free(check);
	confedit_free(ce);
	free(buf);
	return r;
}

int
tsa_stamp_checkpoints(const struct home *h, const struct signet_config *cfg)
{
	char url[TSACONF_URL_MAX], err[512] = "";
	struct tsaconf tc;
	gpg_error_t r;

	if ((r = tsaconf_read(h->tsa_conf, &tc, err, sizeof(err))) != 0 ||
	    (r = tsaconf_url(&tc, url, sizeof(url))) != 0)
		return cli_fail("read %s: %s", h->tsa_conf, err[0] ? err : gpg_strerror(r));
	if (cfg->tsa_url != NULL) {
		if (strcmp(cfg->tsa_url, url) != 0)
			printf("[policyd] tsa_url = %s kept: policyd's checkpoints stay time-stamped there, not by "
			       "this TSA (%s)\n", cfg->tsa_url, url);
		return CLI_EXIT_OK;
	}
	if (tc.tls) {
		/* policyd would have to trust the TSA's TLS certificate: the
		 * admin's to set up, not ours to guess. */
		printf("signet-tsa serves https: to time-stamp policyd's checkpoints, set [policyd] tsa_url = %s "
		       "in %s\n", url, h->conf);
		return CLI_EXIT_OK;
	}
	if ((r = write_url(h, url, err, sizeof(err))) != 0)
		return cli_fail("add tsa_url = %s to [policyd] in %s: %s; add it by hand to have policyd's "
		                "checkpoints time-stamped", url, h->conf, err[0] ? err : gpg_strerror(r));
	printf("added tsa_url = %s to [policyd] in %s: policyd's checkpoints are time-stamped by this TSA "
	       "from policyd's next start\n", url, h->conf);
	return CLI_EXIT_OK;
}
