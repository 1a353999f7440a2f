/* fuzz/reqview.c — libFuzzer target: how `signet` shows what policyd
 * sends as JSON (agent/reqview.c; the Makefile needs FUZZ_EXTRA_reqview :=
 * agent/reqview.c).  Any JSON, of any shape, is shown without crashing,
 * and what reaches the terminal, --json included, holds no control
 * character but the line end: a reason or comment is another user's
 * text, and must not be able to drive the reader's terminal (escape
 * sequences, carriage returns). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../agent/reqview.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
show(json_t *j)
{
	json_t *one = NULL;
	size_t i;

	reqview_json(j);
	if (json_is_object(j)) {
		reqview_detail(j);
		reqview_state(j, stdout);
		reqview_open(j);
		one = json_pack("[O]", j);
		j = one;
	}
	if (!json_is_array(j))
		goto out;
	reqview_table(j);
	reqview_grants(j);
	reqview_refusals(j);
	for (i = 0; i < json_array_size(j); i++) {
		reqview_detail(json_array_get(j, i));
		reqview_state(json_array_get(j, i), stdout);
		reqview_open(json_array_get(j, i));
	}
out:
	json_decref(one);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *saved = stdout, *mem;
	char *out = NULL;
	size_t len = 0, i;
	json_t *j;

	if (size > 64 * 1024)   /* PDCLIENT_MAX_DATA: policyd's answers are no longer */
		return 0;
	if ((j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL)) == NULL)
		return 0;
	if ((mem = open_memstream(&out, &len)) == NULL)
		abort();
	setenv("TZ", "UTC", 1);
	stdout = mem;
	show(j);
	fclose(mem);
	stdout = saved;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f ||
		    (c == 0xc2 && i + 1 < len && (unsigned char)out[i + 1] >= 0x80 && (unsigned char)out[i + 1] <= 0x9f))
			__builtin_trap();
	}
	free(out);
	json_decref(j);
	return 0;
}
