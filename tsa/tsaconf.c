/* tsaconf.c — signet-tsa.conf: one [tsa] section, strict, through libinih
 * fed line by line from common/inibuf (STYLE 18: a key table, the first
 * error as "file:line: key: reason", nothing starts on any error). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>
#include <openssl/objects.h>

#include "inibuf.h"
#include "p11uri.h"
#include "readfile.h"
#include "auditconf.h"
#include "tsa.h"

#define TSACONF_MAX_LINE    200    /* libinih's INI_MAX_LINE */
#define TSACONF_MAX_REASON  256
#define TSACONF_MAX_WORD    128    /* one word of a list value */
#define TSACONF_MAX_ACCURACY_US (3600u * 1000000u) /* an hour is already absurd */
#define TSACONF_MAX_CLOCK_ERR_MS 60000u
#define TSACONF_DEFAULT_THREADS 8
#define TSACONF_DEFAULT_CLOCK_ERR_MS 1000u
#define TSACONF_DEFAULT_LISTEN "127.0.0.1:3161"
#define TSACONF_DEFAULT_CONNS   4096
#define TSACONF_DEFAULT_CONNS_PER_IP 64
#define TSACONF_DEFAULT_CONN_TIMEOUT_S 5
#define TSACONF_DEFAULT_REQ_TIMEOUT_S 10
#define TSACONF_MIN_CONNS       16

enum value_type { V_LISTEN, V_BOOL, V_THREADS, V_BODY, V_POLICIES, V_ACCURACY, V_DIGESTS, V_KEY,
                  V_PATH, V_CLOCK, V_CLOCK_ERR, V_AUDIT_SYNC, V_CONNS, V_CONNS_PER_IP, V_SECONDS,
                  V_ORIGIN, V_CKPT_EVERY, V_SEGMENT };

struct key_def {
	const char *name;
	enum value_type type;
	int required;
};

static const struct key_def tsa_keys[] = {
	{ "listen", V_LISTEN, 0 },
	{ "allow_remote", V_BOOL, 0 },
	{ "threads", V_THREADS, 0 },
	{ "max_body", V_BODY, 0 },
	{ "policies", V_POLICIES, 1 },
	{ "accuracy", V_ACCURACY, 0 },
	{ "digests", V_DIGESTS, 0 },
	{ "key", V_KEY, 1 },
	{ "cert", V_PATH, 1 },
	{ "chain", V_PATH, 0 },
	{ "ca", V_PATH, 0 },
	{ "serial_file", V_PATH, 1 },
	{ "audit", V_PATH, 1 },
	{ "audit_sync", V_AUDIT_SYNC, 0 },
	{ "audit_origin", V_ORIGIN, 0 },
	{ "checkpoint_every", V_CKPT_EVERY, 0 },
	{ "checkpoint_interval", V_SECONDS, 0 },
	{ "audit_segment_size", V_SEGMENT, 0 },
	{ "log", V_PATH, 0 },
	{ "clock_check", V_CLOCK, 0 },
	{ "max_clock_error_ms", V_CLOCK_ERR, 0 },
	{ "tls_cert", V_PATH, 0 },
	{ "tls_key", V_PATH, 0 },
	{ "pkcs11_module", V_PATH, 0 },
	{ "pin_file", V_PATH, 0 },
	{ "softhsm2_conf", V_PATH, 0 },
	{ "so_pin_file", V_PATH, 0 },
	{ "max_connections", V_CONNS, 0 },
	{ "max_connections_per_ip", V_CONNS_PER_IP, 0 },
	{ "connection_timeout", V_SECONDS, 0 },
	{ "request_timeout", V_SECONDS, 0 },
};
#define NKEYS (sizeof(tsa_keys) / sizeof(tsa_keys[0]))

struct parse_ctx {
	struct inibuf in;
	struct tsa_config *cfg;
	int seen[NKEYS];               /* line of the first occurrence */
};

