/* test_tsaconf.c — signet-tsa.conf: a good file, the defaults, and every
 * kind of bad one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../tsa/tsa.h"

#define BASE "[tsa]\npolicies = 1.3.6.1.4.1.99999.1.1 1.2.3.4\nkey = file:/k.pem\ncert = /c.pem\n" \
             "serial_file = /s\naudit = /a.jsonl\n"

static gpg_error_t
parse(const char *text, struct tsa_config **cfg, char *err, size_t errlen)
{
	return tsa_config_parse("t.conf", text, strlen(text), cfg, err, errlen);
}

/* ERR for TEXT must contain EXPECT. */
static void
expect_error(const char *text, const char *expect)
{
	struct tsa_config *cfg = NULL;
	char err[TSA_MAX_ERR];

	assert_int_not_equal(parse(text, &cfg, err, sizeof(err)), 0);
	assert_null(cfg);
	if (strstr(err, expect) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, expect);
}

static void
test_defaults(void **state)
{
	struct tsa_config *cfg = NULL;
	char err[TSA_MAX_ERR];

	(void)state;
	assert_int_equal(parse(BASE, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg->listen, "127.0.0.1:3161");
	assert_int_equal(cfg->threads, 8);
	assert_int_equal(cfg->max_body, TSA_MAX_REQ_BODY);
	assert_int_equal(cfg->npolicies, 2);
	assert_string_equal(cfg->policies[0], "1.3.6.1.4.1.99999.1.1");
	assert_int_equal(cfg->digests, TSA_DIGEST_SHA256 | TSA_DIGEST_SHA384 | TSA_DIGEST_SHA512);
	assert_string_equal(cfg->key_file, "/k.pem");
	assert_int_equal(cfg->clock_check, TSA_CLOCK_ADJTIMEX);
	assert_int_equal(cfg->accuracy_us, 0);
	assert_null(cfg->chain);
	assert_null(cfg->ca);
	assert_int_equal(cfg->max_conns, 4096);
	assert_int_equal(cfg->max_conns_per_ip, 64);
	assert_int_equal(cfg->conn_timeout_s, 5);
	assert_int_equal(cfg->request_timeout_s, 10);
	tsa_config_free(cfg);
}

/* The slow-client limits: numbers in range, seconds with their unit, and
 * no per-address limit above the global one. */
static void
test_connections(void **state)
{
	struct tsa_config *cfg = NULL;
	char err[TSA_MAX_ERR];

	(void)state;
	assert_int_equal(parse(BASE "max_connections = 2000\nmax_connections_per_ip = 2000\n"
	                       "connection_timeout = 3s\nrequest_timeout = 600s\n", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->max_conns, 2000);
	assert_int_equal(cfg->max_conns_per_ip, 2000);
	assert_int_equal(cfg->conn_timeout_s, 3);
	assert_int_equal(cfg->request_timeout_s, 600);
	tsa_config_free(cfg);
	expect_error(BASE "max_connections = 15\n", "t.conf:7: max_connections: expected a number 16-65536");
	expect_error(BASE "max_connections = 65537\n", "expected a number 16-65536");
	expect_error(BASE "max_connections_per_ip = 0\n", "max_connections_per_ip: expected a number 1-65536");
	expect_error(BASE "max_connections = 100\nmax_connections_per_ip = 101\n",
	             "t.conf:8: max_connections_per_ip: 101 is more than max_connections (100)");
	expect_error(BASE "max_connections_per_ip = 5000\n", "is more than max_connections (4096)");
	expect_error(BASE "connection_timeout = 5\n", "connection_timeout: expected seconds like 10s (1s-600s)");
	expect_error(BASE "connection_timeout = 0s\n", "expected seconds");
	expect_error(BASE "request_timeout = 601s\n", "request_timeout: expected seconds");
	expect_error(BASE "request_timeout = 10ms\n", "expected seconds");
	expect_error(BASE "request_timeout = s\n", "expected seconds");
}

/* ca = the CA certificate(s) that must verify cert: an absolute path, once. */
static void
test_ca(void **state)
{
	struct tsa_config *cfg = NULL;
	char err[TSA_MAX_ERR];

	(void)state;
	assert_int_equal(parse(BASE "ca = /etc/signet/tsa-ca.pem\nchain = /ch.pem\n", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg->ca, "/etc/signet/tsa-ca.pem");
	assert_string_equal(cfg->chain, "/ch.pem");
	tsa_config_free(cfg);
	expect_error(BASE "ca = tsa-ca.pem\n", "t.conf:7: ca: must be an absolute path");
	expect_error(BASE "ca = /a.pem\nca = /b.pem\n", "t.conf:8: ca: given twice (first on line 7)");
	expect_error(BASE "ca =\n", "t.conf:7: ca: no value");
	expect_error("[tsa]\nca = /a.pem\n[other]\nca = /b.pem\n", "keys belong in the [tsa] section");
}

static void
test_values(void **state)
{
	struct tsa_config *cfg = NULL;
	char err[TSA_MAX_ERR];

	(void)state;
	assert_int_equal(parse(BASE "listen = [::1]:8080 ; comment\nthreads = 16\nmax_body = 4096\n"
	                       "accuracy = 500ms\ndigests = SHA512\nclock_check = none\n"
	                       "max_clock_error_ms = 20\n", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->addr.ss_family, AF_INET6);
	assert_int_equal(cfg->threads, 16);
	assert_int_equal(cfg->max_body, 4096);
	assert_int_equal(cfg->accuracy_us, 500000);
	assert_int_equal(cfg->digests, TSA_DIGEST_SHA512);
	assert_int_equal(cfg->clock_check, TSA_CLOCK_NONE);
	assert_int_equal(cfg->max_clock_error_ms, 20);
	tsa_config_free(cfg);
	assert_int_equal(parse(BASE "listen = 0.0.0.0:3161\nallow_remote = yes\n", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->audit_sync_ms, 0);   /* default: each */
	tsa_config_free(cfg);
	assert_int_equal(parse(BASE "audit_sync = 10ms\n", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->audit_sync_ms, 10);
	tsa_config_free(cfg);
	assert_int_equal(parse(BASE "audit_sync = each\n", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg->audit_sync_ms, 0);
	tsa_config_free(cfg);
}

#define P11 "[tsa]\npolicies = 1.2.3\ncert = /c.pem\nserial_file = /s\naudit = /a.jsonl\n" \
            "key = pkcs11:token=tsa;object=tsa%20key\n"

static void
test_pkcs11(void **state)
{
	struct tsa_config *cfg = NULL;
	char err[TSA_MAX_ERR];

	(void)state;
	assert_int_equal(parse(P11 "pkcs11_module = /m.so\npin_file = /p\nsofthsm2_conf = /h.conf\n", &cfg, err,
	                       sizeof(err)), 0);
	assert_null(cfg->key_file);
	assert_string_equal(cfg->key_uri, "pkcs11:token=tsa;object=tsa%20key");
	assert_string_equal(cfg->pkcs11_module, "/m.so");
	assert_string_equal(cfg->pin_file, "/p");
	assert_string_equal(cfg->softhsm2_conf, "/h.conf");
	assert_null(cfg->so_pin_file);
	tsa_config_free(cfg);
	assert_int_equal(parse(P11 "pkcs11_module = /m.so\npin_file = /p\nso_pin_file = /so\n", &cfg, err,
	                       sizeof(err)), 0);
	assert_string_equal(cfg->so_pin_file, "/so");
	tsa_config_free(cfg);
	expect_error(BASE "so_pin_file = /so\n", "go with key = pkcs11");
	expect_error(P11 "pkcs11_module = /m.so\n", "needs pkcs11_module and pin_file");
	expect_error(P11 "pin_file = /p\n", "needs pkcs11_module and pin_file");
	expect_error(P11 "pkcs11_module = m.so\npin_file = /p\n", "pkcs11_module: must be an absolute path");
	expect_error(BASE "pin_file = /p\n", "go with key = pkcs11");
	expect_error(BASE "softhsm2_conf = /h.conf\n", "go with key = pkcs11");
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error(BASE "digests = sha256 sha1\n", "t.conf:7: digests: sha1 is refused");
	expect_error(BASE "digests = md5\n", "md5 is refused");
	expect_error(BASE "colour = red\n", "t.conf:7: colour: unknown key");
	expect_error(BASE "threads = 2\nthreads = 3\n", "given twice (first on line 7)");
	expect_error(BASE "threads = 0\n", "threads: expected a number");
	expect_error(BASE "max_body = 2000000\n", "max_body");
	expect_error(BASE "accuracy = 5\n", "accuracy: expected a duration");
	expect_error(BASE "listen = 10.0.0.1:3161\n", "allow_remote = yes");
	expect_error(BASE "listen = localhost:3161\n", "not an IPv4 address");
	expect_error(BASE "listen = 127.0.0.1:0\n", "port 1-65535");
	expect_error(BASE "cert2 = /x\n", "unknown key");
	expect_error(BASE "log = relative\n", "absolute path");
	expect_error(BASE "clock_check = ntp\n", "adjtimex or none");
	expect_error(BASE "audit_sync = 0ms\n", "t.conf:7: audit_sync: expected each, or 1ms-1000ms");
	expect_error(BASE "audit_sync = 1001ms\n", "expected each, or 1ms-1000ms");
	expect_error(BASE "audit_sync = 10\n", "expected each, or 1ms-1000ms");
	expect_error(BASE "audit_sync = ms\n", "expected each, or 1ms-1000ms");
	expect_error(BASE "audit_sync = 1s\n", "expected each, or 1ms-1000ms");
	expect_error(BASE "tls_cert = /t.pem\n", "tls_cert and tls_key go together");
	expect_error("[tsa]\nkey = pkcs11:token=t\n", "token= and object=");
	expect_error("[tsa]\nkey = pkcs11:token=t;object=o?pin-value=1\n", "key:");
	expect_error("[tsa]\nkey = /k.pem\n", "file:/abs/path.pem");
	expect_error("[tsa]\npolicies = tsa-policy\n", "not a dotted OID");
	expect_error("[tsa]\npolicies = 1.2.3 1.2.3\n", "listed twice");
	expect_error("[tsa]\npolicies = 1.2.3\n", "key: missing");
	expect_error("[other]\nx = y\n", "[tsa] section");
	expect_error("[tsa]\nthis is not a key\n", "t.conf:2");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_connections),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_pkcs11),
		cmocka_unit_test(test_ca),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
