/* fuzz/auditcheck.c — libFuzzer target: the record checks of `signet
 * audit verify` (agent/auditcheck*.c) on a trail of the input's lines,
 * read as segment 1 and again as a --from-segment 2 start: times,
 * checkpoints (notes, sizes, tokens), segment frontiers, quarantine
 * records.  Nothing may crash, and a trail that passes must have checked
 * every line. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <gcrypt.h>

#include "../agent/auditcheck.h"
#include "signednote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The key of the seed corpus (fuzz/corpus/auditcheck, made by
 * tests/tools/gen-trail with --key-seed 00…01). */
static const char vkey[] = "signet.0badc0de/policyd+6d73c37b+AUy1q/atefv1q7zK/MJp2FzSZR7UuIW1hp8kGu3wpbop";

static void
run(const char *p, size_t size, struct note_vkey *key, unsigned seg, unsigned from)
{
	struct auditcheck_opts o = { key, NULL, from, NULL, NULL };
	struct auditcheck_summary sum;
	struct auditcheck *c = NULL;
	struct trail_line l;
	char why[256];
	uint64_t seq, lines = 0;
	size_t pos = 0;
	int bad = 0;

	if (auditcheck_new(&o, &c) != 0)
		return;
	while (pos < size && !bad) {
		const char *eol = memchr(p + pos, '\n', size - pos);
		size_t len = eol != NULL ? (size_t)(eol - (p + pos)) : size - pos;

		memset(&l, 0, sizeof(l));
		l.data = p + pos;
		l.len = len;
		l.index = lines;
		l.file = "fuzz";
		l.segment = seg;
		l.lineno = ++lines;
		bad = auditcheck_line(c, &l, &seq, why, sizeof(why)) != 0;
		pos += len + 1;
	}
	auditcheck_summary(c, &sum);
	if (!bad && sum.records != lines)
		__builtin_trap();
	auditcheck_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static struct note_vkey key;
	const char *why = NULL;

	if (!ready) {
		gcry_check_version(NULL);
		if (note_vkey_parse(vkey, strlen(vkey), &key, &why) != 0)
			__builtin_trap();
		ready = 1;
	}
	if (size > 1 << 20)
		return 0;
	run((const char *)data, size, &key, 1, 0);
	run((const char *)data, size, &key, 2, 2);
	return 0;
}
