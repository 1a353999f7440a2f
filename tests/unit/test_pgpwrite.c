/* test_pgpwrite.c — the bounded OpenPGP packet writer: length forms at
 * their boundaries (RFC 4880 §4.2.2, §5.2.3.1), MPIs (§3.2), and the sticky
 * overflow that makes one check at the end enough. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pgpwrite.h"

static uint8_t big[70000];

static void
test_packet_lengths(void **state)
{
	static const struct {
		size_t len;
		uint8_t hdr[6];
		size_t hdr_len;
	} cases[] = {
		{ 0, { 0xC2, 0 }, 2 },
		{ 191, { 0xC2, 191 }, 2 },
		{ 192, { 0xC2, 192, 0 }, 3 },
		{ 1000, { 0xC2, 195, 40 }, 3 },             /* 192 + (3 << 8) + 40 */
		{ 8383, { 0xC2, 223, 255 }, 3 },
		{ 8384, { 0xC2, 255, 0, 0, 0x20, 0xC0 }, 6 },
		{ 65536, { 0xC2, 255, 0, 1, 0, 0 }, 6 },
	};
	uint8_t *out = malloc(sizeof(big) + 8);
	struct pgpwrite w;

	(void)state;
	assert_non_null(out);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pgpwrite_init(&w, out, sizeof(big) + 8);
		pgpwrite_packet(&w, 2, big, cases[i].len);
		assert_int_equal(pgpwrite_done(&w), 0);
		assert_int_equal(w.len, cases[i].hdr_len + cases[i].len);
		assert_memory_equal(out, cases[i].hdr, cases[i].hdr_len);
	}
	free(out);
}

static void
test_subpacket_lengths(void **state)
{
	uint8_t out[9000];
	struct pgpwrite w;

	(void)state;
	/* the length counts the type octet */
	pgpwrite_init(&w, out, sizeof(out));
	pgpwrite_subpacket(&w, 27, (const uint8_t *)"\x01", 1);
	assert_int_equal(pgpwrite_done(&w), 0);
	assert_int_equal(w.len, 3);
	assert_memory_equal(out, "\x02\x1B\x01", 3);

	pgpwrite_init(&w, out, sizeof(out));
	pgpwrite_subpacket(&w, 32, big, 190);          /* 191 with the type: one octet */
	assert_int_equal(w.len, 1 + 1 + 190);
	assert_int_equal(out[0], 191);
	pgpwrite_init(&w, out, sizeof(out));
	pgpwrite_subpacket(&w, 32, big, 191);          /* 192: two octets */
	assert_int_equal(w.len, 2 + 1 + 191);
	assert_memory_equal(out, "\xC0\x00\x20", 3);
	pgpwrite_init(&w, out, sizeof(out));
	pgpwrite_subpacket(&w, 32, big, 8382);         /* 8383: the two-octet maximum */
	assert_int_equal(pgpwrite_done(&w), 0);
	assert_memory_equal(out, "\xDF\xFF\x20", 3);
	/* the five-octet form is never needed: refused */
	pgpwrite_init(&w, out, sizeof(out));
	pgpwrite_subpacket(&w, 32, big, 8383);
	assert_int_equal(gpg_err_code(pgpwrite_done(&w)), GPG_ERR_BUFFER_TOO_SHORT);
}

static void
test_mpi(void **state)
{
	uint8_t out[16];
	struct pgpwrite w;

	(void)state;
	pgpwrite_init(&w, out, sizeof(out));
	pgpwrite_mpi(&w, (const uint8_t *)"\x00\x00\x01\x00\x01", 5);   /* 65537 */
	assert_int_equal(w.len, 5);
	assert_memory_equal(out, "\x00\x11\x01\x00\x01", 5);
	pgpwrite_init(&w, out, sizeof(out));
	pgpwrite_mpi(&w, (const uint8_t *)"\x80", 1);
	assert_memory_equal(out, "\x00\x08\x80", 3);
	pgpwrite_init(&w, out, sizeof(out));
	pgpwrite_mpi(&w, (const uint8_t *)"\x00\x00", 2);               /* zero */
	assert_int_equal(w.len, 2);
	assert_memory_equal(out, "\x00\x00", 2);
}

static void
test_overflow_sticks(void **state)
{
	uint8_t out[4];
	struct pgpwrite w;

	(void)state;
	pgpwrite_init(&w, out, sizeof(out));
	pgpwrite_u32(&w, 0x01020304);
	assert_int_equal(pgpwrite_done(&w), 0);
	assert_memory_equal(out, "\x01\x02\x03\x04", 4);
	pgpwrite_u8(&w, 5);                             /* no room */
	assert_int_equal(gpg_err_code(pgpwrite_done(&w)), GPG_ERR_BUFFER_TOO_SHORT);
	assert_int_equal(w.len, 4);
	/* later puts that would fit change nothing */
	pgpwrite_bytes(&w, "", 0);
	assert_int_equal(gpg_err_code(pgpwrite_done(&w)), GPG_ERR_BUFFER_TOO_SHORT);

	pgpwrite_init(&w, out, sizeof(out));
	pgpwrite_u16(&w, 0xABCD);
	pgpwrite_u16(&w, 0xEF01);
	pgpwrite_u16(&w, 0x2345);
	assert_int_equal(gpg_err_code(pgpwrite_done(&w)), GPG_ERR_BUFFER_TOO_SHORT);
	assert_memory_equal(out, "\xAB\xCD\xEF\x01", 4);

	/* no buffer at all */
	pgpwrite_init(&w, NULL, 100);
	pgpwrite_u8(&w, 1);
	assert_int_equal(gpg_err_code(pgpwrite_done(&w)), GPG_ERR_BUFFER_TOO_SHORT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packet_lengths),
		cmocka_unit_test(test_subpacket_lengths),
		cmocka_unit_test(test_mpi),
		cmocka_unit_test(test_overflow_sticks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
