/* fuzz/scdconf.c — libFuzzer target: signet-scd.conf parsing from memory
 * (scdaemon-shim/scdconf.c; the Makefile needs
 * FUZZ_EXTRA_scdconf := scdaemon-shim/scdconf.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scdconf.h"
#include "serial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scd_conf *conf = NULL;
	char err[SCDCONF_ERR_MAX];

	if (scdconf_parse_buffer("fuzz.conf", (const char *)data, size, &conf, err,
	                         sizeof(err)) == 0) {
		/* What loaded must satisfy the contract of scdconf.h. */
		if (conf == NULL || conf->policyd_socket == NULL ||
		    conf->policyd_socket[0] != '/' || !serial_is_valid(conf->serial) ||
		    (conf->log_file != NULL && conf->log_file[0] != '/') ||
		    (conf->debug != 0 && conf->debug != 1) ||
		    (conf->desktop_notice != 0 && conf->desktop_notice != 1))
			__builtin_trap();
	} else if (conf != NULL || memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0') {
		/* A refusal always says why. */
		__builtin_trap();
	}
	scdconf_free(conf);
	return 0;
}
