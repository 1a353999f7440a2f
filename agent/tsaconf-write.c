/* tsaconf-write.c — the tsa.conf `signet tsa init` writes, once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>

#include "atomicfile.h"
#include "cli.h"
#include "p11uri.h"
#include "platform.h"
#include "readfile.h"
#include "tsaconf.h"

#define TSACONF_UUID_LEN     16
#define TSACONF_OID_MAX      64   /* "2.25." + at most 39 digits */
#define TSACONF_CLOCK_ERR_MS 1000 /* signet-tsa's default max_clock_error_ms */

/* A policy OID of our own without registering an arc: ITU-T X.667 gives
 * every UUID the OID 2.25.<the UUID as one decimal integer>.  A random
 * (version 4) UUID makes it unique. */
static gpg_error_t
make_policy_oid(char *out, size_t outlen)
{
	uint8_t u[TSACONF_UUID_LEN];
	char digits[TSACONF_OID_MAX];
	size_t nd = 0, i;
	int nonzero, n;

	gcry_randomize(u, sizeof(u), GCRY_STRONG_RANDOM);
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);   /* RFC 9562: version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);   /* variant 10 */
	/* Long division by 10 of the big-endian 128-bit number, digits
	 * coming out least significant first. */
	do {
		unsigned rem = 0;

		nonzero = 0;
		for (i = 0; i < sizeof(u); i++) {
			unsigned cur = (rem << 8) | u[i];

			u[i] = (uint8_t)(cur / 10);
			rem = cur % 10;
			nonzero |= u[i];
		}
		if (nd >= sizeof(digits) - 1)
			return gpg_error(GPG_ERR_BUG);
		digits[nd++] = (char)('0' + rem);
	} while (nonzero);
	n = snprintf(out, outlen, "2.25.");
	if (n < 0 || (size_t)n + nd >= outlen)
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	for (i = 0; i < nd; i++)
		out[(size_t)n + i] = digits[nd - 1 - i];
	out[(size_t)n + nd] = '\0';
	return 0;
}

/* tsa.conf as it is built: lines are appended until one does not fit;
 * the first such problem is kept and reported once, at the end. */
struct conf_text {
	char buf[TSACONF_MAX_FILE];
	size_t pos;
	int full;                  /* the file would exceed TSACONF_MAX_FILE */
	const char *long_key;      /* first key whose line is too long */
	int long_len;
};

/* Append "KEY = VALUE\n", or TEXT and "\n" when KEY is NULL. */
static void
conf_add(struct conf_text *ct, const char *key, const char *value)
{
	size_t room = sizeof(ct->buf) - ct->pos;
	int n;

	if (ct->full || ct->long_key != NULL)
		return;
	n = key != NULL ? snprintf(ct->buf + ct->pos, room, "%s = %s\n", key, value)
	                : snprintf(ct->buf + ct->pos, room, "%s\n", value);
	if (n < 0 || (size_t)n >= room) {
		ct->full = 1;
		return;
	}
	if (key != NULL && n - 1 > TSACONF_MAX_LINE) {
		ct->long_key = key;
		ct->long_len = n - 1;
		return;
	}
	ct->pos += (size_t)n;
}

/* Write PATH whole or not at all, and never over an existing file: the
 * content goes to PATH.new (temporary file, fsync, rename), then link()
 * gives it the final name only if that name is free. */
static gpg_error_t
publish(const char *path, const char *buf, size_t len)
{
	char tmp[PATH_MAX];
	gpg_error_t err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	if ((err = atomicfile_write(tmp, buf, len, 0644)) != 0)
		return err;
	if (link(tmp, path) != 0)
		err = gpg_error_from_syserror();
	unlink(tmp);
	return err;
}

