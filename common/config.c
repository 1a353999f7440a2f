/* config.c — signet.conf: strict INI through libinih.
 *
 * libinih gives the handler neither the line number nor the section header
 * itself (only key lines reach the handler, and it truncates section names
 * at 50 bytes, shorter than "project " + a 64-byte name).  So we feed it
 * through our own reader: the reader counts lines, recognises section
 * headers on its own and keeps the current section in the parse context;
 * the handler then only looks keys up in the table of that section.
 * The first error is kept and the reader reports end-of-file from then on,
 * so nothing after it is looked at. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config.h"
#include "auditconf.h"
#include "config-policy.h"
#include "hashalgo.h"
#include "hex.h"
#include "inibuf.h"
#include "p11uri.h"
#include "readfile.h"

#define PRINCIPAL_NAME_MAX 64      /* longer than any Linux user/group name */
#define CONFIG_MAX_REASON  256     /* a reason from a value parser */
#define CONFIG_ERR_SHOW    64      /* bytes of a file-supplied word shown in a message */

enum section_kind { SECTION_NONE = 0, SECTION_POLICYD, SECTION_HSM, SECTION_PROJECT };

enum value_type {
	VALUE_PATH,          /* absolute path */
	VALUE_WORD,          /* [A-Za-z0-9._-]+ (a group or token name) */
	VALUE_TEXT,          /* any printable text */
	VALUE_INSTANCE,      /* 8 hex digits */
	VALUE_PRINCIPALS,
	VALUE_KEY_URI,
	VALUE_ALGO,
	VALUE_CREATED,
	VALUE_HASHES,
	VALUE_COUNT,         /* 1..CONFIG_MAX_CONN */
	VALUE_APPROVALS,     /* 0..CONFIG_MAX_APPROVALS */
	VALUE_WAIT,          /* a duration, 0..CONFIG_MAX_APPROVAL_WAIT */
	VALUE_HOURS,
	VALUE_RATE,
	VALUE_SECOND_FACTOR,
	VALUE_BYTES,         /* a size: N, NK, NM or NG; AUDIT_SEGMENT_MIN.. 1T */
	VALUE_ORIGIN,        /* a checkpoint origin: printable ASCII, no space or '+' */
	VALUE_EVERY,         /* records between checkpoints: 1..AUDITCONF_MAX_EVERY */
};

/* One key of a section.  OFF is the field's offset in struct signet_config
 * ([policyd], [hsm]) or struct project_conf ([project]); OFF_N the count
 * beside a principal array. */
struct key_def {
	const char *name;
	enum value_type type;
	int required;
	size_t off;
	size_t off_n;
};

#define CFG_KEY(n, t, r, f) { n, t, r, offsetof(struct signet_config, f), 0 }
#define PRJ_KEY(n, t, r, f) { n, t, r, offsetof(struct project_conf, f), 0 }

static const struct key_def policyd_keys[] = {
	CFG_KEY("socket", VALUE_PATH, 1, socket),
	CFG_KEY("socket_group", VALUE_WORD, 0, socket_group),
	CFG_KEY("audit", VALUE_PATH, 1, audit),
	CFG_KEY("instance", VALUE_INSTANCE, 1, instance),
	CFG_KEY("log", VALUE_PATH, 0, log),
	{ "admins", VALUE_PRINCIPALS, 0, offsetof(struct signet_config, admins),
	  offsetof(struct signet_config, nadmins) },
	CFG_KEY("max_connections_per_user", VALUE_COUNT, 0, max_connections_per_user),
	CFG_KEY("max_connections", VALUE_COUNT, 0, max_connections),
	CFG_KEY("state", VALUE_PATH, 0, state),
	CFG_KEY("notify", VALUE_PATH, 0, notify),
	CFG_KEY("audit_origin", VALUE_ORIGIN, 0, audit_origin),
	CFG_KEY("checkpoint_every", VALUE_EVERY, 0, checkpoint_every),
	CFG_KEY("checkpoint_interval", VALUE_WAIT, 0, checkpoint_interval),
	CFG_KEY("audit_segment_size", VALUE_BYTES, 0, audit_segment_size),
	CFG_KEY("tsa_url", VALUE_TEXT, 0, tsa_url),
};

static const struct key_def hsm_keys[] = {
	CFG_KEY("module", VALUE_PATH, 1, module),
	CFG_KEY("token", VALUE_TEXT, 1, token),
	CFG_KEY("pin_file", VALUE_PATH, 1, pin_file),
	CFG_KEY("so_pin_file", VALUE_PATH, 0, so_pin_file),
	CFG_KEY("softhsm2_conf", VALUE_PATH, 0, softhsm2_conf),
};

