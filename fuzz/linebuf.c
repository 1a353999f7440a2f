/* fuzz/linebuf.c — libFuzzer target for the bounded line reader: the input
 * is fed in reads of sizes taken from its own bytes, as a client's bytes
 * arrive; every line handed out must be whole and within the limit, and the
 * buffer never holds more than LINEBUF_MAX bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linebuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linebuf lb;
	size_t off = 0, room, want, n;
	enum linebuf_event ev;
	char *p;

	linebuf_init(&lb);
	while (off < size) {
		want = 1 + (size_t)(data[off] % 97) * 23;   /* read sizes 1..2209 */
		p = linebuf_space(&lb, &room);
		if (want > room)
			want = room;
		if (want > size - off)
			want = size - off;
		memcpy(p, data + off, want);
		off += want;
		linebuf_added(&lb, want);
		if (lb.len > LINEBUF_MAX)
			abort();
		while ((ev = linebuf_next(&lb, &n)) == LINEBUF_LINE) {
			if (n == 0 || n > LINEBUF_MAX || lb.buf[n - 1] != '\n' ||
			    memchr(lb.buf, '\n', n - 1) != NULL)
				abort();
			linebuf_consume(&lb, n);
		}
		if (ev == LINEBUF_OVERFLOW)
			return 0;
		if (want == 0 && ev == LINEBUF_MORE && !lb.skipping)
			abort();   /* a full buffer with no line must be TOO_LONG */
	}
	return 0;
}
