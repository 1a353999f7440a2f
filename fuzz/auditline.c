/* fuzz/auditline.c — libFuzzer target: the one-pass canonical-record test
 * (auditline_scan) against the exact one (re-encoding with jansson).  They
 * must agree on every input but those over the scanner's member limit,
 * and every string the scanner decodes must equal jansson's. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "auditline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every string member of L decodes to jansson's value of it. */
static void
same_strings(const char *line, size_t len, const struct auditline *l)
{
	static char buf[AUDIT_MAX_LINE * 4];
	json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	size_t i, used;

	if (obj == NULL)
		__builtin_trap();
	for (i = 0; i < l->n; i++) {
		char key[AUDIT_MAX_LINE];
		json_t *v;

		memcpy(key, l->m[i].key, l->m[i].klen);
		key[l->m[i].klen] = '\0';
		v = json_object_get(obj, key);
		if (v == NULL)
			__builtin_trap();
		if (!l->m[i].is_string) {
			if (!json_is_integer(v) || json_integer_value(v) != l->m[i].num)
				__builtin_trap();
			continue;
		}
		if (auditline_unescape(&l->m[i], buf, sizeof(buf), &used) != 0 || !json_is_string(v) ||
		    json_string_length(v) != used || memcmp(json_string_value(v), buf, used) != 0)
			__builtin_trap();
	}
	json_decref(obj);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auditline l;
	const char *line = (const char *)data, *why = NULL;
	gpg_error_t fast, exact;
	size_t at;

	if (size > AUDIT_MAX_LINE - 1)
		return 0;
	fast = gpg_err_code(auditline_scan(line, size, &l, &why, &at));
	exact = auditline_canonical_jansson(line, size, &why);
	if (fast == AUDITLINE_SLOW || (fast != 0 && l.n >= AUDITLINE_MAX_MEMBERS))
		return 0;
	if ((fast == 0) != (exact == 0))
		__builtin_trap();
	if (fast == 0)
		same_strings(line, size, &l);
	return 0;
}