static const struct key_def project_keys[] = {
	PRJ_KEY("key", VALUE_KEY_URI, 1, key_uri),
	PRJ_KEY("algo", VALUE_ALGO, 1, algo),
	PRJ_KEY("uid", VALUE_TEXT, 1, uid),
	PRJ_KEY("created", VALUE_CREATED, 1, created),
	PRJ_KEY("cert", VALUE_PATH, 1, cert),
	{ "signers", VALUE_PRINCIPALS, 1, offsetof(struct project_conf, signers),
	  offsetof(struct project_conf, nsigners) },
	PRJ_KEY("hashes", VALUE_HASHES, 0, hash_mask),
	{ "approvers", VALUE_PRINCIPALS, 0, offsetof(struct project_conf, approvers),
	  offsetof(struct project_conf, napprovers) },
	PRJ_KEY("approvals", VALUE_APPROVALS, 0, approvals),
	PRJ_KEY("approval_wait", VALUE_WAIT, 0, approval_wait),
	PRJ_KEY("hours", VALUE_HOURS, 0, hours),
	PRJ_KEY("rate", VALUE_RATE, 0, rate),
	PRJ_KEY("second_factor", VALUE_SECOND_FACTOR, 0, second_factor),
};

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))
_Static_assert(NKEYS(policyd_keys) <= 32 && NKEYS(project_keys) <= 32, "seen is a 32-bit mask");

#define SECTION_MAX_KEYS 32

/* Per section instance: which keys were seen (bit I = table entry I) and
 * on which line. */
struct section_state {
	int present;
	int line;
	unsigned int seen;
	int key_line[SECTION_MAX_KEYS];
};

struct parse_ctx {
	struct inibuf in;          /* lines, line numbers, the first error */
	int line_indented;         /* that line starts with blank space */
	int key_since_section;     /* libinih's prev_name is set */

	enum section_kind section;
	struct project_conf *project;   /* current [project] */
	struct section_state policyd, hsm;
	struct section_state *project_state;  /* parallel to cfg->projects */

	struct signet_config *cfg;
};

static const struct key_algo_entry {
	enum key_algo algo;
	const char *name;
	unsigned int bits;
} key_algos[] = {
	{ KEY_ALGO_RSA2048, "rsa2048", 2048 },
	{ KEY_ALGO_RSA3072, "rsa3072", 3072 },
	{ KEY_ALGO_RSA4096, "rsa4096", 4096 },
	{ KEY_ALGO_P256, "p256", 0 },
	{ KEY_ALGO_P384, "p384", 0 },
	{ KEY_ALGO_ED25519, "ed25519", 0 },
};

/* Hashes gpg may name that must never be used for a new signature. */
static const char *const refused_hashes[] = { "sha1", "md5", "rmd160" };

const char *
key_algo_name(enum key_algo a)
{
	size_t i;

	for (i = 0; i < sizeof(key_algos) / sizeof(key_algos[0]); i++)
		if (key_algos[i].algo == a)
			return key_algos[i].name;
	return "none";
}

enum key_algo
key_algo_parse(const char *s)
{
	size_t i;

	if (s == NULL)
		return KEY_ALGO_NONE;
	for (i = 0; i < sizeof(key_algos) / sizeof(key_algos[0]); i++)
		if (strcmp(key_algos[i].name, s) == 0)
			return key_algos[i].algo;
	return KEY_ALGO_NONE;
}

unsigned int
key_algo_bits(enum key_algo a)
{
	size_t i;

	for (i = 0; i < sizeof(key_algos) / sizeof(key_algos[0]); i++)
		if (key_algos[i].algo == a)
			return key_algos[i].bits;
	return 0;
}

static int
word_char_ok(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* 1 if S[0..LEN) is non-empty and made only of [A-Za-z0-9._-]. */
static int
word_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!word_char_ok((unsigned char)s[i]))
			return 0;
	return 1;
}

int
config_project_name_ok(const char *name)
{
	size_t len;

	if (name == NULL)
		return 0;
	len = strlen(name);
	return len <= PROJECT_NAME_MAX && word_ok(name, len);
}

int
config_name_is_tsa_object(const char *name)
{
	size_t n = strlen(CONFIG_TSA_OBJECT);

	return strncmp(name, CONFIG_TSA_OBJECT, n) == 0 && (name[n] == '\0' || name[n] == '-');
}

/* Copy at most CONFIG_ERR_SHOW bytes of S into OUT with anything that is not
 * printable ASCII replaced by '?': file contents end up in log lines. */