static int
parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "HOST:PORT" with an IPv4 literal or "[IPv6]:PORT". */
static int
parse_listen(struct tsa_config *cfg, const char *v, char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *hs = v;
	size_t hl;
	unsigned long long port;

	colon = strrchr(v, ':');
	if (colon == NULL || colon == v) {
		snprintf(why, whylen, "expected HOST:PORT (e.g. 127.0.0.1:3161 or [::1]:3161)");
		return -1;
	}
	hl = (size_t)(colon - v);
	if (v[0] == '[') {
		if (hl < 3 || v[hl - 1] != ']') {
			snprintf(why, whylen, "an IPv6 address is written [ADDR]:PORT");
			return -1;
		}
		hs = v + 1;
		hl -= 2;
	}
	if (hl >= sizeof(host) || parse_uint(colon + 1, 65535, &port) != 0 || port == 0) {
		snprintf(why, whylen, "expected HOST:PORT with a port 1-65535");
		return -1;
	}
	memcpy(host, hs, hl);
	host[hl] = '\0';
	memset(&cfg->addr, 0, sizeof(cfg->addr));
	if (v[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&cfg->addr;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1) {
			snprintf(why, whylen, "not an IPv6 address");
			return -1;
		}
		cfg->addrlen = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&cfg->addr;

		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
			snprintf(why, whylen, "not an IPv4 address (host names are not resolved)");
			return -1;
		}
		cfg->addrlen = sizeof(*a4);
	}
	free(cfg->listen);
	if ((cfg->listen = strdup(v)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

static int
addr_is_loopback(const struct tsa_config *cfg)
{
	if (cfg->addr.ss_family == AF_INET) {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)&cfg->addr;

		return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	}
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&cfg->addr)->sin6_addr);
}

/* "1s", "500ms", "250us"; a plain number is refused (the unit matters). */
static int
parse_accuracy(const char *v, unsigned *us)
{
	char num[24];
	size_t n = strspn(v, "0123456789");
	unsigned long long x, mult;

	if (n == 0 || n >= sizeof(num))
		return -1;
	if (strcmp(v + n, "s") == 0)
		mult = 1000000;
	else if (strcmp(v + n, "ms") == 0)
		mult = 1000;
	else if (strcmp(v + n, "us") == 0)
		mult = 1;
	else
		return -1;
	memcpy(num, v, n);
	num[n] = '\0';
	if (parse_uint(num, TSACONF_MAX_ACCURACY_US, &x) != 0 || x * mult > TSACONF_MAX_ACCURACY_US)
		return -1;
	*us = (unsigned)(x * mult);
	return 0;
}

/* "10s": 1 to TSA_MAX_TIMEOUT_S seconds; the unit is required. */
static int
parse_seconds(const char *v, unsigned *out, char *why, size_t whylen)
{
	char num[16];
	size_t n = strspn(v, "0123456789");
	unsigned long long x;

	if (n > 0 && n < sizeof(num) && strcmp(v + n, "s") == 0) {
		memcpy(num, v, n);
		num[n] = '\0';
		if (parse_uint(num, TSA_MAX_TIMEOUT_S, &x) == 0 && x > 0) {
			*out = (unsigned)x;
			return 0;
		}
	}
	snprintf(why, whylen, "expected seconds like 10s (1s-%ds)", TSA_MAX_TIMEOUT_S);
	return -1;
}

/* Split V at blanks; call EACH per word.  Returns the first failure. */
static int
for_words(const char *v, int (*each)(struct tsa_config *, const char *, char *, size_t),
          struct tsa_config *cfg, char *why, size_t whylen)
{
	char w[TSACONF_MAX_WORD];
	int n = 0;

	while (*v != '\0') {
		size_t l;

		v += strspn(v, " \t");
		l = strcspn(v, " \t");
		if (l == 0)
			break;
		if (l >= sizeof(w)) {
			snprintf(why, whylen, "a word is too long");
			return -1;
		}
		memcpy(w, v, l);
		w[l] = '\0';
		if (each(cfg, w, why, whylen) != 0)
			return -1;
		n++;
		v += l;
	}
	if (n == 0) {
		snprintf(why, whylen, "empty list");
		return -1;
	}
	return 0;
}

