/* test_keycache.c — signet-scd's key cache file (scdaemon-shim/keycache.c):
 * save/load round trip, the atomic and link-safe write, and the strict
 * loader: every kind of bad line, a foreign serial, oversize input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <gcrypt.h>

#include "hex.h"
#include "../../scdaemon-shim/keycache.h"

#define SN    "D276000124010304FFFE1A2B3C4D0000"
#define SN2   "D276000124010304FFFE000000010000"
#define T0    1732579200u
#define NAME  "cache"

/* A valid key for PROJECT: an odd 2048-bit "modulus" derived from SEED
 * (grip and fingerprint need no real RSA key). */
static void
make_key(struct card_key *k, const char *project, unsigned int seed, uint32_t created)
{
	struct pgpkey *pk = calloc(1, sizeof(*pk));
	uint8_t n[256], e[3] = { 0x01, 0x00, 0x01 };
	char line[CARD_LINE_MAX];
	size_t i;

	assert_non_null(pk);
	for (i = 0; i < sizeof(n); i++)
		n[i] = (uint8_t)(0xC3 ^ (i * 7) ^ (seed * 13) ^ (seed >> 8));
	n[0] |= 0x80;
	n[255] |= 1;
	n[1] = (uint8_t)seed;
	n[2] = (uint8_t)(seed >> 8);
	assert_int_equal(pgpkey_from_rsa(n, sizeof(n), e, sizeof(e), created, pk), 0);
	snprintf(line, sizeof(line), "%s %s rsa2048 %lu %s", project, pk->grip,
	         (unsigned long)created, pk->fpr);
	assert_int_equal(card_key_parse(line, k), 0);
	assert_int_equal(card_key_set_sexp(k, pk->sexp, pk->sexp_len), 0);
	free(pk);
}

/* The KEY line keycache_save writes for K (without the newline). */
static char *
key_line(const struct card_key *k)
{
	char *line = malloc(KEYCACHE_MAX_LINE), hex[2 * PGPKEY_MAX_SEXP + 1];

	assert_non_null(line);
	assert_int_equal(hex_encode(k->sexp, k->sexp_len, hex, sizeof(hex)), 0);
	snprintf(line, KEYCACHE_MAX_LINE, "KEY %s %s %s %lu %s %s", k->project, k->grip,
	         k->algo, (unsigned long)k->created, k->fpr, hex);
	return line;
}

static gpg_error_t
parse(const char *text, struct card_keylist *kl, char *err, size_t errlen)
{
	return keycache_parse_buffer(NAME, text, strlen(text), SN, kl, err, errlen);
}

/* TEXT must be refused as malformed, at LINE (0: no line number). */
static void
expect_bad(const char *text, unsigned int line, const char *what)
{
	struct card_keylist kl = { NULL, 0 };
	char err[KEYCACHE_ERR_MAX], want[32];
	gpg_error_t e;

	e = parse(text, &kl, err, sizeof(err));
	if (gpg_err_code(e) != GPG_ERR_INV_VALUE || kl.nkeys != 0 || kl.keys != NULL)
		fail_msg("%s: expected INV_VALUE, got %s (%zu keys)", what, gpg_strerror(e), kl.nkeys);
	if (line > 0)
		snprintf(want, sizeof(want), NAME ":%u: ", line);
	else
		snprintf(want, sizeof(want), NAME ": ");
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("%s: message '%s' does not start with '%s'", what, err, want);
}

