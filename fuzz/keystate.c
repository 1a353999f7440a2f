/* fuzz/keystate.c — libFuzzer target for the key state file parser (and a
 * format/parse round trip of whatever parses) and overlap durations. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "duration.h"
#include "keystate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keystate ks, back;
	char err[256], text[KEYSTATE_MAX_FILE + 1], dur[16];
	size_t len;
	uint32_t secs;

	if (size < sizeof(dur)) {
		memcpy(dur, data, size);
		dur[size] = '\0';
		(void)duration_parse(dur, KEYSTATE_MAX_OVERLAP, &secs);
	}
	if (keystate_parse("fuzz", (const char *)data, size, &ks, err, sizeof(err)) != 0)
		return 0;
	if (keystate_format(&ks, "fuzz", text, sizeof(text), &len) != 0 ||
	    keystate_parse("again", text, len, &back, err, sizeof(err)) != 0 ||
	    memcmp(&ks, &back, sizeof(ks)) != 0)
		__builtin_trap();
	return 0;
}