static int
add_policy(struct tsa_config *cfg, const char *w, char *why, size_t whylen)
{
	ASN1_OBJECT *obj;
	size_t i;

	/* Dotted numbers only (no names): at least two arcs. */
	if (strspn(w, "0123456789.") != strlen(w) || strchr(w, '.') == NULL ||
	    (obj = OBJ_txt2obj(w, 1)) == NULL) {
		snprintf(why, whylen, "\"%.64s\" is not a dotted OID", w);
		return -1;
	}
	ASN1_OBJECT_free(obj);
	for (i = 0; i < cfg->npolicies; i++)
		if (strcmp(cfg->policies[i], w) == 0) {
			snprintf(why, whylen, "policy %.64s is listed twice", w);
			return -1;
		}
	if (cfg->npolicies >= TSA_MAX_POLICIES) {
		snprintf(why, whylen, "at most %d policies", TSA_MAX_POLICIES);
		return -1;
	}
	if ((cfg->policies[cfg->npolicies] = strdup(w)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	cfg->npolicies++;
	return 0;
}

static int
add_digest(struct tsa_config *cfg, const char *w, char *why, size_t whylen)
{
	if (strcasecmp(w, "sha256") == 0)
		cfg->digests |= TSA_DIGEST_SHA256;
	else if (strcasecmp(w, "sha384") == 0)
		cfg->digests |= TSA_DIGEST_SHA384;
	else if (strcasecmp(w, "sha512") == 0)
		cfg->digests |= TSA_DIGEST_SHA512;
	else if (strcasecmp(w, "sha1") == 0 || strcasecmp(w, "md5") == 0) {
		/* CA/B Forum code-signing requirements: no SHA-1 imprints. */
		snprintf(why, whylen, "%s is refused (weak); use sha256, sha384 or sha512", w);
		return -1;
	} else {
		snprintf(why, whylen, "unknown digest \"%.32s\" (sha256, sha384, sha512)", w);
		return -1;
	}
	return 0;
}

static int
set_path(char **field, const char *v, char *why, size_t whylen)
{
	if (v[0] != '/') {
		snprintf(why, whylen, "must be an absolute path");
		return -1;
	}
	if ((*field = strdup(v)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

static char **
path_field(struct tsa_config *cfg, const char *name)
{
	if (strcmp(name, "cert") == 0)
		return &cfg->cert;
	if (strcmp(name, "chain") == 0)
		return &cfg->chain;
	if (strcmp(name, "ca") == 0)
		return &cfg->ca;
	if (strcmp(name, "serial_file") == 0)
		return &cfg->serial_file;
	if (strcmp(name, "audit") == 0)
		return &cfg->audit;
	if (strcmp(name, "log") == 0)
		return &cfg->log;
	if (strcmp(name, "tls_cert") == 0)
		return &cfg->tls_cert;
	if (strcmp(name, "pkcs11_module") == 0)
		return &cfg->pkcs11_module;
	if (strcmp(name, "pin_file") == 0)
		return &cfg->pin_file;
	if (strcmp(name, "softhsm2_conf") == 0)
		return &cfg->softhsm2_conf;
	if (strcmp(name, "so_pin_file") == 0)
		return &cfg->so_pin_file;
	return &cfg->tls_key;
}


/* "each" (every token's record on disk before its reply) or "<N>ms". */
static int
parse_audit_sync(struct tsa_config *cfg, const char *v, char *why, size_t whylen)
{
	unsigned long long n;
	size_t len = strlen(v);
	char num[16];

	if (strcmp(v, "each") == 0) {
		cfg->audit_sync_ms = 0;
		return 0;
	}
	if (len > 2 && len - 2 < sizeof(num) && strcmp(v + len - 2, "ms") == 0) {
		memcpy(num, v, len - 2);
		num[len - 2] = '\0';
		if (parse_uint(num, AUDIT_MAX_SYNC_MS, &n) == 0 && n > 0) {
			cfg->audit_sync_ms = (unsigned)n;
			return 0;
		}
	}
	snprintf(why, whylen, "expected each, or 1ms-%ums", AUDIT_MAX_SYNC_MS);
	return -1;
}
static int
set_value(struct tsa_config *cfg, const struct key_def *k, const char *v, char *why, size_t whylen)
{
	unsigned long long n;

	switch (k->type) {
	case V_LISTEN:
		return parse_listen(cfg, v, why, whylen);
	case V_BOOL:
		if (strcmp(v, "yes") == 0)
			cfg->allow_remote = 1;
		else if (strcmp(v, "no") == 0)
			cfg->allow_remote = 0;
		else {
			snprintf(why, whylen, "expected yes or no");
			return -1;
		}
		return 0;
	case V_THREADS:
		if (parse_uint(v, TSA_MAX_THREADS, &n) != 0 || n == 0) {
			snprintf(why, whylen, "expected a number 1-%d", TSA_MAX_THREADS);
			return -1;
		}
		cfg->threads = (unsigned)n;
		return 0;
	case V_BODY:
		if (parse_uint(v, TSA_MAX_REQ_BODY_HARD, &n) != 0 || n < 64) {
			snprintf(why, whylen, "expected a number of bytes 64-%d", TSA_MAX_REQ_BODY_HARD);
			return -1;
		}
		cfg->max_body = (size_t)n;
		return 0;
	case V_POLICIES:
		return for_words(v, add_policy, cfg, why, whylen);
	case V_ACCURACY:
		if (parse_accuracy(v, &cfg->accuracy_us) != 0) {
			snprintf(why, whylen, "expected a duration like 1s, 500ms or 100us (at most 1 hour)");
			return -1;
		}
		return 0;
	case V_DIGESTS:
		cfg->digests = 0;
		return for_words(v, add_digest, cfg, why, whylen);
	case V_KEY:
		if (strncmp(v, "pkcs11:", 7) == 0) {
			struct p11uri u;
			char uerr[TSACONF_MAX_REASON];

			if (p11uri_parse(v, &u, uerr, sizeof(uerr)) != 0) {
				snprintf(why, whylen, "%s", uerr);
				return -1;
			}
			if (!u.has_token || !u.has_object) {
				snprintf(why, whylen, "a pkcs11: URI must name token= and object=");
				return -1;
			}
			if ((cfg->key_uri = strdup(v)) == NULL) {
				snprintf(why, whylen, "out of memory");
				return -1;
			}
			return 0;
		}
		if (strncmp(v, "file:", 5) != 0) {
			snprintf(why, whylen, "expected file:/abs/path.pem or pkcs11:token=T;object=O");
			return -1;
		}
		return set_path(&cfg->key_file, v + 5, why, whylen);
	case V_PATH:
		return set_path(path_field(cfg, k->name), v, why, whylen);
	case V_CLOCK:
		if (strcmp(v, "adjtimex") == 0)
			cfg->clock_check = TSA_CLOCK_ADJTIMEX;
		else if (strcmp(v, "none") == 0)
			cfg->clock_check = TSA_CLOCK_NONE;
		else {
			snprintf(why, whylen, "expected adjtimex or none");
			return -1;
		}
		return 0;
	case V_CLOCK_ERR:
		if (parse_uint(v, TSACONF_MAX_CLOCK_ERR_MS, &n) != 0) {
			snprintf(why, whylen, "expected milliseconds 0-%u", TSACONF_MAX_CLOCK_ERR_MS);
			return -1;
		}
		cfg->max_clock_error_ms = (unsigned)n;
		return 0;
	case V_AUDIT_SYNC:
		return parse_audit_sync(cfg, v, why, whylen);
	case V_CONNS:
	case V_CONNS_PER_IP:
		if (parse_uint(v, TSA_MAX_CONNS_HARD, &n) != 0 ||
		    n < (k->type == V_CONNS ? TSACONF_MIN_CONNS : 1)) {
			snprintf(why, whylen, "expected a number %d-%d", k->type == V_CONNS ? TSACONF_MIN_CONNS : 1,
			         TSA_MAX_CONNS_HARD);
			return -1;
		}
		*(k->type == V_CONNS ? &cfg->max_conns : &cfg->max_conns_per_ip) = (unsigned)n;
		return 0;
	case V_SECONDS:
		return parse_seconds(v, strcmp(k->name, "connection_timeout") == 0 ? &cfg->conn_timeout_s
		                        : strcmp(k->name, "request_timeout") == 0 ? &cfg->request_timeout_s
		                                                                   : &cfg->checkpoint_interval_s,
		                     why, whylen);
	case V_ORIGIN:
		if (auditconf_check_origin(v, why, whylen) != 0)
			return -1;
		return (cfg->audit_origin = strdup(v)) == NULL ? -1 : 0;
	case V_CKPT_EVERY:
		return auditconf_parse_every(v, &cfg->checkpoint_every, why, whylen) != 0 ? -1 : 0;
	case V_SEGMENT:
		return auditconf_parse_size(v, &cfg->audit_segment_size, why, whylen) != 0 ? -1 : 0;
	}
	return -1;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;
	char why[TSACONF_MAX_REASON];
	size_t i;

	if (ctx->in.err_line != 0)
		return 0;
	if (strcmp(section, "tsa") != 0) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "%.64s: keys belong in the [tsa] section", name);
		return 0;
	}
	for (i = 0; i < NKEYS; i++)
		if (strcmp(tsa_keys[i].name, name) == 0)
			break;
	if (i == NKEYS) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "%.64s: unknown key", name);
		return 0;
	}
	if (ctx->seen[i] != 0) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "%s: given twice (first on line %d)", name, ctx->seen[i]);
		return 0;
	}
	ctx->seen[i] = ctx->in.lineno;
	if (value == NULL || value[0] == '\0') {
		inibuf_fail(&ctx->in, ctx->in.lineno, "%s: no value", name);
		return 0;
	}
	if (set_value(ctx->cfg, &tsa_keys[i], value, why, sizeof(why)) != 0) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "%s: %s", name, why);
		return 0;
	}
	return 1;
}

