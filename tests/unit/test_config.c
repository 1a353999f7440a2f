/* test_config.c — signet.conf parsing: a full good file and every kind of
 * error, each checked by its exact "FILE:LINE: reason" text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "config.h"
#include "hashalgo.h"

/* Lines 1-8. */
#define BASE \
	"[policyd]\n" \
	"socket = /run/signet/policyd.sock\n" \
	"audit = /var/lib/signet/audit.jsonl\n" \
	"instance = 1a2b3c4d\n" \
	"[hsm]\n" \
	"module = /usr/lib/softhsm/libsofthsm2.so\n" \
	"token = signet\n" \
	"pin_file = /etc/signet/user-pin\n"

/* Lines 9-15 when appended to BASE. */
#define PROJECT_APP \
	"[project app]\n" \
	"key = pkcs11:token=signet;object=app\n" \
	"algo = rsa2048\n" \
	"uid = App <app@example.org>\n" \
	"created = 1732579200\n" \
	"cert = /etc/signet/certs/app.pgp\n" \
	"signers = user:alice\n"

static const char good_conf[] =
	"; signet.conf\n"
	"[policyd]\n"
	"socket = /run/signet/policyd.sock\n"
	"socket_group = signet\n"
	"audit = /var/lib/signet/audit.jsonl\n"
	"instance = 1A2B3C4D   ; installation id\n"
	"log = /var/log/signet/policyd.log\n"
	"admins = user:root group:wheel\n"
	"\n"
	"[hsm]\n"
	"module = /usr/lib/softhsm/libsofthsm2.so\n"
	"token = signet\n"
	"pin_file = /etc/signet/secrets/user-pin\n"
	"so_pin_file = /etc/signet/secrets/so-pin\n"
	"softhsm2_conf = /etc/signet/softhsm2.conf\n"
	"\n"
	"# the release key\n"
	"[project release]\n"
	"key = pkcs11:token=signet;object=release\n"
	"algo = rsa3072\n"
	"uid = Release Key <release@example.org>\n"
	"created = 1732579200\n"
	"cert = /etc/signet/certs/release.pgp\n"
	"signers = user:alice group:release user:bob.smith\n"
	"hashes = sha256 sha512\n"
	"\r\n"
	"[project a-very-long-project-name.0123456789_0123456789_0123456789_x]\r\n"
	"key = pkcs11:token=signet;object=long\r\n"
	"algo = rsa4096\r\n"
	"uid = Long\r\n"
	"created = 4294967295\r\n"
	"cert = /etc/signet/certs/long.pgp\r\n"
	"signers = group:dev\r\n";

static void
expect_error(const char *text, const char *msg)
{
	struct signet_config *cfg = (struct signet_config *)1;
	char err[512];
	gpg_error_t r;

	r = config_parse_buffer("t.conf", text, strlen(text), &cfg, err, sizeof(err));
	if (r == 0 || strcmp(err, msg) != 0)
		print_error("expected: %s\n     got: %s (%s)\n", msg, err, gpg_strerror(r));
	assert_int_equal(gpg_err_code(r), GPG_ERR_INV_VALUE);
	assert_null(cfg);
	assert_string_equal(err, msg);
}

/* For messages whose tail comes from another module (p11uri). */
static void
expect_error_prefix(const char *text, const char *prefix)
{
	struct signet_config *cfg = NULL;
	char err[512];
	gpg_error_t r;

	r = config_parse_buffer("t.conf", text, strlen(text), &cfg, err, sizeof(err));
	assert_int_equal(gpg_err_code(r), GPG_ERR_INV_VALUE);
	assert_null(cfg);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		print_error("expected prefix: %s\n            got: %s\n", prefix, err);
	assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
}