static char *
join(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	assert_non_null(s);
	snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

/* TMPL with @P @G @A @T @F @H replaced by K's project, grip, algo,
 * creation time, fingerprint and HEX (a printf format with positional
 * arguments left unused would trip _FORTIFY_SOURCE). */
static void
expand(char *out, size_t outlen, const char *tmpl, const struct card_key *k, const char *hex)
{
	char num[16];
	const char *v;
	size_t o = 0, vl;

	snprintf(num, sizeof(num), "%lu", (unsigned long)k->created);
	for (; *tmpl != '\0'; tmpl++) {
		v = NULL;
		if (tmpl[0] == '@' && tmpl[1] != '\0') {
			switch (tmpl[1]) {
			case 'P': v = k->project; break;
			case 'G': v = k->grip; break;
			case 'A': v = k->algo; break;
			case 'T': v = num; break;
			case 'F': v = k->fpr; break;
			case 'H': v = hex; break;
			default: break;
			}
		}
		if (v != NULL) {
			vl = strlen(v);
			assert_true(o + vl < outlen);
			memcpy(out + o, v, vl);
			o += vl;
			tmpl++;
		} else {
			assert_true(o + 1 < outlen);
			out[o++] = *tmpl;
		}
	}
	out[o] = '\0';
}

static char tmpdir[64];

static int
setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sgkcXXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static size_t
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_round_trip(void **state)
{
	struct card_keylist kl = { NULL, 0 }, back = { NULL, 0 };
	struct card_key k;
	char path[128], err[KEYCACHE_ERR_MAX];
	struct stat st;
	size_t n = 99, i;

	(void)state;
	snprintf(path, sizeof(path), "%s/" KEYCACHE_NAME, tmpdir);
	make_key(&k, "release", 1, T0);
	assert_int_equal(card_keylist_add(&kl, &k), 0);
	make_key(&k, "nightly.build-2", 2, 0);
	assert_int_equal(card_keylist_add(&kl, &k), 0);
	/* A second key of one project (a rotation overlap), its own keyref. */
	make_key(&k, "release", 4, T0 + 86400);
	assert_int_equal(card_keylist_add(&kl, &k), 0);
	assert_string_not_equal(k.keyref, kl.keys[0].keyref);
	/* Without its public key a key cannot be checked on load: left out. */
	make_key(&k, "nokey", 3, T0);
	k.sexp_len = 0;
	assert_int_equal(card_keylist_add(&kl, &k), 0);

	assert_int_equal(keycache_save(path, SN, &kl, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(tmpdir), 1);     /* no temporary left */

	assert_int_equal(keycache_load(path, SN, &back, err, sizeof(err)), 0);
	assert_int_equal(back.nkeys, 3);
	for (i = 0; i < 3; i++) {
		const struct card_key *a = &kl.keys[i], *b = &back.keys[i];

		assert_string_equal(a->project, b->project);
		assert_string_equal(a->keyref, b->keyref);
		assert_string_equal(a->grip, b->grip);
		assert_string_equal(a->fpr, b->fpr);
		assert_string_equal(a->algo, b->algo);
		assert_int_equal(a->bits, b->bits);
		assert_int_equal(a->created, b->created);
		assert_int_equal(a->sexp_len, b->sexp_len);
		assert_memory_equal(a->sexp, b->sexp, a->sexp_len);
	}
	/* Another serial: not ours. */
	assert_int_equal(gpg_err_code(keycache_load(path, SN2, &back, err, sizeof(err))),
	                 GPG_ERR_WRONG_CARD);
	assert_int_equal(back.nkeys, 0);
	assert_non_null(strstr(err, ":1: "));

	/* Replaced as a whole; an empty list is a valid file. */
	card_keylist_clear(&kl);
	assert_int_equal(keycache_save(path, SN, &kl, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(keycache_load(path, SN, &back, err, sizeof(err)), 0);
	assert_int_equal(back.nkeys, 0);
	assert_int_equal(count_entries(tmpdir), 1);
	card_keylist_clear(&back);
}

static void
test_files(void **state)
{
	struct card_keylist kl = { NULL, 0 }, back = { NULL, 0 };
	struct card_key k;
	char path[128], target[128], dir[128], err[KEYCACHE_ERR_MAX], buf[64];
	struct stat st;
	FILE *fp;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/" KEYCACHE_NAME, tmpdir);
	snprintf(target, sizeof(target), "%s/target", tmpdir);
	snprintf(dir, sizeof(dir), "%s/adir", tmpdir);
	unlink(path);

	assert_int_equal(gpg_err_code(keycache_load(path, SN, &back, err, sizeof(err))),
	                 GPG_ERR_ENOENT);

	/* A link at the cache's name is never followed: load refuses it,
	 * save replaces the link and leaves its target alone. */
	fp = fopen(target, "w");
	assert_non_null(fp);
	fputs("precious\n", fp);
	fclose(fp);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(gpg_err_code(keycache_load(path, SN, &back, err, sizeof(err))),
	                 GPG_ERR_ELOOP);
	make_key(&k, "release", 1, T0);
	assert_int_equal(card_keylist_add(&kl, &k), 0);
	assert_int_equal(keycache_save(path, SN, &kl, &n), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	fp = fopen(target, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "precious\n");
	assert_int_equal(keycache_load(path, SN, &back, err, sizeof(err)), 0);
	assert_int_equal(back.nkeys, 1);

	/* Not a regular file. */
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_not_equal(keycache_load(dir, SN, &back, err, sizeof(err)), 0);
	assert_int_equal(back.nkeys, 0);

	/* A folder that does not exist: an error, nothing left behind. */
	snprintf(dir, sizeof(dir), "%s/none/" KEYCACHE_NAME, tmpdir);
	assert_int_equal(gpg_err_code(keycache_save(dir, SN, &kl, &n)), GPG_ERR_ENOENT);

	/* Oversize on disk: refused before reading. */
	fp = fopen(target, "w");
	assert_non_null(fp);
	for (n = 0; n <= KEYCACHE_MAX_FILE; n += 64)
		fputs("0123456789012345678901234567890123456789012345678901234567890\n\n\n", fp);
	fclose(fp);
	assert_int_equal(gpg_err_code(keycache_load(target, SN, &back, err, sizeof(err))),
	                 GPG_ERR_TOO_LARGE);

	/* Bad arguments. */
	assert_int_equal(gpg_err_code(keycache_save(path, "nope", &kl, &n)), GPG_ERR_INV_ARG);
	assert_int_equal(gpg_err_code(keycache_save(NULL, SN, &kl, &n)), GPG_ERR_INV_ARG);
	assert_int_equal(gpg_err_code(keycache_load(NULL, SN, &back, err, sizeof(err))),
	                 GPG_ERR_INV_ARG);
	card_keylist_clear(&kl);
	card_keylist_clear(&back);
}

static void
test_bad_lines(void **state)
{
	struct card_key k1, k2, k1later;
	struct card_keylist kl = { NULL, 0 };
	char err[KEYCACHE_ERR_MAX], hex[2 * PGPKEY_MAX_SEXP + 1];
	char *l1, *l2, *ok, *t, *big;
	const char *hdr = KEYCACHE_MAGIC SN "\n";
	size_t i;

	(void)state;
	make_key(&k1, "release", 1, T0);
	make_key(&k2, "other", 2, T0);
	make_key(&k1later, "release", 1, T0 + 1);
	l1 = key_line(&k1);
	l2 = key_line(&k2);
	assert_int_equal(hex_encode(k1.sexp, k1.sexp_len, hex, sizeof(hex)), 0);

	/* The good file first. */
	ok = join(hdr, l1, "\n");
	assert_int_equal(parse(ok, &kl, err, sizeof(err)), 0);
	assert_int_equal(kl.nkeys, 1);
	card_keylist_clear(&kl);
	assert_int_equal(parse(hdr, &kl, err, sizeof(err)), 0);
	assert_int_equal(kl.nkeys, 0);

	/* Header. */
	expect_bad("", 0, "empty file");
	expect_bad("\n", 1, "empty header");
	expect_bad("# signet-scd key cache v2 serial=" SN "\n", 1, "v2");
	expect_bad(KEYCACHE_MAGIC "\n", 1, "no serial");
	expect_bad(KEYCACHE_MAGIC "d276000124010304fffe1a2b3c4d0000\n", 1, "lower-case serial");
	expect_bad(KEYCACHE_MAGIC SN " \n", 1, "trailing space");
	expect_bad(KEYCACHE_MAGIC SN "0\n", 1, "33-digit serial");
	expect_bad(KEYCACHE_MAGIC SN, 1, "header without newline");
	expect_bad(KEYCACHE_MAGIC SN "\r\n", 1, "CRLF header");
	t = join(l1, "\n", "");
	expect_bad(t, 1, "no header");
	free(t);

	/* Line structure. */
	t = join(hdr, l1, "");
	expect_bad(t, 2, "last line without newline");
	free(t);
	t = join(hdr, "\n", "");
	expect_bad(t, 2, "empty line");
	free(t);
	t = join(hdr, "# a comment\n", "");
	expect_bad(t, 2, "comment line");
	free(t);
	t = join(hdr, l1, "\r\n");
	expect_bad(t, 2, "CRLF");
	free(t);

	/* Each table entry: a KEY line, checked at line 2. */
	{
		char line[KEYCACHE_MAX_LINE + 64];
		struct {
			const char *fmt;   /* see expand() */
			const char *what;
		} cases[] = {
			{ "KEY", "KEY alone" },
			{ "KEY ", "KEY and a space" },
			{ "KEYS @P @G @A @T @F @H", "KEYS" },
			{ "key @P @G @A @T @F @H", "lower-case key" },
			{ " KEY @P @G @A @T @F @H", "leading space" },
			{ "KEY  @P @G @A @T @F @H", "double space after KEY" },
			{ "KEY @P  @G @A @T @F @H", "double space" },
			{ "KEY @P @G @A @T @F @H ", "trailing space" },
			{ "KEY @P\t@G @A @T @F @H", "tab" },
			{ "KEY @P @G @A @T @F", "no public key" },
			{ "KEY @P @G @A @T @F @H x", "seven fields" },
			{ "KEY rel/ease @G @A @T @F @H", "bad project" },
			{ "KEY @P 0123456789abcdef0123456789abcdef01234567 @A @T @F @H",
			  "lower-case grip" },
			{ "KEY @P @G0 @A @T @F @H", "41-digit grip" },
			{ "KEY @P @G ed25519 @T @F @H", "bad algo" },
			{ "KEY @P @G rsa512 @T @F @H", "small rsa" },
			{ "KEY @P @G @A 0@T @F @H", "leading zero" },
			{ "KEY @P @G @A -@T @F @H", "negative time" },
			{ "KEY @P @G @A 4294967296 @F @H", "time > u32" },
			{ "KEY @P @G @A @T X@F @H", "bad fingerprint" },
			{ "KEY @P @G @A @T @F @H0", "odd hex" },
			{ "KEY @P @G @A @T @F @HZZ", "non-hex" },
			{ "KEY @P @G @A @T @F 28", "sexp '('" },
			{ "KEY @P @G @A @T @F 2831303A7075626C69632D6B657929",
			  "sexp without rsa" },
			{ "KEY @P @G rsa3072 @T @F @H", "size mismatch" },
			{ "KEY @P @G @A 1732579201 @F @H", "fingerprint mismatch (time)" },
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			expand(line, sizeof(line), cases[i].fmt, &k1, hex);
			t = join(hdr, line, "\n");
			expect_bad(t, 2, cases[i].what);
			free(t);
		}
		/* k2's grip and fingerprint with k1's public key. */
		snprintf(line, sizeof(line), "KEY %s %s rsa2048 %lu %s %s", k2.project, k2.grip,
		         (unsigned long)k2.created, k2.fpr, hex);
		t = join(hdr, line, "\n");
		expect_bad(t, 2, "public key of another grip");
		free(t);
		/* A consistent key, except that the time belongs to another
		 * fingerprint. */
		snprintf(line, sizeof(line), "KEY release %s rsa2048 %lu %s %s", k1.grip,
		         (unsigned long)T0, k1later.fpr, hex);
		t = join(hdr, line, "\n");
		expect_bad(t, 2, "fingerprint of another time");
		free(t);
		/* A public key longer than PGPKEY_MAX_SEXP. */
		snprintf(line, sizeof(line), "KEY release %s rsa2048 %lu %s ", k1.grip,
		         (unsigned long)T0, k1.fpr);
		{
			size_t at = strlen(line);

			memset(line + at, 'A', 2 * PGPKEY_MAX_SEXP + 2);
			line[at + 2 * PGPKEY_MAX_SEXP + 2] = '\0';
		}
		t = join(hdr, line, "\n");
		expect_bad(t, 2, "sexp too long");
		free(t);
	}

	/* Duplicates, at the second occurrence. */
	{
		char *two = join(l1, "\n", l1), *t2;

		t2 = join(hdr, two, "\n");
		expect_bad(t2, 3, "same line twice");
		free(t2);
		free(two);
		make_key(&k2, "other", 1, T0);      /* k1's key under another name */
		free(l2);
		l2 = key_line(&k2);
		two = join(l1, "\n", l2);
		t2 = join(hdr, two, "\n");
		expect_bad(t2, 3, "same grip twice");
		free(t2);
		free(two);
	}

	/* A NUL byte inside a line (not visible to strlen: by length). */
	{
		char raw[256];
		size_t hl = strlen(hdr);
		struct card_keylist out = { NULL, 0 };

		memcpy(raw, hdr, hl);
		memcpy(raw + hl, "KEY a\0b\n", 8);
		assert_int_equal(gpg_err_code(keycache_parse_buffer(NAME, raw, hl + 8, SN, &out,
		                                                    err, sizeof(err))),
		                 GPG_ERR_INV_VALUE);
		assert_non_null(strstr(err, NAME ":2: "));
		/* And a NUL in the header. */
		raw[5] = '\0';
		assert_int_equal(gpg_err_code(keycache_parse_buffer(NAME, raw, hl, SN, &out,
		                                                    err, sizeof(err))),
		                 GPG_ERR_INV_VALUE);
	}

	/* Line too long (before any parsing). */
	big = malloc(KEYCACHE_MAX_LINE + 128);
	assert_non_null(big);
	snprintf(big, KEYCACHE_MAX_LINE + 128, "%s", hdr);
	memset(big + strlen(hdr), 'K', KEYCACHE_MAX_LINE);
	strcpy(big + strlen(hdr) + KEYCACHE_MAX_LINE, "\n");
	expect_bad(big, 2, "line too long");
	free(big);

	free(ok);
	free(l1);
	free(l2);
}

static void
test_wrong_serial(void **state)
{
	struct card_keylist kl = { NULL, 0 };
	char err[KEYCACHE_ERR_MAX];

	(void)state;
	assert_int_equal(gpg_err_code(parse(KEYCACHE_MAGIC SN2 "\n", &kl, err, sizeof(err))),
	                 GPG_ERR_WRONG_CARD);
	assert_non_null(strstr(err, NAME ":1: "));
	assert_non_null(strstr(err, SN2));
	/* A foreign header is refused whatever follows. */
	assert_int_equal(gpg_err_code(parse(KEYCACHE_MAGIC SN2 "\ngarbage\n", &kl, err,
	                                    sizeof(err))), GPG_ERR_WRONG_CARD);
	assert_int_equal(kl.nkeys, 0);
}

static void
test_limits(void **state)
{
	struct card_keylist kl = { NULL, 0 }, out = { NULL, 0 };
	struct card_key k;
	char path[128], err[KEYCACHE_ERR_MAX], name[PROJECT_NAME_MAX + 1];
	char *buf, *line;
	size_t i, len, cap, n;
	FILE *fp;

	(void)state;
	/* KEYCACHE_MAX_KEYS keys load; one more is refused. */
	for (i = 0; i < KEYCACHE_MAX_KEYS; i++) {
		snprintf(name, sizeof(name), "p%zu", i);
		make_key(&k, name, (unsigned int)i + 10, T0);
		assert_int_equal(card_keylist_add(&kl, &k), 0);
	}
	snprintf(path, sizeof(path), "%s/" KEYCACHE_NAME, tmpdir);
	unlink(path);
	assert_int_equal(keycache_save(path, SN, &kl, &n), 0);
	assert_int_equal(n, KEYCACHE_MAX_KEYS);
	assert_int_equal(keycache_load(path, SN, &out, err, sizeof(err)), 0);
	assert_int_equal(out.nkeys, KEYCACHE_MAX_KEYS);
	card_keylist_clear(&out);

	make_key(&k, "one-more", 9999, T0);
	line = key_line(&k);
	fp = fopen(path, "a");
	assert_non_null(fp);
	fprintf(fp, "%s\n", line);
	fclose(fp);
	free(line);
	assert_int_equal(gpg_err_code(keycache_load(path, SN, &out, err, sizeof(err))),
	                 GPG_ERR_INV_VALUE);
	{
		char at[32];

		/* the header, KEYCACHE_MAX_KEYS lines, then the one too many */
		snprintf(at, sizeof(at), ":%d: ", KEYCACHE_MAX_KEYS + 2);
		assert_non_null(strstr(err, at));
	}
	assert_int_equal(out.nkeys, 0);

	/* Oversize in memory: refused from the length alone. */
	cap = KEYCACHE_MAX_FILE + 1;
	buf = malloc(cap);
	assert_non_null(buf);
	len = (size_t)snprintf(buf, cap, KEYCACHE_MAGIC SN "\n");
	memset(buf + len, '\n', cap - len);
	assert_int_equal(gpg_err_code(keycache_parse_buffer(NAME, buf, cap, SN, &out, err,
	                                                    sizeof(err))), GPG_ERR_TOO_LARGE);
	assert_int_equal(strncmp(err, NAME ": ", strlen(NAME ": ")), 0);
	free(buf);

	/* A tiny error buffer is fine. */
	assert_int_equal(gpg_err_code(keycache_parse_buffer(NAME, "x", 1, SN, &out, err, 4)),
	                 GPG_ERR_INV_VALUE);
	assert_int_equal(strlen(err), 3);
	assert_int_equal(gpg_err_code(keycache_parse_buffer(NAME, "x", 1, SN, &out, NULL, 0)),
	                 GPG_ERR_INV_VALUE);
	card_keylist_clear(&kl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_wrong_serial),
		cmocka_unit_test(test_limits),
	};

	gcry_check_version(NULL);
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
