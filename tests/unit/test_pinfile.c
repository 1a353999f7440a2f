/* test_pinfile.c — pinfile_read(): what a good PIN file gives, the line
 * ends it drops, every kind of file it refuses with its "PIN file PATH:"
 * text, and that a refusal leaves no PIN bytes behind. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "pinfile.h"
#include "tmpdir.h"

static void
write_pin(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* Read P's file written with DATA/LEN (mode 600); expect the PIN WANT. */
static void
expect_pin(const struct tmpdir *p, const char *data, size_t len, const char *want)
{
	char pin[PINFILE_BUF], err[512] = "";

	write_pin(p->file, data, len, 0600);
	assert_int_equal(pinfile_read(p->file, pin, sizeof(pin), err, sizeof(err)), 0);
	assert_string_equal(pin, want);
	assert_string_equal(err, "");
}

/* Expect the refusal CODE with ERR starting "PIN file PATH: " and holding
 * TEXT, and PIN wiped to its last byte. */
static void
expect_refused(const char *path, gpg_err_code_t code, const char *text)
{
	char pin[PINFILE_BUF], err[512] = "", prefix[128];
	size_t i;

	memset(pin, 'x', sizeof(pin));
	assert_int_equal(gpg_err_code(pinfile_read(path, pin, sizeof(pin), err, sizeof(err))), code);
	snprintf(prefix, sizeof(prefix), "PIN file %s: ", path);
	assert_memory_equal(err, prefix, strlen(prefix));
	if (strstr(err, text) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err, text);
	for (i = 0; i < sizeof(pin); i++)
		assert_int_equal(pin[i], 0);
}

static void
test_good(void **state)
{
	struct tmpdir *p = *state;
	char big[PINFILE_MAX_PIN + 2], want[PINFILE_MAX_PIN + 1];

	expect_pin(p, "123456", 6, "123456");
	expect_pin(p, "123456\n", 7, "123456");
	expect_pin(p, "123456\r\n", 8, "123456");
	expect_pin(p, "a b#c", 5, "a b#c");               /* taken as it is */
	memset(big, '7', PINFILE_MAX_PIN);
	big[PINFILE_MAX_PIN] = '\n';
	memset(want, '7', PINFILE_MAX_PIN);
	want[PINFILE_MAX_PIN] = '\0';
	expect_pin(p, big, PINFILE_MAX_PIN + 1, want);
}

static void
test_mode_owner_kind(void **state)
{
	struct tmpdir *p = *state;

	write_pin(p->file, "123456\n", 7, 0644);
	expect_refused(p->file, GPG_ERR_EPERM, "mode 644 lets group or others read it (chmod 600 it)");
	write_pin(p->file, "123456\n", 7, 0620);
	expect_refused(p->file, GPG_ERR_EPERM, "mode 620 lets group or others read it (chmod 600 it)");
	write_pin(p->file, "123456\n", 7, 0400);   /* read-only for the owner is fine */
	{
		char pin[PINFILE_BUF], err[256];

		assert_int_equal(pinfile_read(p->file, pin, sizeof(pin), err, sizeof(err)), 0);
		assert_string_equal(pin, "123456");
	}
	if (geteuid() == 0) {
		write_pin(p->file, "123456\n", 7, 0600);
		assert_int_equal(chown(p->file, 65534, 65534), 0);
		expect_refused(p->file, GPG_ERR_EPERM, "owned by uid 65534, not by this daemon's user (uid 0; chown it)");
	}
	expect_refused(p->sub, GPG_ERR_ENOENT, "No such file or directory");
	assert_int_equal(mkdir(p->sub, 0700), 0);
	expect_refused(p->sub, GPG_ERR_EPERM, "not a regular file");
}

static void
test_symlink(void **state)
{
	struct tmpdir *p = *state;

	write_pin(p->file, "123456\n", 7, 0600);
	assert_int_equal(symlink(p->file, p->link), 0);
	expect_refused(p->link, GPG_ERR_ELOOP, "is a symbolic link (refused; name the file itself)");
}

static void
test_bad_content(void **state)
{
	struct tmpdir *p = *state;
	char big[PINFILE_MAX_PIN + 3];

	write_pin(p->file, "", 0, 0600);
	expect_refused(p->file, GPG_ERR_INV_VALUE, "empty (write the PIN into it, on one line)");
	write_pin(p->file, "\n", 1, 0600);
	expect_refused(p->file, GPG_ERR_INV_VALUE, "empty");
	write_pin(p->file, "\r\n", 2, 0600);
	expect_refused(p->file, GPG_ERR_INV_VALUE, "empty");
	write_pin(p->file, "123456\n\n", 8, 0600);     /* only one line end is dropped */
	expect_refused(p->file, GPG_ERR_INV_VALUE, "must hold the PIN on one line");
	write_pin(p->file, "1234\n5678\n", 10, 0600);
	expect_refused(p->file, GPG_ERR_INV_VALUE, "must hold the PIN on one line");
	write_pin(p->file, "12\0" "34", 5, 0600);
	expect_refused(p->file, GPG_ERR_INV_VALUE, "must hold the PIN on one line");
	/* One byte over: with a line end, and without (then the file size
	 * alone is past what any PIN and line end can be). */
	memset(big, '7', sizeof(big));
	big[PINFILE_MAX_PIN + 1] = '\n';
	write_pin(p->file, big, PINFILE_MAX_PIN + 2, 0600);
	expect_refused(p->file, GPG_ERR_INV_VALUE, "longer than a PIN may be (at most 255 bytes");
	memset(big, '7', sizeof(big));
	write_pin(p->file, big, sizeof(big), 0600);
	expect_refused(p->file, GPG_ERR_INV_VALUE, "longer than a PIN may be");
}

/* A caller's smaller buffer lowers the limit and is never overrun. */
static void
test_small_buffer(void **state)
{
	struct tmpdir *p = *state;
	char pin[8] = "", err[256];

	write_pin(p->file, "123456\n", 7, 0600);
	assert_int_equal(pinfile_read(p->file, pin, sizeof(pin), err, sizeof(err)), 0);
	assert_string_equal(pin, "123456");
	write_pin(p->file, "12345678", 8, 0600);
	assert_int_equal(gpg_err_code(pinfile_read(p->file, pin, sizeof(pin), err, sizeof(err))), GPG_ERR_INV_VALUE);
	assert_non_null(strstr(err, "longer than a PIN may be"));
	assert_int_equal(gpg_err_code(pinfile_read(p->file, pin, 1, err, sizeof(err))), GPG_ERR_INV_ARG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_mode_owner_kind, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_symlink, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_bad_content, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_small_buffer, tmpdir_setup, tmpdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
