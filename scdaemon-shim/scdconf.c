/* scdconf.c — see scdconf.h.  Same rules as common/config.c (STYLE 18):
 * a table of keys, first error wins, reported with file:line. */
#define GPG_ERR_SOURCE_DEFAULT GPG_ERR_SOURCE_SCD
#include "scdconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "inibuf.h"
#include "readfile.h"
#include "serial.h"

#define SCDCONF_SHOW_MAX 40    /* how much of a bad value a message quotes */

struct parse_ctx {
	struct inibuf in;          /* lines, line numbers, the first error */
	unsigned int seen;         /* bit per key_def */
	struct scd_conf *conf;
};

typedef int (*value_parser)(struct scd_conf *conf, const char *value, char *reason, size_t rlen);

struct key_def {
	const char *name;
	int required;
	value_parser parse;
};

/* Quote at most SCDCONF_SHOW_MAX characters of S, control bytes as '?'. */
static const char *
show(const char *s, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < outlen && i < SCDCONF_SHOW_MAX; i++)
		out[i] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	out[i] = '\0';
	return out;
}

static int
parse_abs_path(char **target, const char *value, char *reason, size_t rlen)
{
	if (value[0] != '/') {
		snprintf(reason, rlen, "must be an absolute path");
		return 0;
	}
	if (strlen(value) > SCDCONF_MAX_PATH) {
		snprintf(reason, rlen, "path too long");
		return 0;
	}
	if ((*target = strdup(value)) == NULL) {
		snprintf(reason, rlen, "out of memory");
		return 0;
	}
	return 1;
}

static int
parse_socket(struct scd_conf *conf, const char *value, char *reason, size_t rlen)
{
	/* sun_path holds 107 bytes plus the NUL (sockpath.h). */
	if (strlen(value) > 107) {
		snprintf(reason, rlen, "socket path longer than 107 bytes");
		return 0;
	}
	return parse_abs_path(&conf->policyd_socket, value, reason, rlen);
}

static int
parse_logfile(struct scd_conf *conf, const char *value, char *reason, size_t rlen)
{
	return parse_abs_path(&conf->log_file, value, reason, rlen);
}

static int
parse_serial(struct scd_conf *conf, const char *value, char *reason, size_t rlen)
{
	if (!serial_is_valid(value)) {
		snprintf(reason, rlen, "not a Signet card serial (32 upper-case hex digits "
		         "starting D27600012401; `signet setup` writes it)");
		return 0;
	}
	memcpy(conf->serial, value, SERIAL_HEX_LEN + 1);
	return 1;
}

static int
parse_yesno(int *target, const char *value, char *reason, size_t rlen)
{
	if (strcmp(value, "yes") == 0)
		*target = 1;
	else if (strcmp(value, "no") == 0)
		*target = 0;
	else {
		snprintf(reason, rlen, "expected yes or no");
		return 0;
	}
	return 1;
}

static int
parse_debug(struct scd_conf *conf, const char *value, char *reason, size_t rlen)
{
	return parse_yesno(&conf->debug, value, reason, rlen);
}

static int
parse_desktop(struct scd_conf *conf, const char *value, char *reason, size_t rlen)
{
	return parse_yesno(&conf->desktop_notice, value, reason, rlen);
}

static const struct key_def keys[] = {
	{ "policyd_socket", 1, parse_socket },
	{ "serial",         1, parse_serial },
	{ "log_file",       0, parse_logfile },
	{ "debug",          0, parse_debug },
	{ "desktop_notice", 0, parse_desktop },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Look at a line before libinih does: sections and continuation lines are
 * not part of this format, and libinih would take either silently. */
static void
inspect_line(struct parse_ctx *ctx, const char *line, size_t len)
{
	size_t i = 0;

	if (ctx->in.lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	if (i < len && (line[i] == ' ' || line[i] == '\t')) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i < len && line[i] != ';' && line[i] != '#' && line[i] != '\r')
			inibuf_fail(&ctx->in, ctx->in.lineno, "indented line (continuation lines are not "
				    "allowed; remove the leading blank space)");
		return;
	}
	if (i < len && line[i] == '[')
		inibuf_fail(&ctx->in, ctx->in.lineno, "sections are not used in this file");
}