static const char *
show(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, n = 0;

	if (outlen == 0)
		return "";
	for (i = 0; i < len && n + 1 < outlen && i < CONFIG_ERR_SHOW; i++) {
		unsigned char c = (unsigned char)s[i];
		out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < len && n + 4 < outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

void
principals_free(struct principal *p, size_t n)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++)
		free(p[i].name);
	free(p);
}

/* One "user:NAME" or "group:NAME" word (WLEN bytes at WORD) into *P (a new
 * name string).  GPG_ERR_INV_VALUE with a reason in ERR, or ENOMEM. */
static gpg_error_t
parse_principal(const char *word, size_t wlen, struct principal *p, char *err, size_t errlen)
{
	char shown[CONFIG_ERR_SHOW + 8];
	const char *colon, *name;
	size_t klen, nlen;

	show(word, wlen, shown, sizeof(shown));
	colon = memchr(word, ':', wlen);
	if (colon == NULL) {
		snprintf(err, errlen, "'%s': expected user:NAME or group:NAME", shown);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	klen = (size_t)(colon - word);
	if (klen == 4 && memcmp(word, "user", 4) == 0)
		p->kind = PRINCIPAL_USER;
	else if (klen == 5 && memcmp(word, "group", 5) == 0)
		p->kind = PRINCIPAL_GROUP;
	else {
		snprintf(err, errlen, "'%s': unknown kind (expected user: or group:)", shown);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	name = colon + 1;
	nlen = wlen - klen - 1;
	if (nlen == 0) {
		snprintf(err, errlen, "'%s': empty name", shown);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if (nlen > PRINCIPAL_NAME_MAX || !word_ok(name, nlen)) {
		snprintf(err, errlen, "'%s': bad name (allowed: A-Z a-z 0-9 . _ -, at most %d)",
		         shown, PRINCIPAL_NAME_MAX);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if ((p->name = strndup(name, nlen)) == NULL)
		return gpg_error_from_syserror();
	return 0;
}

gpg_error_t
principals_parse(const char *s, struct principal **out, size_t *n, char *err, size_t errlen)
{
	struct principal *list = NULL;
	size_t count = 0;
	const char *p = s;
	gpg_error_t r = gpg_error(GPG_ERR_INV_VALUE);

	if (out != NULL)
		*out = NULL;
	if (n != NULL)
		*n = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL || out == NULL || n == NULL) {
		r = gpg_error(GPG_ERR_INV_ARG);
		goto out;
	}

	list = calloc(CONFIG_MAX_PRINCIPALS, sizeof(*list));
	if (list == NULL) {
		r = gpg_error_from_syserror();
		goto out;
	}
	for (;;) {
		struct principal one;
		const char *word;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		word = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if ((r = parse_principal(word, (size_t)(p - word), &one, err, errlen)) != 0)
			goto out;
		if (count == CONFIG_MAX_PRINCIPALS) {
			free(one.name);
			r = gpg_error(GPG_ERR_INV_VALUE);
			snprintf(err, errlen, "too many principals (max %d)", CONFIG_MAX_PRINCIPALS);
			goto out;
		}
		list[count++] = one;
	}
	if (count == 0) {
		free(list);
		list = NULL;
	}
	*out = list;
	list = NULL;
	*n = count;
	r = 0; /* success */
out:
	principals_free(list, count);
	return r;
}

/* Value parsers: set the field at TARGET (and TARGET_N) from VALUE, or write
 * a reason into REASON and return an error. */
typedef gpg_error_t (*value_parser)(const char *value, void *target, void *target_n,
                                    char *reason, size_t rlen);

static gpg_error_t
set_string(const char *value, void *target)
{
	char **field = target;
	char *copy = strdup(value);

	if (copy == NULL)
		return gpg_error_from_syserror();
	free(*field);
	*field = copy;
	return 0;
}

static gpg_error_t
parse_path(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	(void)target_n;
	if (value[0] != '/') {
		snprintf(reason, rlen, "relative path (all paths must be absolute)");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	return set_string(value, target);
}

static gpg_error_t
parse_word(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	(void)target_n;
	if (!word_ok(value, strlen(value))) {
		snprintf(reason, rlen, "bad name (allowed: A-Z a-z 0-9 . _ -)");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	return set_string(value, target);
}

static gpg_error_t
parse_text(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	const unsigned char *p;

	(void)target_n;
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(reason, rlen, "control character in value");
			return gpg_error(GPG_ERR_INV_VALUE);
		}
	}
	return set_string(value, target);
}

static gpg_error_t
parse_instance(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	uint8_t *instance = target;
	uint8_t tmp[4];
	size_t n = 0;

	(void)target_n;
	if (strlen(value) != 2 * sizeof(tmp) ||
	    hex_decode(value, strlen(value), tmp, sizeof(tmp), &n) != 0 || n != sizeof(tmp)) {
		snprintf(reason, rlen, "expected exactly 8 hex digits");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	memcpy(instance, tmp, sizeof(tmp));
	return 0;
}

static gpg_error_t
parse_principals_value(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	struct principal **field = target;
	size_t *count = target_n;
	struct principal *list = NULL;
	size_t n = 0;
	gpg_error_t r;

	if ((r = principals_parse(value, &list, &n, reason, rlen)) != 0)
		return r;
	if (n == 0) {
		snprintf(reason, rlen, "empty list (expected user:NAME or group:NAME words)");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	principals_free(*field, *count);
	*field = list;
	*count = n;
	return 0;
}

static gpg_error_t
parse_key_uri(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	struct p11uri uri;
	char why[CONFIG_MAX_REASON] = "";

	(void)target_n;
	if (strncmp(value, "pkcs11:", 7) != 0) {
		snprintf(reason, rlen, "expected a PKCS#11 URI (pkcs11:token=...;object=...)");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	if (p11uri_parse(value, &uri, why, sizeof(why)) != 0) {
		snprintf(reason, rlen, "bad PKCS#11 URI: %s", why[0] != '\0' ? why : "invalid");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	return set_string(value, target);
}

static gpg_error_t
parse_algo(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	enum key_algo *field = target;
	enum key_algo a = key_algo_parse(value);

	(void)target_n;
	if (a == KEY_ALGO_NONE) {
		snprintf(reason, rlen, "unknown algorithm (expected " KEY_ALGO_NAMES ")");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	*field = a;
	return 0;
}

static gpg_error_t
parse_created(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	int64_t *field = target;
	uint64_t v = 0;
	const char *p;

	(void)target_n;
	/* OpenPGP timestamps are 32-bit unsigned (RFC 4880 §3.5). */
	for (p = value; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || p - value >= 10)
			goto bad;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == value || v > UINT32_MAX)
		goto bad;
	*field = (int64_t)v;
	return 0;
bad:
	snprintf(reason, rlen, "expected seconds since the epoch (0..4294967295)");
	return gpg_error(GPG_ERR_INV_VALUE);
}

static gpg_error_t
parse_hashes(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	unsigned int *field = target;
	unsigned int mask = 0;
	const char *p = value;
	char word[32];
	char shown[CONFIG_ERR_SHOW + 8];
	size_t i;

	(void)target_n;
	for (;;) {
		const char *start;
		size_t len;
		const struct hashalgo *h;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		len = (size_t)(p - start);
		show(start, len, shown, sizeof(shown));
		if (len >= sizeof(word)) {
			snprintf(reason, rlen, "unknown hash '%s'", shown);
			return gpg_error(GPG_ERR_INV_VALUE);
		}
		memcpy(word, start, len);
		word[len] = '\0';
		for (i = 0; i < sizeof(refused_hashes) / sizeof(refused_hashes[0]); i++) {
			if (strcasecmp(word, refused_hashes[i]) == 0) {
				snprintf(reason, rlen, "hash '%s' is not allowed for signing (too weak)", shown);
				return gpg_error(GPG_ERR_INV_VALUE);
			}
		}
		h = hashalgo_by_name(word);
		if (h == NULL) {
			snprintf(reason, rlen, "unknown hash '%s'", shown);
			return gpg_error(GPG_ERR_INV_VALUE);
		}
		mask |= h->bit;
	}
	if (mask == 0) {
		snprintf(reason, rlen, "empty list");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	*field = mask;
	return 0;
}

static gpg_error_t
parse_count(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	unsigned *field = target;
	unsigned long v = 0;
	const char *p;

	(void)target_n;
	for (p = value; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || p - value >= 7)
			goto bad;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (p == value || v < 1 || v > CONFIG_MAX_CONN)
		goto bad;
	*field = (unsigned)v;
	return 0;
bad:
	snprintf(reason, rlen, "expected a number from 1 to %d", CONFIG_MAX_CONN);
	return gpg_error(GPG_ERR_INV_VALUE);
}

static gpg_error_t
parse_approvals(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	(void)target_n;
	return config_parse_approvals(value, target, reason, rlen);
}

static gpg_error_t
parse_wait(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	(void)target_n;
	return config_parse_wait(value, target, reason, rlen);
}

static gpg_error_t
parse_hours(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	(void)target_n;
	return config_parse_hours(value, target, reason, rlen);
}

static gpg_error_t
parse_rate(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	(void)target_n;
	return config_parse_rate(value, target, reason, rlen);
}

static gpg_error_t
parse_second_factor(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	(void)target_n;
	return config_parse_second_factor(value, target, reason, rlen);
}

static gpg_error_t
parse_bytes(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	(void)target_n;
	return auditconf_parse_size(value, target, reason, rlen);
}

static gpg_error_t
parse_origin(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	gpg_error_t r;

	if ((r = auditconf_check_origin(value, reason, rlen)) != 0)
		return r;
	return parse_text(value, target, target_n, reason, rlen);
}

static gpg_error_t
parse_every(const char *value, void *target, void *target_n, char *reason, size_t rlen)
{
	(void)target_n;
	return auditconf_parse_every(value, target, reason, rlen);
}

static const value_parser value_parsers[] = {
	[VALUE_PATH] = parse_path,
	[VALUE_WORD] = parse_word,
	[VALUE_TEXT] = parse_text,
	[VALUE_INSTANCE] = parse_instance,
	[VALUE_PRINCIPALS] = parse_principals_value,
	[VALUE_KEY_URI] = parse_key_uri,
	[VALUE_ALGO] = parse_algo,
	[VALUE_CREATED] = parse_created,
	[VALUE_HASHES] = parse_hashes,
	[VALUE_COUNT] = parse_count,
	[VALUE_APPROVALS] = parse_approvals,
	[VALUE_WAIT] = parse_wait,
	[VALUE_HOURS] = parse_hours,
	[VALUE_RATE] = parse_rate,
	[VALUE_SECOND_FACTOR] = parse_second_factor,
	[VALUE_BYTES] = parse_bytes,
	[VALUE_ORIGIN] = parse_origin,
	[VALUE_EVERY] = parse_every,
};

/* "[policyd]", "[project foo]" for messages. */
static const char *
section_label(const struct parse_ctx *ctx, char *out, size_t outlen)
{
	switch (ctx->section) {
	case SECTION_POLICYD:
		return "[policyd]";
	case SECTION_HSM:
		return "[hsm]";
	case SECTION_PROJECT:
		snprintf(out, outlen, "[project %s]", ctx->project->name);
		return out;
	case SECTION_NONE:
		break;
	}
	return "(no section)";
}

static struct section_state *
start_project(struct parse_ctx *ctx, const char *name, int line)
{
	struct signet_config *cfg = ctx->cfg;
	struct project_conf *projects = NULL;
	struct section_state *states = NULL;
	size_t i;

	for (i = 0; i < cfg->nprojects; i++) {
		if (strcmp(cfg->projects[i].name, name) == 0) {
			inibuf_fail(&ctx->in, line, "[project %s]: duplicate project (first at line %d)",
				    name, cfg->projects[i].line);
			return NULL;
		}
	}
	if (cfg->nprojects == CONFIG_MAX_PROJECTS) {
		inibuf_fail(&ctx->in, line, "[project %s]: too many projects (max %d)", name, CONFIG_MAX_PROJECTS);
		return NULL;
	}
	projects = reallocarray(cfg->projects, cfg->nprojects + 1, sizeof(*projects));
	if (projects == NULL)
		goto nomem;
	cfg->projects = projects;
	states = reallocarray(ctx->project_state, cfg->nprojects + 1, sizeof(*states));
	if (states == NULL)
		goto nomem;
	ctx->project_state = states;

	memset(&projects[cfg->nprojects], 0, sizeof(projects[0]));
	memset(&states[cfg->nprojects], 0, sizeof(states[0]));
	projects[cfg->nprojects].name = strdup(name);
	if (projects[cfg->nprojects].name == NULL)
		goto nomem;
	projects[cfg->nprojects].line = line;
	projects[cfg->nprojects].hash_mask = hashalgo_default_mask();
	states[cfg->nprojects].present = 1;
	states[cfg->nprojects].line = line;
	ctx->project = &projects[cfg->nprojects];
	cfg->nprojects++;
	return &states[cfg->nprojects - 1];
nomem:
	inibuf_fail(&ctx->in, line, "out of memory");
	return NULL;
}

/* A section header line, START pointing at '[' (libinih's rules: the name
 * ends at the first ']', a ';' after blank space starts a comment first). */
static void
enter_section(struct parse_ctx *ctx, const char *start, size_t len, int line)
{
	char name[CONFIG_MAX_LINE + 1];
	char shown[CONFIG_ERR_SHOW + 8];
	const char *end = NULL, *p;
	struct section_state *st = NULL;
	size_t i, nlen;

	for (i = 1; i < len; i++) {
		if (start[i] == ']') {
			end = start + i;
			break;
		}
		if (start[i] == ';' && isspace((unsigned char)start[i - 1]))
			break;
	}
	if (end == NULL) {
		inibuf_fail(&ctx->in, line, "syntax error (expected 'key = value' or '[section]')");
		return;
	}
	for (p = end + 1; p < start + len && isspace((unsigned char)*p); p++)
		;
	if (p < start + len && *p != ';') {
		inibuf_fail(&ctx->in, line, "syntax error (text after '[section]')");
		return;
	}
	nlen = (size_t)(end - start - 1);
	memcpy(name, start + 1, nlen);
	name[nlen] = '\0';

	ctx->key_since_section = 0;
	ctx->project = NULL;
	ctx->section = SECTION_NONE;
	if (strcmp(name, "policyd") == 0) {
		st = &ctx->policyd;
		ctx->section = SECTION_POLICYD;
	} else if (strcmp(name, "hsm") == 0) {
		st = &ctx->hsm;
		ctx->section = SECTION_HSM;
	} else if (strncmp(name, "project", 7) == 0 && (name[7] == ' ' || name[7] == '\0')) {
		const char *pname = name + 7;

		while (*pname == ' ')
			pname++;
		if (*pname == '\0') {
			inibuf_fail(&ctx->in, line, "[%s]: missing project name ([project NAME])",
				    show(name, nlen, shown, sizeof(shown)));
			return;
		}
		if (!config_project_name_ok(pname)) {
			inibuf_fail(&ctx->in, line, "[%s]: bad project name (1 to %d of A-Z a-z 0-9 . _ -)",
				    show(name, nlen, shown, sizeof(shown)), PROJECT_NAME_MAX);
			return;
		}
		if (start_project(ctx, pname, line) == NULL)
			return;
		ctx->section = SECTION_PROJECT;
		return;
	} else {
		inibuf_fail(&ctx->in, line, "[%s]: unknown section (expected [policyd], [hsm] or [project NAME])",
			    show(name, nlen, shown, sizeof(shown)));
		return;
	}
	if (st->present) {
		inibuf_fail(&ctx->in, line, "[%s]: duplicate section (first at line %d)", name, st->line);
		return;
	}
	st->present = 1;
	st->line = line;
}

/* Look at a line before libinih sees it: section headers are ours. */
static void
inspect_line(struct parse_ctx *ctx, const char *line, size_t len, int lineno)
{
	const char *p = line, *end = line + len;

	if (lineno == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	ctx->line_indented = p < end && isspace((unsigned char)*p);
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || *p != '[')
		return;
	/* An indented line after a key continues that key's value in libinih
	 * (Python configparser style); the handler reports it. */
	if (ctx->line_indented && ctx->key_since_section)
		return;
	if (ctx->line_indented) {
		inibuf_fail(&ctx->in, lineno, "section header must not be indented");
		return;
	}
	enter_section(ctx, p, (size_t)(end - p), lineno);
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
	/* Checked before parsing; this only guards libinih's buffer. */
	if (len + 1 > (size_t)num) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "line too long (max %d characters)", CONFIG_MAX_LINE);
		return NULL;
	}
	inspect_line(ctx, start, len, ctx->in.lineno);
	if (ctx->in.err_line != 0)
		return NULL;
	memcpy(str, start, len);
	str[len] = '\0';
	return str;
}

/* The key table of the current section, the state of that section
 * instance and the struct its fields live in; 0 outside any section. */
struct section_keys {
	const struct key_def *table;
	size_t nkeys;
	struct section_state *st;
	void *base;
};

static int
current_section(struct parse_ctx *ctx, struct section_keys *sk)
{
	switch (ctx->section) {
	case SECTION_POLICYD:
		*sk = (struct section_keys){ policyd_keys, NKEYS(policyd_keys), &ctx->policyd, ctx->cfg };
		return 1;
	case SECTION_HSM:
		*sk = (struct section_keys){ hsm_keys, NKEYS(hsm_keys), &ctx->hsm, ctx->cfg };
		return 1;
	case SECTION_PROJECT:
		*sk = (struct section_keys){ project_keys, NKEYS(project_keys),
		                             &ctx->project_state[ctx->cfg->nprojects - 1], ctx->project };
		return 1;
	case SECTION_NONE:
		break;
	}
	return 0;
}

static int
handle_key(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *ctx = user;
	struct section_keys sk;
	size_t i;
	char labelbuf[PROJECT_NAME_MAX + 16];
	const char *label;
	char shown[CONFIG_ERR_SHOW + 8];
	char reason[CONFIG_MAX_REASON] = "";
	gpg_error_t r;

	(void)section;   /* ours is in ctx, untruncated */
	if (ctx->in.err_line != 0)
		return 0;
	ctx->key_since_section = 1;
	show(key, strlen(key), shown, sizeof(shown));
	if (!current_section(ctx, &sk)) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "%s: key outside any section (start with [policyd], "
			    "[hsm] or [project NAME])", shown);
		return 0;
	}
	label = section_label(ctx, labelbuf, sizeof(labelbuf));

	for (i = 0; i < sk.nkeys; i++)
		if (strcmp(sk.table[i].name, key) == 0)
			break;
	if (i == sk.nkeys) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "%s %s: unknown key", label, shown);
		return 0;
	}
	if (sk.st->seen & (1u << i)) {
		if (ctx->line_indented)
			inibuf_fail(&ctx->in, ctx->in.lineno, "%s %s: duplicate key (an indented line continues the "
				    "previous value; remove the leading blank space)", label, shown);
		else
			inibuf_fail(&ctx->in, ctx->in.lineno, "%s %s: duplicate key", label, shown);
		return 0;
	}
	sk.st->seen |= 1u << i;
	sk.st->key_line[i] = ctx->in.lineno;
	if (value[0] == '\0') {
		inibuf_fail(&ctx->in, ctx->in.lineno, "%s %s: empty value", label, shown);
		return 0;
	}
	r = value_parsers[sk.table[i].type](value, (char *)sk.base + sk.table[i].off,
	                                 (char *)sk.base + sk.table[i].off_n, reason, sizeof(reason));
	if (r != 0) {
		inibuf_fail(&ctx->in, ctx->in.lineno, "%s %s: %s", label, shown,
			    reason[0] != '\0' ? reason : gpg_strerror(r));
		return 0;
	}
	return 1;
}

static void
check_required(struct parse_ctx *ctx, const char *label, const struct section_state *st,
               const struct key_def *table, size_t nkeys)
{
	size_t i;

	if (!st->present) {
		inibuf_fail(&ctx->in, 0, "missing required section %s", label);
		return;
	}
	for (i = 0; i < nkeys; i++) {
		if (table[i].required && !(st->seen & (1u << i))) {
			inibuf_fail(&ctx->in, st->line, "%s: missing required key '%s'", label, table[i].name);
			return;
		}
	}
}

/* Before libinih sees anything: it would split an over-long line into two
 * and silently parse the second half, and a NUL would end a line early. */
static void
check_lines(struct parse_ctx *ctx)
{
	const char *start;
	size_t len;

	while (inibuf_next_line(&ctx->in, &start, &len)) {
		if (memchr(start, '\0', len) != NULL) {
			inibuf_fail(&ctx->in, ctx->in.lineno, "NUL byte in line");
			break;
		}
		if (len > CONFIG_MAX_LINE) {
			inibuf_fail(&ctx->in, ctx->in.lineno, "line too long (max %d characters)", CONFIG_MAX_LINE);
			break;
		}
	}
	inibuf_rewind(&ctx->in);
}

/* Checks across the keys of each project, reported at the line of the
 * approvals key (or the section header). */
static void
check_policies(struct parse_ctx *ctx)
{
	char reason[CONFIG_MAX_REASON];
	size_t i, k;

	for (k = 0; k < NKEYS(project_keys); k++)
		if (strcmp(project_keys[k].name, "approvals") == 0)
			break;
	for (i = 0; i < ctx->cfg->nprojects; i++) {
		const struct project_conf *p = &ctx->cfg->projects[i];
		const struct section_state *st = &ctx->project_state[i];

		if (config_check_policy(p, reason, sizeof(reason)) != 0) {
			inibuf_fail(&ctx->in, (st->seen & (1u << k)) ? st->key_line[k] : st->line,
			            "[project %s] approvals: %s", p->name, reason);
			return;
		}
	}
}

/* [policyd] state defaults to the audit file's folder. */
static int
set_default_state(struct signet_config *cfg)
{
	const char *slash = strrchr(cfg->audit, '/');
	size_t len = (size_t)(slash - cfg->audit);

	/* audit is an absolute path: SLASH is there; "/audit.jsonl" → "/". */
	cfg->state = strndup(cfg->audit, len > 0 ? len : 1);
	return cfg->state == NULL ? -1 : 0;
}

void
config_free(struct signet_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->socket);
	free(cfg->socket_group);
	free(cfg->audit);
	free(cfg->log);
	free(cfg->state);
	free(cfg->notify);
	free(cfg->audit_origin);
	free(cfg->tsa_url);
	principals_free(cfg->admins, cfg->nadmins);
	free(cfg->module);
	free(cfg->token);
	free(cfg->pin_file);
	free(cfg->so_pin_file);
	free(cfg->softhsm2_conf);
	for (i = 0; i < cfg->nprojects; i++) {
		struct project_conf *p = &cfg->projects[i];

		free(p->name);
		free(p->key_uri);
		free(p->uid);
		free(p->cert);
		principals_free(p->signers, p->nsigners);
		principals_free(p->approvers, p->napprovers);
	}
	free(cfg->projects);
	free(cfg);
}

gpg_error_t
config_parse_buffer(const char *name, const char *buf, size_t len,
                    struct signet_config **cfgp, char *err, size_t errlen)
{
	struct parse_ctx ctx;
	struct signet_config *cfg = NULL;
	char label[PROJECT_NAME_MAX + 16];
	gpg_error_t r = gpg_error(GPG_ERR_INV_VALUE);
	size_t i;
	int ret;

	if (cfgp != NULL)
		*cfgp = NULL;
	memset(&ctx, 0, sizeof(ctx));
	inibuf_init(&ctx.in, name != NULL ? name : "(config)", buf, len, err, errlen);
	if (cfgp == NULL || (buf == NULL && len != 0)) {
		r = gpg_error(GPG_ERR_INV_ARG);
		goto out;
	}
	if (len > CONFIG_MAX_FILE) {
		inibuf_fail(&ctx.in, 0, "file too large (max %d bytes)", CONFIG_MAX_FILE);
		goto out;
	}
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
	    (cfg->path = strdup(ctx.in.name)) == NULL) {
		r = gpg_error_from_syserror();
		inibuf_fail(&ctx.in, 0, "out of memory");
		goto out;
	}
	ctx.cfg = cfg;

	check_lines(&ctx);
	if (ctx.in.err_line != 0)
		goto out;

	ret = ini_parse_stream(read_line, &ctx, handle_key, &ctx);
	/* libinih goes on after a syntax error and returns the line of the
	 * first error, ours or its own; the earlier one is reported. */
	if (ret > 0 && (ctx.in.err_line == 0 || ret < ctx.in.err_line)) {
		ctx.in.err_line = 0;
		inibuf_fail(&ctx.in, ret, "syntax error (expected 'key = value' or '[section]')");
	} else if (ret < 0 && ctx.in.err_line == 0) {
		inibuf_fail(&ctx.in, 0, "cannot parse (libinih error %d)", ret);
	}
	if (ctx.in.err_line != 0)
		goto out;

	check_required(&ctx, "[policyd]", &ctx.policyd, policyd_keys, NKEYS(policyd_keys));
	check_required(&ctx, "[hsm]", &ctx.hsm, hsm_keys, NKEYS(hsm_keys));
	for (i = 0; i < cfg->nprojects; i++) {
		snprintf(label, sizeof(label), "[project %s]", cfg->projects[i].name);
		check_required(&ctx, label, &ctx.project_state[i], project_keys, NKEYS(project_keys));
	}
	if (ctx.in.err_line != 0)
		goto out;
	check_policies(&ctx);
	if (ctx.in.err_line != 0)
		goto out;
	if (cfg->state == NULL && set_default_state(cfg) != 0) {
		r = gpg_error_from_syserror();
		inibuf_fail(&ctx.in, 0, "out of memory");
		goto out;
	}
	if (cfg->max_connections_per_user == 0)
		cfg->max_connections_per_user = CONFIG_DEFAULT_MAX_CONN_PER_USER;
	if (cfg->max_connections == 0)
		cfg->max_connections = CONFIG_DEFAULT_MAX_CONN;

	*cfgp = cfg;
	cfg = NULL;
	r = 0; /* success */
out:
	free(ctx.project_state);
	config_free(cfg);
	return r;
}

gpg_error_t
config_load(const char *path, struct signet_config **cfgp, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	gpg_error_t r;

	if (cfgp != NULL)
		*cfgp = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (path == NULL || cfgp == NULL)
		return gpg_error(GPG_ERR_INV_ARG);

	r = readfile_bounded(path, CONFIG_MAX_FILE, &buf, &len, err, errlen);
	if (gpg_err_code(r) == GPG_ERR_TOO_LARGE)
		r = gpg_error(GPG_ERR_INV_VALUE);   /* config.h: content errors */
	if (r == 0)
		r = config_parse_buffer(path, buf, len, cfgp, err, errlen);
	free(buf);
	return r;
}

const struct project_conf *
config_find_project(const struct signet_config *cfg, const char *name)
{
	size_t i;

	if (cfg == NULL || name == NULL)
		return NULL;
	for (i = 0; i < cfg->nprojects; i++)
		if (strcmp(cfg->projects[i].name, name) == 0)
			return &cfg->projects[i];
	return NULL;
}
