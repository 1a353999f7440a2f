/* fuzz/cmdline.c — libFuzzer target for cmdline_parse(): one Assuan line. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cmdline.h"

/* An Assuan line is at most 1000 bytes. */
#define FUZZ_MAX_LINE 1000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[FUZZ_MAX_LINE + 1];
	char *args[4];
	size_t nargs, i;
	struct cmd_opt opts[] = {
		{ "hash", 1, 0, NULL },
		{ "data", 0, 0, NULL },
		{ "list", 2, 0, NULL },
		{ "", 0, 0, NULL },
	};

	if (size > FUZZ_MAX_LINE)
		size = FUZZ_MAX_LINE;
	memcpy(line, data, size);
	line[size] = '\0';
	if (cmdline_parse(line, opts, sizeof(opts) / sizeof(opts[0]), args, 4, &nargs) == 0) {
		/* Every result must be a string inside the line. */
		for (i = 0; i < nargs; i++) {
			if (args[i] < line || args[i] > line + size || strlen(args[i]) == 0)
				__builtin_trap();
		}
		for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
			if (opts[i].value != NULL && (opts[i].value < line || opts[i].value > line + size ||
			                              !opts[i].present || opts[i].value[0] == '\0'))
				__builtin_trap();
		}
	}
	return 0;
}