/* ini_reader over the buffer, one line per call; refuses over-long lines and
 * NUL bytes, which libinih would split or cut silently. */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	const char *start;
	size_t len;

	if (num <= 1 || !inibuf_next_line(&ctx->in, &start, &len))
		return NULL;
	if (memchr(start, '\0', len) != NULL) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "NUL byte in line");
		return NULL;
	}
	if (len > SCDCONF_MAX_LINE || len + 1 > (size_t)num) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "line too long (max %d characters)", SCDCONF_MAX_LINE);
		return NULL;
	}
	inspect_line(ctx, start, len);
	if (ctx->in.err_line != 0)
		return NULL;
	/* No newline: libinih (without INI_ALLOW_REALLOC) does not need one,
	 * and a 199-character line fills its 200-byte buffer with the NUL. */
	memcpy(str, start, len);
	str[len] = '\0';
	return str;
}

static int
handle_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;
	char reason[SCDCONF_ERR_MAX / 2] = "";
	char shown[SCDCONF_SHOW_MAX + 1];
	size_t i;

	(void)section;   /* always "": inspect_line refuses section headers */
	if (ctx->in.err_line != 0)
		return 0;
	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			break;
	if (i == NKEYS) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "%s: unknown key (expected policyd_socket, serial, "
			    "log_file, debug or desktop_notice)", show(name, shown, sizeof(shown)));
		return 0;
	}
	if (ctx->seen & (1u << i)) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "%s: duplicate key", keys[i].name);
		return 0;
	}
	ctx->seen |= 1u << i;
	if (value[0] == '\0') {
		inibuf_fail(&ctx->in, ctx->in.lineno, "%s: empty value", keys[i].name);
		return 0;
	}
	if (!keys[i].parse(ctx->conf, value, reason, sizeof(reason))) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "%s: %s: '%s'", keys[i].name, reason,
			    show(value, shown, sizeof(shown)));
		return 0;
	}
	return 1;
}

void
scdconf_free(struct scd_conf *conf)
{
	if (conf == NULL)
		return;
	free(conf->policyd_socket);
	free(conf->log_file);
	free(conf);
}

gpg_error_t
scdconf_parse_buffer(const char *name, const char *buf, size_t len,
                     struct scd_conf **confp, char *err, size_t errlen)
{
	struct parse_ctx ctx;
	struct scd_conf *conf = NULL;
	gpg_error_t r = gpg_error(GPG_ERR_INV_VALUE);
	size_t i;
	int rc;

	if (confp != NULL)
		*confp = NULL;
	memset(&ctx, 0, sizeof(ctx));
	inibuf_init(&ctx.in, name != NULL ? name : SCDCONF_NAME, buf, len, err, errlen);
	if (confp == NULL || (buf == NULL && len != 0))
		return gpg_error(GPG_ERR_INV_ARG);
	if (len > SCDCONF_MAX_FILE) {
		inibuf_fail(&ctx.in, 0, "file too large (max %d bytes)", SCDCONF_MAX_FILE);
		goto out;
	}
	if ((conf = calloc(1, sizeof(*conf))) == NULL) {
		r = gpg_error_from_syserror();
		inibuf_fail(&ctx.in, 0, "out of memory");
		goto out;
	}
	ctx.conf = conf;
	rc = ini_parse_stream(read_line, &ctx, handle_key, &ctx);
	if (ctx.in.err_line != 0)
		goto out;
	if (rc != 0) {
		/* libinih's own complaint: a line that is neither "key = value"
		 * nor a comment. */
		inibuf_fail(&ctx.in, rc > 0 ? rc : 0, "syntax error (expected 'key = value')");
		goto out;
	}
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].required && !(ctx.seen & (1u << i))) {
			inibuf_fail(&ctx.in, 0, "missing required key '%s' (run `signet setup` again)",
				    keys[i].name);
			goto out;
		}
	}
	*confp = conf;
	conf = NULL;
	r = 0; /* success */
out:
	scdconf_free(conf);
	return r;
}

gpg_error_t
scdconf_load(const char *path, struct scd_conf **confp, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, n;
	gpg_error_t r;

	if (confp != NULL)
		*confp = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || confp == NULL || err == NULL)
		return gpg_error(GPG_ERR_INV_ARG);
	r = readfile_bounded(path, SCDCONF_MAX_FILE, &buf, &len, err, errlen);
	if (r != 0) {
		/* scdconf.h: content errors are GPG_ERR_INV_VALUE, from SCD. */
		r = gpg_error(gpg_err_code(r) == GPG_ERR_TOO_LARGE ? GPG_ERR_INV_VALUE : gpg_err_code(r));
		n = strlen(err);
		if (gpg_err_code(r) == GPG_ERR_ENOENT && n < errlen)
			snprintf(err + n, errlen - n, " (run `signet setup`)");
		goto out;
	}
	r = scdconf_parse_buffer(path, buf, len, confp, err, errlen);
out:
	free(buf);
	return r;
}
