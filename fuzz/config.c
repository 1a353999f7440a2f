/* fuzz/config.c — libFuzzer target: signet.conf parsing from memory. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct signet_config *cfg = NULL;
	char err[512];

	if (config_parse_buffer("fuzz.conf", (const char *)data, size, &cfg, err, sizeof(err)) == 0) {
		/* A loaded config must be internally consistent. */
		size_t i;

		for (i = 0; i < cfg->nprojects; i++)
			if (config_find_project(cfg, cfg->projects[i].name) != &cfg->projects[i] ||
			    !config_project_name_ok(cfg->projects[i].name))
				__builtin_trap();
	} else if (memchr(err, '\0', sizeof(err)) == NULL) {
		__builtin_trap();
	}
	config_free(cfg);
	return 0;
}
