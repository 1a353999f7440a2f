/* tsaconf-read.c — the keys of tsa.conf the command line uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "readfile.h"
#include "tsaconf.h"

struct read_ctx {
	struct tsaconf *tc;
	char *err;
	size_t errlen;
	const char *path;
	int failed;
};

static int
copy_value(struct read_ctx *ctx, const char *key, const char *value, char *out, size_t outlen)
{
	if (snprintf(out, outlen, "%s", value) >= (int)outlen) {
		snprintf(ctx->err, ctx->errlen, "%s: %s: value too long", ctx->path, key);
		ctx->failed = 1;
		return 0;
	}
	return 1;
}

static int
handle_key(void *user, const char *section, const char *key, const char *value)
{
	struct read_ctx *ctx = user;
	struct tsaconf *tc = ctx->tc;

	if (strcmp(section, "tsa") != 0)
		return 1;
	if (strcmp(key, "listen") == 0)
		return copy_value(ctx, key, value, tc->listen, sizeof(tc->listen));
	if (strcmp(key, "cert") == 0)
		return copy_value(ctx, key, value, tc->cert, sizeof(tc->cert));
	if (strcmp(key, "ca") == 0)
		return copy_value(ctx, key, value, tc->ca, sizeof(tc->ca));
	if (strcmp(key, "chain") == 0)
		return copy_value(ctx, key, value, tc->chain, sizeof(tc->chain));
	if (strcmp(key, "log") == 0)
		return copy_value(ctx, key, value, tc->log, sizeof(tc->log));
	if (strcmp(key, "audit") == 0)
		return copy_value(ctx, key, value, tc->audit, sizeof(tc->audit));
	if (strcmp(key, "clock_check") == 0)
		return copy_value(ctx, key, value, tc->clock_check, sizeof(tc->clock_check));
	if (strcmp(key, "tls_cert") == 0)
		tc->tls = value[0] != '\0';
	return 1;
}

gpg_error_t
tsaconf_read(const char *path, struct tsaconf *tc, char *err, size_t errlen)
{
	struct read_ctx ctx = { .tc = tc, .err = err, .errlen = errlen, .path = path, .failed = 0 };
	char *buf = NULL;
	size_t len = 0;
	gpg_error_t rc;
	int line;

	memset(tc, 0, sizeof(*tc));
	err[0] = '\0';
	if ((rc = readfile_bounded(path, TSACONF_MAX_FILE, &buf, &len, err, errlen)) != 0)
		return rc;
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: holds a NUL byte", path);
		rc = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	line = ini_parse_string(buf, handle_key, &ctx);
	if (ctx.failed) {
		rc = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	if (line != 0) {
		snprintf(err, errlen, "%s:%d: not a valid line", path, line);
		rc = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	if (tc->listen[0] == '\0')
		snprintf(tc->listen, sizeof(tc->listen), "127.0.0.1:%u", TSACONF_DEFAULT_PORT);
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Split "HOST:PORT" or "[HOST]:PORT" at its last colon. */
static gpg_error_t
split_listen(const char *listen, char *host, size_t hostlen, unsigned *port)
{
	const char *colon = strrchr(listen, ':'), *h = listen;
	size_t n;
	char *end;
	unsigned long v;

	if (colon == NULL || colon[1] == '\0')
		return gpg_error(GPG_ERR_INV_VALUE);
	n = (size_t)(colon - listen);
	if (listen[0] == '[') {
		if (n < 2 || listen[n - 1] != ']')
			return gpg_error(GPG_ERR_INV_VALUE);
		h++;
		n -= 2;
	}
	if (n == 0 || n >= hostlen)
		return gpg_error(GPG_ERR_INV_VALUE);
	memcpy(host, h, n);
	host[n] = '\0';
	v = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || v == 0 || v > 65535)
		return gpg_error(GPG_ERR_INV_VALUE);
	*port = (unsigned)v;
	return 0;
}

gpg_error_t
tsaconf_port(const struct tsaconf *tc, unsigned *port)
{
	char host[TSACONF_MAX_LISTEN];

	return split_listen(tc->listen, host, sizeof(host), port);
}

gpg_error_t
tsaconf_url(const struct tsaconf *tc, char *out, size_t outlen)
{
	char host[TSACONF_MAX_LISTEN];
	const char *reach, *scheme = tc->tls ? "https" : "http";
	unsigned port;
	gpg_error_t err;
	int n;

	if ((err = split_listen(tc->listen, host, sizeof(host), &port)) != 0)
		return err;
	/* A daemon listening on every address is reached through loopback. */
	if (strcmp(host, "0.0.0.0") == 0)
		reach = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		reach = "::1";
	else
		reach = host;
	if (strchr(reach, ':') != NULL)
		n = snprintf(out, outlen, "%s://[%s]:%u/", scheme, reach, port);
	else
		n = snprintf(out, outlen, "%s://%s:%u/", scheme, reach, port);
	if (n < 0 || (size_t)n >= outlen)
		return gpg_error(GPG_ERR_ENAMETOOLONG);
	return 0;
}

int
tsaconf_is_tsa_object(const char *name)
{
	return config_name_is_tsa_object(name);
}