int
tsaconf_create(const struct home *h, const struct signet_config *cfg, const struct tsaconf_new *nw)
{
	char oid[TSACONF_OID_MAX], uri[P11URI_MAX_LEN + 1];
	char listen[TSACONF_MAX_LISTEN], why[256];
	const char *clock = nw->clock_check;
	struct conf_text *ct = NULL;
	gpg_error_t err;
	int rc, warn = 0;

	if ((err = make_policy_oid(oid, sizeof(oid))) != 0)
		return cli_fail("make the TSA policy OID: %s; this is a bug in signet, please report it",
		                gpg_strerror(err));
	if (strcmp(cfg->token, TSACONF_TOKEN) == 0)
		return cli_fail("tsa init: [hsm] token in %s is '%s', the name of the TSA's own token; name "
		                "policyd's token otherwise", h->conf, TSACONF_TOKEN);
	if ((err = p11uri_format(TSACONF_TOKEN, TSACONF_KEY_OBJECT, uri, sizeof(uri))) != 0)
		return cli_fail("name the TSA key on token '%s': %s; this is a bug in signet, please report it",
		                TSACONF_TOKEN, gpg_strerror(err));
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", nw->port);
	if (clock == NULL) {
		if (platform_clock_synced(TSACONF_CLOCK_ERR_MS, why, sizeof(why))) {
			clock = "adjtimex";
		} else {
			clock = "none";
			warn = 1;
		}
	}
	if ((ct = calloc(1, sizeof(*ct))) == NULL)
		return cli_fail("write %s: out of memory; try again", h->tsa_conf);
	conf_add(ct, NULL, "# signet-tsa configuration (signet-tsa(8)) of this Signet home, written once by\n"
	                   "# `signet tsa init`; edit it here, then `signet stop` and `signet start`.");
	conf_add(ct, NULL, "[tsa]");
	conf_add(ct, "listen", listen);
	conf_add(ct, "threads", "8");
	conf_add(ct, "policies", oid);
	conf_add(ct, "accuracy", "1s");
	conf_add(ct, NULL, "# The TSA's own token and PINs: it cannot log in to policyd's token and use\n"
	                   "# a project key.  signet-tsa --init makes the token (so_pin_file).");
	conf_add(ct, "key", uri);
	conf_add(ct, "pkcs11_module", cfg->module);
	conf_add(ct, "pin_file", h->tsa_user_pin);
	conf_add(ct, "so_pin_file", h->tsa_so_pin);
	if (cfg->softhsm2_conf != NULL)
		conf_add(ct, "softhsm2_conf", cfg->softhsm2_conf);
	conf_add(ct, "cert", h->tsa_cert);
	conf_add(ct, "ca", h->tsa_ca);
	conf_add(ct, "serial_file", h->tsa_serial);
	conf_add(ct, "audit", h->tsa_audit);
	conf_add(ct, "log", h->tsa_log);
	if (warn)
		conf_add(ct, NULL, "# none: the clock was not synchronised when this file was written; set\n"
		                   "# adjtimex once NTP runs, so that no token carries a wrong time.");
	conf_add(ct, "clock_check", clock);
	if (ct->full) {
		rc = cli_fail("write %s: the file would be too large; choose a shorter --home", h->tsa_conf);
		goto out;
	}
	if (ct->long_key != NULL) {
		rc = cli_fail("write %s: the line for '%s' would be %d characters, more than the %d signet-tsa "
		              "reads; choose a shorter --home path", h->tsa_conf, ct->long_key, ct->long_len,
		              TSACONF_MAX_LINE);
		goto out;
	}
	if ((err = publish(h->tsa_conf, ct->buf, ct->pos)) != 0) {
		if (gpg_err_code(err) == GPG_ERR_EEXIST)
			rc = cli_fail("write %s: it appeared while this command ran (another `signet tsa init`?); "
			              "run `signet tsa init` again", h->tsa_conf);
		else
			rc = cli_fail("write %s: %s; check the folder's permissions", h->tsa_conf, gpg_strerror(err));
		goto out;
	}
	printf("created %s (listen %s, policy %s, clock_check %s)\n", h->tsa_conf, listen, oid, clock);
	if (warn) {
		fflush(stdout);
		fprintf(stderr, "signet: warning: %s, so signet-tsa will not check the clock (clock_check = none) "
		        "and its tokens carry whatever time the clock shows; once NTP keeps the clock "
		        "synchronised, set clock_check = adjtimex in %s and restart (`signet stop`, "
		        "`signet start`)\n", why, h->tsa_conf);
	}
	rc = CLI_EXIT_OK;
out:
	free(ct);
	return rc;
}

/* 1 if LINE (LEN bytes) sets the key "chain" (libinih: KEY = or KEY :). */
static int
is_chain_line(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < 5 || strncmp(line + i, "chain", 5) != 0)
		return 0;
	for (i += 5; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	return i < len && (line[i] == '=' || line[i] == ':');
}

int
tsaconf_set_chain(const struct home *h, const char *chain, char **old, size_t *oldlen)
{
	struct conf_text *ct = NULL;
	char errtext[512], *buf = NULL;
	const char *p, *end, *nl;
	size_t len = 0;
	gpg_error_t err;
	int rc;

	*old = NULL;
	*oldlen = 0;
	if ((err = readfile_bounded(h->tsa_conf, TSACONF_MAX_FILE, &buf, &len, errtext, sizeof(errtext))) != 0)
		return cli_fail("read %s: %s; run `signet tsa init` first", h->tsa_conf, errtext);
	if ((ct = calloc(1, sizeof(*ct))) == NULL) {
		rc = cli_fail("rewrite %s: out of memory; try again", h->tsa_conf);
		goto out;
	}
	for (p = buf, end = buf + len; p < end; p = nl) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl + 1 : end;
		if (is_chain_line(p, (size_t)(nl - p)))
			continue;
		if ((size_t)(nl - p) + 1 >= sizeof(ct->buf) - ct->pos) {
			ct->full = 1;
			break;
		}
		memcpy(ct->buf + ct->pos, p, (size_t)(nl - p));
		ct->pos += (size_t)(nl - p);
	}
	if (ct->pos > 0 && ct->buf[ct->pos - 1] != '\n' && !ct->full)
		ct->buf[ct->pos++] = '\n';
	if (chain != NULL)
		conf_add(ct, "chain", chain);
	if (ct->full || ct->long_key != NULL) {
		rc = cli_fail("rewrite %s: the chain line does not fit; choose a shorter --home", h->tsa_conf);
		goto out;
	}
	if ((err = atomicfile_write(h->tsa_conf, ct->buf, ct->pos, 0644)) != 0) {
		rc = cli_fail("rewrite %s: %s; check the folder's permissions", h->tsa_conf, gpg_strerror(err));
		goto out;
	}
	*old = buf;
	*oldlen = len;
	buf = NULL;
	rc = CLI_EXIT_OK;
out:
	free(ct);
	free(buf);
	return rc;
}

int
tsaconf_restore(const struct home *h, const char *old, size_t oldlen)
{
	gpg_error_t err;

	if ((err = atomicfile_write(h->tsa_conf, old, oldlen, 0644)) != 0)
		return cli_fail("restore %s: %s; check its chain line by hand", h->tsa_conf, gpg_strerror(err));
	return CLI_EXIT_OK;
}
