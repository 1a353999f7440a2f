/* fuzz/tsaconf.c — libFuzzer target: signet-tsa.conf parsing from memory
 * (tsa/tsaconf.c; the Makefile needs FUZZ_EXTRA_tsaconf := tsa/tsaconf.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What tsa.h promises of a configuration that loaded. */
static int
config_ok(const struct tsa_config *cfg)
{
	size_t i;

	if (cfg->listen == NULL || cfg->threads < 1 || cfg->threads > TSA_MAX_THREADS ||
	    cfg->max_body < 64 || cfg->max_body > TSA_MAX_REQ_BODY_HARD ||
	    cfg->npolicies < 1 || cfg->npolicies > TSA_MAX_POLICIES || cfg->digests == 0 ||
	    (cfg->key_file == NULL) == (cfg->key_uri == NULL) || cfg->cert == NULL ||
	    cfg->serial_file == NULL || cfg->audit == NULL ||
	    (cfg->tls_cert == NULL) != (cfg->tls_key == NULL) ||
	    cfg->audit_sync_ms > AUDIT_MAX_SYNC_MS ||
	    cfg->max_conns < 1 || cfg->max_conns_per_ip < 1 || cfg->max_conns_per_ip > cfg->max_conns ||
	    cfg->conn_timeout_s < 1 || cfg->request_timeout_s < 1)
		return 0;
	if (cfg->key_uri != NULL && (cfg->pkcs11_module == NULL || cfg->pin_file == NULL))
		return 0;
	for (i = 0; i < cfg->npolicies; i++)
		if (cfg->policies[i] == NULL || cfg->policies[i][0] == '\0')
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsa_config *cfg = NULL;
	char err[TSA_MAX_ERR];

	if (size > TSA_MAX_CONF)
		return 0;
	err[0] = '\0';
	if (tsa_config_parse("fuzz.conf", (const char *)data, size, &cfg, err, sizeof(err)) == 0) {
		if (cfg == NULL || !config_ok(cfg))
			__builtin_trap();
	} else if (cfg != NULL || memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0') {
		/* A refusal always says why. */
		__builtin_trap();
	}
	tsa_config_free(cfg);
	return 0;
}