static void
test_good(void **state)
{
	struct signet_config *cfg = NULL;
	const struct project_conf *p;
	char err[256] = "x";

	(void)state;
	assert_int_equal(config_parse_buffer("good.conf", good_conf, strlen(good_conf), &cfg,
	                                     err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_non_null(cfg);
	assert_string_equal(cfg->path, "good.conf");
	assert_string_equal(cfg->socket, "/run/signet/policyd.sock");
	assert_string_equal(cfg->socket_group, "signet");
	assert_string_equal(cfg->audit, "/var/lib/signet/audit.jsonl");
	assert_string_equal(cfg->log, "/var/log/signet/policyd.log");
	assert_memory_equal(cfg->instance, "\x1a\x2b\x3c\x4d", 4);
	assert_int_equal(cfg->nadmins, 2);
	assert_int_equal(cfg->admins[0].kind, PRINCIPAL_USER);
	assert_string_equal(cfg->admins[0].name, "root");
	assert_int_equal(cfg->admins[1].kind, PRINCIPAL_GROUP);
	assert_string_equal(cfg->admins[1].name, "wheel");
	assert_string_equal(cfg->module, "/usr/lib/softhsm/libsofthsm2.so");
	assert_string_equal(cfg->token, "signet");
	assert_string_equal(cfg->pin_file, "/etc/signet/secrets/user-pin");
	assert_string_equal(cfg->so_pin_file, "/etc/signet/secrets/so-pin");
	assert_string_equal(cfg->softhsm2_conf, "/etc/signet/softhsm2.conf");
	assert_int_equal(cfg->nprojects, 2);

	p = config_find_project(cfg, "release");
	assert_non_null(p);
	assert_string_equal(p->key_uri, "pkcs11:token=signet;object=release");
	assert_int_equal(p->algo, KEY_ALGO_RSA3072);
	assert_string_equal(p->uid, "Release Key <release@example.org>");
	assert_int_equal(p->created, 1732579200);
	assert_string_equal(p->cert, "/etc/signet/certs/release.pgp");
	assert_int_equal(p->nsigners, 3);
	assert_int_equal(p->signers[1].kind, PRINCIPAL_GROUP);
	assert_string_equal(p->signers[1].name, "release");
	assert_string_equal(p->signers[2].name, "bob.smith");
	assert_int_equal(p->hash_mask, hashalgo_by_name("sha256")->bit | hashalgo_by_name("sha512")->bit);
	assert_int_equal(p->line, 18);

	/* Longer than libinih's own section buffer: must not be truncated. */
	p = config_find_project(cfg, "a-very-long-project-name.0123456789_0123456789_0123456789_x");
	assert_non_null(p);
	assert_int_equal(p->algo, KEY_ALGO_RSA4096);
	assert_int_equal(p->created, 4294967295LL);
	assert_int_equal(p->hash_mask, hashalgo_default_mask());
	assert_int_equal(p->line, 27);
	assert_null(config_find_project(cfg, "nope"));
	config_free(cfg);
	config_free(NULL);
}

static void
test_no_projects(void **state)
{
	struct signet_config *cfg = NULL;
	char err[256];

	(void)state;
	assert_int_equal(config_parse_buffer("t.conf", BASE, strlen(BASE), &cfg, err, sizeof(err)), 0);
	assert_non_null(cfg);
	assert_int_equal(cfg->nprojects, 0);
	assert_null(cfg->socket_group);
	assert_null(cfg->log);
	assert_int_equal(cfg->nadmins, 0);
	assert_int_equal(cfg->max_connections_per_user, CONFIG_DEFAULT_MAX_CONN_PER_USER);
	assert_int_equal(cfg->max_connections, CONFIG_DEFAULT_MAX_CONN);
	config_free(cfg);

	{
		static const char limits[] = "[policyd]\nmax_connections_per_user = 10000\n"
		                             "max_connections = 20000\n"
		                             "socket = /s\naudit = /a\ninstance = 1a2b3c4d\n"
		                             "[hsm]\nmodule = /m\ntoken = t\npin_file = /p\n";

		assert_int_equal(config_parse_buffer("t.conf", limits, strlen(limits), &cfg, err, sizeof(err)), 0);
		assert_int_equal(cfg->max_connections_per_user, 10000);
		assert_int_equal(cfg->max_connections, 20000);
		config_free(cfg);
	}

	assert_int_equal(config_parse_buffer("t.conf", BASE PROJECT_APP, strlen(BASE PROJECT_APP),
	                                     &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->nprojects, 1);
	assert_int_equal(cfg->projects[0].line, 9);
	config_free(cfg);
}

static void
test_unknown(void **state)
{
	(void)state;
	expect_error(BASE "[server]\n",
	             "t.conf:9: [server]: unknown section (expected [policyd], [hsm] or [project NAME])");
	expect_error(BASE "[Project x]\n",
	             "t.conf:9: [Project x]: unknown section (expected [policyd], [hsm] or [project NAME])");
	expect_error(BASE "colour = blue\n", "t.conf:9: [hsm] colour: unknown key");
	expect_error("[policyd]\nsocket = /s\npin_file = /p\n", "t.conf:3: [policyd] pin_file: unknown key");
	expect_error(BASE PROJECT_APP "hash = sha256\n", "t.conf:16: [project app] hash: unknown key");
	expect_error("socket = /s\n[policyd]\n",
	             "t.conf:1: socket: key outside any section (start with [policyd], [hsm] or [project NAME])");
}

static void
test_duplicates(void **state)
{
	(void)state;
	expect_error(BASE "token = other\n", "t.conf:9: [hsm] token: duplicate key");
	expect_error(BASE PROJECT_APP "algo = rsa4096\n", "t.conf:16: [project app] algo: duplicate key");
	expect_error(BASE PROJECT_APP PROJECT_APP, "t.conf:16: [project app]: duplicate project (first at line 9)");
	expect_error(BASE "[policyd]\n", "t.conf:9: [policyd]: duplicate section (first at line 1)");
	/* libinih reads an indented line as the continuation of the previous
	 * value, calling the handler for the same key again. */
	expect_error(BASE PROJECT_APP "  group:release\n",
	             "t.conf:16: [project app] signers: duplicate key (an indented line continues the "
	             "previous value; remove the leading blank space)");
	expect_error(BASE "\tsignet2\n",
	             "t.conf:9: [hsm] pin_file: duplicate key (an indented line continues the "
	             "previous value; remove the leading blank space)");
}

static void
test_project_name(void **state)
{
	(void)state;
	expect_error(BASE "[project foo/bar]\n",
	             "t.conf:9: [project foo/bar]: bad project name (1 to 64 of A-Z a-z 0-9 . _ -)");
	expect_error(BASE "[project a b]\n",
	             "t.conf:9: [project a b]: bad project name (1 to 64 of A-Z a-z 0-9 . _ -)");
	expect_error(BASE "[project]\n", "t.conf:9: [project]: missing project name ([project NAME])");
	expect_error(BASE "[project "
	             "x0123456789012345678901234567890123456789012345678901234567890123]\n",
	             "t.conf:9: [project x0123456789012345678901234567890123456789012345678901234...]: "
	             "bad project name (1 to 64 of A-Z a-z 0-9 . _ -)");
	assert_true(config_project_name_ok("a"));
	assert_true(config_project_name_ok("Rel-1.2_x"));
	assert_false(config_project_name_ok(""));
	assert_false(config_project_name_ok("a:b"));
	assert_false(config_project_name_ok(NULL));
}

static void
test_bad_values(void **state)
{
	(void)state;
	expect_error("[policyd]\nsocket = run/policyd.sock\n",
	             "t.conf:2: [policyd] socket: relative path (all paths must be absolute)");
	expect_error(BASE "[project x]\ncert = certs/x.pgp\n",
	             "t.conf:10: [project x] cert: relative path (all paths must be absolute)");
	expect_error("[policyd]\ninstance = 1a2b3c4\n",
	             "t.conf:2: [policyd] instance: expected exactly 8 hex digits");
	expect_error("[policyd]\ninstance = 1a2b3c4d5e\n",
	             "t.conf:2: [policyd] instance: expected exactly 8 hex digits");
	expect_error("[policyd]\ninstance = 1a2b3g4d\n",
	             "t.conf:2: [policyd] instance: expected exactly 8 hex digits");
	expect_error("[policyd]\nsocket_group = sig net\n",
	             "t.conf:2: [policyd] socket_group: bad name (allowed: A-Z a-z 0-9 . _ -)");
	expect_error("[policyd]\naudit =\n", "t.conf:2: [policyd] audit: empty value");
	expect_error("[policyd]\nmax_connections_per_user = 0\n",
	             "t.conf:2: [policyd] max_connections_per_user: expected a number from 1 to 1000000");
	expect_error("[policyd]\nmax_connections = 1000001\n",
	             "t.conf:2: [policyd] max_connections: expected a number from 1 to 1000000");
	expect_error("[policyd]\nmax_connections = 12x\n",
	             "t.conf:2: [policyd] max_connections: expected a number from 1 to 1000000");
	expect_error(BASE "[project x]\nalgo = dsa1024\n",
	             "t.conf:10: [project x] algo: unknown algorithm (expected rsa2048, rsa3072, rsa4096, p256, p384 or ed25519)");
	expect_error(BASE "[project x]\ncreated = -1\n",
	             "t.conf:10: [project x] created: expected seconds since the epoch (0..4294967295)");
	expect_error(BASE "[project x]\ncreated = 4294967296\n",
	             "t.conf:10: [project x] created: expected seconds since the epoch (0..4294967295)");
	expect_error(BASE "[project x]\ncreated = 12ab\n",
	             "t.conf:10: [project x] created: expected seconds since the epoch (0..4294967295)");
	expect_error(BASE "[project x]\ncreated = 99999999999999999999999\n",
	             "t.conf:10: [project x] created: expected seconds since the epoch (0..4294967295)");
}

static void
test_bad_principals(void **state)
{
	(void)state;
	expect_error(BASE "[project x]\nsigners = alice\n",
	             "t.conf:10: [project x] signers: 'alice': expected user:NAME or group:NAME");
	expect_error(BASE "[project x]\nsigners = user:alice user:\n",
	             "t.conf:10: [project x] signers: 'user:': empty name");
	expect_error(BASE "[project x]\nsigners = role:admin\n",
	             "t.conf:10: [project x] signers: 'role:admin': unknown kind (expected user: or group:)");
	expect_error(BASE "[project x]\nsigners = user:al/ice\n",
	             "t.conf:10: [project x] signers: 'user:al/ice': bad name (allowed: A-Z a-z 0-9 . _ -, at most 64)");
	expect_error("[policyd]\nadmins = group:\n", "t.conf:2: [policyd] admins: 'group:': empty name");
}

static void
test_principals_api(void **state)
{
	struct principal *p = NULL;
	size_t n = 99;
	char err[128];
	char many[CONFIG_MAX_PRINCIPALS * 8 + 16] = "";
	int i;

	(void)state;
	assert_int_equal(principals_parse("  user:a\tgroup:b-c  ", &p, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(p[0].kind, PRINCIPAL_USER);
	assert_string_equal(p[0].name, "a");
	assert_int_equal(p[1].kind, PRINCIPAL_GROUP);
	assert_string_equal(p[1].name, "b-c");
	principals_free(p, n);

	assert_int_equal(principals_parse("", &p, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_null(p);

	for (i = 0; i <= CONFIG_MAX_PRINCIPALS; i++)
		strcat(many, "user:u ");
	assert_int_not_equal(principals_parse(many, &p, &n, err, sizeof(err)), 0);
	assert_null(p);
	assert_int_equal(n, 0);
	assert_string_equal(err, "too many principals (max 64)");
	principals_free(NULL, 0);
}

static void
test_hashes(void **state)
{
	(void)state;
	expect_error(BASE "[project x]\nhashes = sha256 sha1\n",
	             "t.conf:10: [project x] hashes: hash 'sha1' is not allowed for signing (too weak)");
	expect_error(BASE "[project x]\nhashes = MD5\n",
	             "t.conf:10: [project x] hashes: hash 'MD5' is not allowed for signing (too weak)");
	expect_error(BASE "[project x]\nhashes = rmd160\n",
	             "t.conf:10: [project x] hashes: hash 'rmd160' is not allowed for signing (too weak)");
	expect_error(BASE "[project x]\nhashes = sha256 sha3-256\n",
	             "t.conf:10: [project x] hashes: unknown hash 'sha3-256'");
}

static void
test_key_uri(void **state)
{
	(void)state;
	expect_error(BASE "[project x]\nkey = token=signet;object=x\n",
	             "t.conf:10: [project x] key: expected a PKCS#11 URI (pkcs11:token=...;object=...)");
	expect_error_prefix(BASE "[project x]\nkey = pkcs11:token=signet;object=x?pin-value=1234\n",
	                    "t.conf:10: [project x] key: bad PKCS#11 URI: ");
	expect_error_prefix(BASE "[project x]\nkey = pkcs11:token=sig%zznet\n",
	                    "t.conf:10: [project x] key: bad PKCS#11 URI: ");
}

static void
test_missing(void **state)
{
	(void)state;
	/* The line is the section header's. */
	expect_error(BASE "\n[project x]\nkey = pkcs11:token=signet;object=x\nalgo = rsa2048\n"
	             "uid = X\ncreated = 0\ncert = /x.pgp\n",
	             "t.conf:10: [project x]: missing required key 'signers'");
	expect_error("; c\n[policyd]\nsocket = /s\naudit = /a\n[hsm]\n",
	             "t.conf:2: [policyd]: missing required key 'instance'");
	expect_error(BASE PROJECT_APP "[project y]\n", "t.conf:16: [project y]: missing required key 'key'");
	expect_error("[policyd]\nsocket = /s\naudit = /a\ninstance = 00000000\n",
	             "t.conf: missing required section [hsm]");
	expect_error("", "t.conf: missing required section [policyd]");
}

static void
test_syntax(void **state)
{
	char text[1024];

	(void)state;
	expect_error(BASE "just some words\n",
	             "t.conf:9: syntax error (expected 'key = value' or '[section]')");
	expect_error(BASE "[project x\n", "t.conf:9: syntax error (expected 'key = value' or '[section]')");
	expect_error(BASE "[hsm] token = x\n", "t.conf:9: syntax error (text after '[section]')");
	expect_error("[policyd]\n  [hsm]\n", "t.conf:2: section header must not be indented");
	/* A syntax error before a content error is reported first. */
	expect_error(BASE "oops\ncolour = blue\n",
	             "t.conf:9: syntax error (expected 'key = value' or '[section]')");

	/* 199 characters pass, 200 do not (libinih would split the line). */
	snprintf(text, sizeof(text), "[hsm]\ntoken = %0*d\n", CONFIG_MAX_LINE - 8, 0);
	{
		struct signet_config *cfg = NULL;
		char err[256];

		assert_int_equal(config_parse_buffer("t.conf", text, strlen(text), &cfg, err, sizeof(err)),
		                 gpg_error(GPG_ERR_INV_VALUE));
		assert_string_equal(err, "t.conf: missing required section [policyd]");
	}
	snprintf(text, sizeof(text), BASE "[project x]\nuid = %0*d\n", CONFIG_MAX_LINE - 5, 0);
	expect_error(text, "t.conf:10: line too long (max 199 characters)");
}

static void
test_nul_in_buffer_len(void **state)
{
	static const char text[] = "[policyd]\nsocket = /s\0x\n";
	struct signet_config *cfg = NULL;
	char err[256];

	(void)state;
	assert_int_equal(gpg_err_code(config_parse_buffer("t.conf", text, sizeof(text) - 1, &cfg,
	                                                  err, sizeof(err))), GPG_ERR_INV_VALUE);
	assert_string_equal(err, "t.conf:2: NUL byte in line");
}

static void
test_algo_helpers(void **state)
{
	(void)state;
	assert_int_equal(key_algo_parse("rsa2048"), KEY_ALGO_RSA2048);
	assert_int_equal(key_algo_parse("rsa4096"), KEY_ALGO_RSA4096);
	assert_int_equal(key_algo_parse("RSA4096"), KEY_ALGO_NONE);
	assert_int_equal(key_algo_parse(NULL), KEY_ALGO_NONE);
	assert_string_equal(key_algo_name(KEY_ALGO_RSA3072), "rsa3072");
	assert_int_equal(key_algo_bits(KEY_ALGO_RSA3072), 3072);
	assert_int_equal(key_algo_bits(KEY_ALGO_NONE), 0);
}

static void
test_load(void **state)
{
	char dir[] = "/tmp/sgcfXXXXXX";
	char path[128], link[128], sub[128];
	struct signet_config *cfg = NULL;
	char err[512];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/signet.conf", dir);
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(good_conf, f);
	fclose(f);

	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg->path, path);
	assert_int_equal(cfg->nprojects, 2);
	config_free(cfg);

	assert_int_equal(symlink(path, link), 0);
	assert_int_not_equal(config_load(link, &cfg, err, sizeof(err)), 0);
	assert_null(cfg);
	assert_non_null(strstr(err, "symbolic links are refused"));

	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_not_equal(config_load(sub, &cfg, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not a regular file"));

	/* Errors name the real path. */
	f = fopen(path, "w");
	fputs("[policyd]\nsocket = x\n", f);
	fclose(f);
	assert_int_equal(gpg_err_code(config_load(path, &cfg, err, sizeof(err))), GPG_ERR_INV_VALUE);
	assert_non_null(strstr(err, ":2: [policyd] socket: relative path"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);

	/* Too large. */
	assert_int_equal(truncate(path, CONFIG_MAX_FILE + 1), 0);
	assert_int_equal(gpg_err_code(config_load(path, &cfg, err, sizeof(err))), GPG_ERR_INV_VALUE);
	assert_non_null(strstr(err, "file too large"));

	assert_int_equal(gpg_err_code(config_load("/nonexistent/signet.conf", &cfg, err, sizeof(err))),
	                 GPG_ERR_ENOENT);

	unlink(link);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}

/* The policy keys of issue 8: good values and their fields. */
static void
test_policy_keys(void **state)
{
	static const char text[] = BASE
		"state = /var/lib/signet/state\n"       /* 9: still in [hsm]: refused */;
	static const char good[] = BASE PROJECT_APP
		"approvers = user:bob group:leads\n"
		"approvals = 2\n"
		"approval_wait = 15m\n"
		"hours = Mon-Fri 06:00-20:00, Sat,Sun 09:00-12:00, Fri 22:00-02:00 Europe/Berlin\n"
		"rate = 100/hour\n"
		"second_factor = totp\n";
	struct signet_config *cfg = NULL;
	const struct project_conf *p;
	char err[512];

	(void)state;
	expect_error(text, "t.conf:9: [hsm] state: unknown key");
	assert_int_equal(config_parse_buffer("t.conf", good, strlen(good), &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg->state, "/var/lib/signet");    /* default: the audit file's folder */
	assert_null(cfg->notify);
	p = config_find_project(cfg, "app");
	assert_non_null(p);
	assert_int_equal(p->napprovers, 2);
	assert_string_equal(p->approvers[1].name, "leads");
	assert_int_equal(p->approvals, 2);
	assert_int_equal(p->approval_wait, 900);
	assert_int_equal(p->hours.nwindows, 3);
	assert_int_equal(p->hours.w[0].days, 0x1f);
	assert_int_equal(p->hours.w[0].start_min, 360);
	assert_int_equal(p->hours.w[0].end_min, 1200);
	assert_int_equal(p->hours.w[1].days, 0x60);
	assert_int_equal(p->hours.w[2].days, 0x10);
	assert_int_equal(p->hours.w[2].start_min, 1320);
	assert_int_equal(p->hours.w[2].end_min, 120);
	assert_string_equal(p->hours.tz, "Europe/Berlin");
	assert_int_equal(p->rate.count, 100);
	assert_int_equal(p->rate.period_sec, 3600);
	assert_int_equal(p->second_factor, SECOND_FACTOR_TOTP);
	config_free(cfg);
	cfg = NULL;

	/* Defaults, and [policyd] state/notify. */
	{
		static const char t2[] =
			"[policyd]\nsocket = /s\naudit = /audit.jsonl\ninstance = 1a2b3c4d\n"
			"notify = /usr/local/bin/notify\n"
			"[hsm]\nmodule = /m\ntoken = t\npin_file = /p\n" PROJECT_APP
			"hours = Mon-Sun 00:00-24:00 UTC\n";
		assert_int_equal(config_parse_buffer("t.conf", t2, strlen(t2), &cfg, err, sizeof(err)), 0);
		assert_string_equal(cfg->state, "/");
		assert_string_equal(cfg->notify, "/usr/local/bin/notify");
		p = config_find_project(cfg, "app");
		assert_int_equal(p->approvals, 0);
		assert_int_equal(p->rate.count, 0);
		assert_int_equal(p->second_factor, SECOND_FACTOR_NONE);
		assert_int_equal(p->hours.w[0].days, 0x7f);
		assert_int_equal(p->hours.w[0].end_min, 1440);
		config_free(cfg);
	}
}

static void
test_policy_bad(void **state)
{
	(void)state;
	/* PROJECT_APP is lines 9-15: the new key is line 16. */
	expect_error(BASE PROJECT_APP "approvals = 17\n", "t.conf:16: [project app] approvals: expected a number "
	             "from 0 to 16 (distinct approvers needed; 0: none)");
	expect_error(BASE PROJECT_APP "approvals = -1\n", "t.conf:16: [project app] approvals: expected a number "
	             "from 0 to 16 (distinct approvers needed; 0: none)");
	expect_error(BASE PROJECT_APP "approvals = 2\n", "t.conf:16: [project app] approvals: approvals = 2 but "
	             "no approvers; add approvers = user:NAME group:NAME or set approvals = 0");
	expect_error(BASE PROJECT_APP "approvals = 2\napprovers = user:bob\n", "t.conf:16: [project app] "
	             "approvals: approvals = 2 but approvers names only 1 user(s); add approvers or lower approvals");
	expect_error(BASE PROJECT_APP "approvers = bob\n", "t.conf:16: [project app] approvers: 'bob': expected "
	             "user:NAME or group:NAME");
	expect_error(BASE PROJECT_APP "approval_wait = 25h\n", "t.conf:16: [project app] approval_wait: expected 0 "
	             "or a number with a unit s, m, h or d (30s, 15m, 2h, 1d), at most 24h");
	expect_error(BASE PROJECT_APP "approval_wait = 15\n", "t.conf:16: [project app] approval_wait: expected 0 "
	             "or a number with a unit s, m, h or d (30s, 15m, 2h, 1d), at most 24h");
	expect_error(BASE PROJECT_APP "rate = 0/hour\n", "t.conf:16: [project app] rate: expected N/second, "
	             "N/minute, N/hour or N/day with N from 1 to 100000 (100/hour); remove the key for no limit");
	expect_error(BASE PROJECT_APP "rate = 100/week\n", "t.conf:16: [project app] rate: expected N/second, "
	             "N/minute, N/hour or N/day with N from 1 to 100000 (100/hour); remove the key for no limit");
	expect_error(BASE PROJECT_APP "rate = 100001/day\n", "t.conf:16: [project app] rate: expected N/second, "
	             "N/minute, N/hour or N/day with N from 1 to 100000 (100/hour); remove the key for no limit");
	expect_error(BASE PROJECT_APP "second_factor = sms\n", "t.conf:16: [project app] second_factor: "
	             "expected none or totp");
	expect_error(BASE PROJECT_APP "hours = Mon-Fri 06:00-20:00\n", "t.conf:16: [project app] hours: "
	             "the time zone is missing at the end (UTC, or a name such as Europe/Berlin)");
	expect_error(BASE PROJECT_APP "hours = Mon-Fri 06:00-20:00 Mars/Olympus\n", "t.conf:16: [project app] "
	             "hours: 'Mars/Olympus': unknown time zone (UTC, or a name under /usr/share/zoneinfo such "
	             "as Europe/Berlin)");
	expect_error(BASE PROJECT_APP "hours = Mon-Fri 06:00-20:00 ../../etc/passwd\n", "t.conf:16: [project app] "
	             "hours: '../../etc/passwd': unknown time zone (UTC, or a name under /usr/share/zoneinfo such "
	             "as Europe/Berlin)");
	expect_error(BASE PROJECT_APP "hours = Mon-Fri 06:00-20:00 /etc/localtime\n", "t.conf:16: [project app] "
	             "hours: '/etc/localtime': unknown time zone (UTC, or a name under /usr/share/zoneinfo such "
	             "as Europe/Berlin)");
	expect_error(BASE PROJECT_APP "hours = Mon-Fri 6:00-20:00 UTC\n", "t.conf:16: [project app] hours: "
	             "'6:00-20:00': expected a time range HH:MM-HH:MM (06:00-20:00; 22:00-06:00 runs past "
	             "midnight; 00:00-24:00 is the whole day)");
	expect_error(BASE PROJECT_APP "hours = Mon-Fri 24:00-20:00 UTC\n", "t.conf:16: [project app] hours: "
	             "'24:00-20:00': expected a time range HH:MM-HH:MM (06:00-20:00; 22:00-06:00 runs past "
	             "midnight; 00:00-24:00 is the whole day)");
	expect_error(BASE PROJECT_APP "hours = Mon 08:00-08:00 UTC\n", "t.conf:16: [project app] hours: "
	             "'08:00-08:00': empty time range (for the whole day write 00:00-24:00)");
	expect_error(BASE PROJECT_APP "hours = Monday 08:00-09:00 UTC\n", "t.conf:16: [project app] hours: "
	             "'Monday': expected days (Mon-Fri, Sat, Mon,Wed,Fri or Mon-Sun)");
	expect_error(BASE PROJECT_APP "hours = Mon 08:00-09:00 UTC Sat\n", "t.conf:16: [project app] hours: "
	             "'Sat' after the time zone 'UTC' (the zone comes last; separate windows with ',')");
	expect_error(BASE PROJECT_APP "hours = Mon 08:00-09:00, UTC\n", "t.conf:16: [project app] hours: "
	             "'UTC': expected days (Mon-Fri, Sat, Mon,Wed,Fri or Mon-Sun)");
	expect_error(BASE "state = relative/dir\n[project x]\n", "t.conf:9: [hsm] state: unknown key");
	expect_error("[policyd]\nnotify = notify.sh\n", "t.conf:2: [policyd] notify: relative path (all paths "
	             "must be absolute)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_no_projects),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_project_name),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_bad_principals),
		cmocka_unit_test(test_principals_api),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_key_uri),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_nul_in_buffer_len),
		cmocka_unit_test(test_algo_helpers),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_policy_keys),
		cmocka_unit_test(test_policy_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
