/* test_cmdline.c — the Assuan command-line splitter. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "cmdline.h"

enum { O_HASH, O_DATA, O_LIST, NOPTS };

static void
init_opts(struct cmd_opt *o)
{
	memset(o, 0, NOPTS * sizeof(*o));
	o[O_HASH].name = "hash";
	o[O_HASH].takes_value = 1;
	o[O_DATA].name = "data";
	o[O_DATA].takes_value = 0;
	o[O_LIST].name = "list";
	o[O_LIST].takes_value = 2;
}

static gpg_err_code_t
parse(const char *text, struct cmd_opt *o, char **args, size_t maxargs, size_t *n)
{
	static char line[1024];

	snprintf(line, sizeof(line), "%s", text);
	init_opts(o);
	return gpg_err_code(cmdline_parse(line, o, NOPTS, args, maxargs, n));
}

static void
test_options(void **state)
{
	struct cmd_opt o[NOPTS];
	char *args[4];
	size_t n;

	(void)state;
	assert_int_equal(parse("--hash=sha256 SIGNET.acme", o, args, 4, &n), 0);
	assert_true(o[O_HASH].present);
	assert_string_equal(o[O_HASH].value, "sha256");
	assert_false(o[O_DATA].present);
	assert_null(o[O_DATA].value);
	assert_int_equal(n, 1);
	assert_string_equal(args[0], "SIGNET.acme");

	assert_int_equal(parse("  --data   --list   ", o, args, 4, &n), 0);
	assert_true(o[O_DATA].present);
	assert_true(o[O_LIST].present);
	assert_null(o[O_LIST].value);
	assert_int_equal(n, 0);

	assert_int_equal(parse("--list=sign", o, args, 4, &n), 0);
	assert_string_equal(o[O_LIST].value, "sign");

	/* The value runs to the next space; '=' inside it is kept. */
	assert_int_equal(parse("--hash=a=b x", o, args, 4, &n), 0);
	assert_string_equal(o[O_HASH].value, "a=b");

	assert_int_equal(parse("", o, args, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(parse("\t--data\tx", o, args, 4, &n), 0);
	assert_true(o[O_DATA].present);
	assert_int_equal(n, 1);
}

static void
test_double_dash(void **state)
{
	struct cmd_opt o[NOPTS];
	char *args[4];
	size_t n;

	(void)state;
	assert_int_equal(parse("--data -- --hash=x OPENPGP.1", o, args, 4, &n), 0);
	assert_true(o[O_DATA].present);
	assert_false(o[O_HASH].present);
	assert_int_equal(n, 2);
	assert_string_equal(args[0], "--hash=x");
	assert_string_equal(args[1], "OPENPGP.1");

	/* Options end at the first positional word too. */
	assert_int_equal(parse("KEY --data", o, args, 4, &n), 0);
	assert_false(o[O_DATA].present);
	assert_int_equal(n, 2);
	assert_string_equal(args[1], "--data");

	/* A second "--" after the options is a positional word. */
	assert_int_equal(parse("-- --", o, args, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(args[0], "--");

	/* A single dash is not an option. */
	assert_int_equal(parse("-x", o, args, 4, &n), 0);
	assert_int_equal(n, 1);
}

static void
test_unknown_option(void **state)
{
	struct cmd_opt o[NOPTS];
	char *args[4];
	size_t n = 99;

	(void)state;
	assert_int_equal(parse("--hashx=sha256 K", o, args, 4, &n), GPG_ERR_UNKNOWN_OPTION);
	assert_int_equal(n, 0);
	assert_int_equal(parse("--has=sha256 K", o, args, 4, &n), GPG_ERR_UNKNOWN_OPTION);
	assert_int_equal(parse("--HASH=sha256 K", o, args, 4, &n), GPG_ERR_UNKNOWN_OPTION);
	assert_int_equal(parse("--=x", o, args, 4, &n), GPG_ERR_UNKNOWN_OPTION);
	assert_int_equal(parse("---data", o, args, 4, &n), GPG_ERR_UNKNOWN_OPTION);
	/* Nothing is reported present after a failed parse. */
	assert_int_equal(parse("--data --bogus", o, args, 4, &n), GPG_ERR_UNKNOWN_OPTION);
	assert_false(o[O_DATA].present);
	assert_int_equal(parse("--data", o, args, 4, &n), 0);
	assert_int_equal(gpg_err_code(cmdline_parse((char[]){ "--data" }, NULL, 0, args, 4, &n)),
	                 GPG_ERR_UNKNOWN_OPTION);
}

static void
test_value_rules(void **state)
{
	struct cmd_opt o[NOPTS];
	char *args[4];
	size_t n;

	(void)state;
	assert_int_equal(parse("--hash K", o, args, 4, &n), GPG_ERR_ASS_PARAMETER);   /* needs value */
	assert_int_equal(parse("--hash= K", o, args, 4, &n), GPG_ERR_ASS_PARAMETER);  /* empty */
	assert_int_equal(parse("--data=1 K", o, args, 4, &n), GPG_ERR_ASS_PARAMETER); /* flag */
	assert_int_equal(parse("--data= K", o, args, 4, &n), GPG_ERR_ASS_PARAMETER);
	assert_int_equal(parse("--list= K", o, args, 4, &n), GPG_ERR_ASS_PARAMETER);
	assert_int_equal(parse("--hash=a --hash=b K", o, args, 4, &n), GPG_ERR_ASS_PARAMETER);
	assert_int_equal(parse("--data --data", o, args, 4, &n), GPG_ERR_ASS_PARAMETER);
	assert_false(o[O_HASH].present);
}

static void
test_too_many(void **state)
{
	struct cmd_opt o[NOPTS];
	char *args[2], *many[CMDLINE_MAX_WORDS];
	char line[256];
	size_t n, i;

	(void)state;
	assert_int_equal(parse("a b", o, args, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(parse("a b c", o, args, 2, &n), GPG_ERR_ASS_PARAMETER);
	assert_int_equal(n, 0);
	assert_int_equal(parse("a", o, NULL, 0, &n), GPG_ERR_ASS_PARAMETER);
	assert_int_equal(parse("--data", o, NULL, 0, &n), 0);

	/* More than CMDLINE_MAX_WORDS words in all, "--" included. */
	line[0] = '\0';
	for (i = 0; i < CMDLINE_MAX_WORDS; i++)
		strcat(line, i == 0 ? "-- " : "w ");
	assert_int_equal(parse(line, o, many, CMDLINE_MAX_WORDS, &n), 0);
	assert_int_equal(n, CMDLINE_MAX_WORDS - 1);
	strcat(line, "w");
	assert_int_equal(parse(line, o, many, CMDLINE_MAX_WORDS, &n), GPG_ERR_ASS_PARAMETER);
}

static void
test_in_place(void **state)
{
	struct cmd_opt o[NOPTS];
	char line[] = "--hash=sha1 KEY";
	char *args[1];
	size_t n;

	(void)state;
	init_opts(o);
	assert_int_equal(cmdline_parse(line, o, NOPTS, args, 1, &n), 0);
	assert_ptr_equal(o[O_HASH].value, line + 7);
	assert_ptr_equal(args[0], line + 12);
	assert_int_equal(line[11], '\0');
	assert_int_equal(gpg_err_code(cmdline_parse(NULL, o, NOPTS, args, 1, &n)), GPG_ERR_INV_VALUE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_double_dash),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_value_rules),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_in_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