/* ini_reader: fgets semantics over the buffer, one line per call. */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	const char *start;
	size_t len;

	if (num <= 1 || !inibuf_next_line(&ctx->in, &start, &len))
		return NULL;
	if (len + 1 > (size_t)num || len > TSACONF_MAX_LINE - 2) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "line too long (max %d characters)", TSACONF_MAX_LINE - 2);
		return NULL;
	}
	if (memchr(start, '\0', len) != NULL) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "NUL byte in line");
		return NULL;
	}
	memcpy(str, start, len);
	str[len] = '\0';
	return str;
}

/* The line KEY was given on (0: not given). */
static int
key_line(const struct parse_ctx *ctx, const char *key)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(tsa_keys[i].name, key) == 0)
			return ctx->seen[i];
	return 0;
}

static gpg_error_t
check_complete(struct parse_ctx *ctx)
{
	struct tsa_config *cfg = ctx->cfg;
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (tsa_keys[i].required && ctx->seen[i] == 0) {
			inibuf_fail(&ctx->in, 0, "[tsa] %s: missing (required)", tsa_keys[i].name);
			return gpg_error(GPG_ERR_INV_VALUE);
		}
	if (cfg->listen == NULL) {
		char why[TSACONF_MAX_REASON];

		if (parse_listen(cfg, TSACONF_DEFAULT_LISTEN, why, sizeof(why)) != 0) {
			inibuf_fail(&ctx->in, 0, "listen: %s", why);
			return gpg_error(GPG_ERR_ENOMEM);
		}
	}
	if (!cfg->allow_remote && !addr_is_loopback(cfg)) {
		inibuf_fail(&ctx->in, ctx->seen[0], "listen: %s is not a loopback address; set allow_remote = yes to serve other hosts",
		            cfg->listen);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if (cfg->key_uri != NULL && (cfg->pkcs11_module == NULL || cfg->pin_file == NULL)) {
		inibuf_fail(&ctx->in, 0, "[tsa] key = pkcs11:… needs pkcs11_module and pin_file");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if (cfg->key_uri == NULL && (cfg->pkcs11_module != NULL || cfg->pin_file != NULL || cfg->softhsm2_conf != NULL ||
	                             cfg->so_pin_file != NULL)) {
		inibuf_fail(&ctx->in, 0, "[tsa] pkcs11_module, pin_file, so_pin_file and softhsm2_conf go with key = pkcs11:…");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		inibuf_fail(&ctx->in, 0, "[tsa] tls_cert and tls_key go together");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if (cfg->max_conns_per_ip > cfg->max_conns) {
		inibuf_fail(&ctx->in, key_line(ctx, "max_connections_per_ip"),
		            "max_connections_per_ip: %u is more than max_connections (%u)",
		            cfg->max_conns_per_ip, cfg->max_conns);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	return 0;
}

gpg_error_t
tsa_config_parse(const char *name, const char *buf, size_t len, struct tsa_config **cfgp,
                 char *err, size_t errlen)
{
	struct parse_ctx ctx;
	struct tsa_config *cfg = NULL;
	gpg_error_t r;
	int rc;

	if (cfgp != NULL)
		*cfgp = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (name == NULL || buf == NULL || cfgp == NULL)
		return gpg_error(GPG_ERR_INV_ARG);
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	cfg->threads = TSACONF_DEFAULT_THREADS;
	cfg->max_body = TSA_MAX_REQ_BODY;
	cfg->digests = TSA_DIGEST_SHA256 | TSA_DIGEST_SHA384 | TSA_DIGEST_SHA512;
	cfg->clock_check = TSA_CLOCK_ADJTIMEX;
	cfg->max_clock_error_ms = TSACONF_DEFAULT_CLOCK_ERR_MS;
	cfg->max_conns = TSACONF_DEFAULT_CONNS;
	cfg->max_conns_per_ip = TSACONF_DEFAULT_CONNS_PER_IP;
	cfg->conn_timeout_s = TSACONF_DEFAULT_CONN_TIMEOUT_S;
	cfg->request_timeout_s = TSACONF_DEFAULT_REQ_TIMEOUT_S;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	inibuf_init(&ctx.in, name, buf, len, err, errlen);
	rc = ini_parse_stream(read_line, &ctx, handler, &ctx);
	if (ctx.in.err_line != 0) {
		r = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	if (rc != 0) {
		/* libinih's own complaint: a malformed line (no '=', bad section). */
		inibuf_fail(&ctx.in, rc, "syntax error (expected [tsa] or key = value)");
		r = gpg_error(GPG_ERR_INV_VALUE);
		goto out;
	}
	if ((r = check_complete(&ctx)) != 0)
		goto out;
	*cfgp = cfg;
	cfg = NULL;
	r = 0; /* success */
out:
	tsa_config_free(cfg);
	return r;
}

gpg_error_t
tsa_config_load(const char *path, struct tsa_config **cfg, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	gpg_error_t r;

	if (cfg != NULL)
		*cfg = NULL;
	if ((r = readfile_bounded(path, TSA_MAX_CONF, &buf, &len, err, errlen)) != 0)
		return r;
	r = tsa_config_parse(path, buf, len, cfg, err, errlen);
	free(buf);
	return r;
}

void
tsa_config_free(struct tsa_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->listen);
	for (i = 0; i < cfg->npolicies; i++)
		free(cfg->policies[i]);
	free(cfg->key_file);
	free(cfg->key_uri);
	free(cfg->pkcs11_module);
	free(cfg->pin_file);
	free(cfg->softhsm2_conf);
	free(cfg->so_pin_file);
	free(cfg->cert);
	free(cfg->chain);
	free(cfg->ca);
	free(cfg->serial_file);
	free(cfg->audit);
	free(cfg->audit_origin);
	free(cfg->log);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg);
}
