/* fuzz/audit_line.c — libFuzzer target: an audit line read back. */
#include <stddef.h>
#include <stdint.h>

#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t seq = 0;

	if (audit_parse_seq((const char *)data, size, &seq) == 0 && seq == 0)
		__builtin_trap();   /* a record always has seq > 0 */
	return 0;
}
