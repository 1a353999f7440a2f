/* keycache.c — see keycache.h. */
#define GPG_ERR_SOURCE_DEFAULT GPG_ERR_SOURCE_SCD
#include "keycache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hex.h"
#include "readfile.h"
#include "serial.h"

#define KEYCACHE_TMP_SUFFIX ".XXXXXX"
#define KEY_PREFIX "KEY "
/* Words after "KEY ": the five of policyd's S KEY line, then the sexp. */
#define KEY_WORDS 6

/* Scratch space of one parse: a few KiB, kept off the stack. */
struct parse_scratch {
	char line[KEYCACHE_MAX_LINE + 1];
	uint8_t sexp[PGPKEY_MAX_SEXP];
	struct card_key key;
};

static gpg_error_t
fail(gpg_error_t code, char *err, size_t errlen, const char *name, unsigned int lineno,
     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Fill ERR with "NAME:LINE: reason" (LINE 0: "NAME: reason"); returns CODE. */
static gpg_error_t
fail(gpg_error_t code, char *err, size_t errlen, const char *name, unsigned int lineno,
     const char *fmt, ...)
{
	char reason[KEYCACHE_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (err != NULL && errlen > 0) {
		if (lineno > 0)
			snprintf(err, errlen, "%s:%u: %s", name, lineno, reason);
		else
			snprintf(err, errlen, "%s: %s", name, reason);
	}
	return gpg_error(code);
}

/* LINE is exactly KEYCACHE_MAGIC and a serial. */
static gpg_error_t
parse_header(const char *name, const char *line, const char *serial, char *err, size_t errlen)
{
	size_t mlen = strlen(KEYCACHE_MAGIC);

	if (strncmp(line, KEYCACHE_MAGIC, mlen) != 0 || !serial_is_valid(line + mlen))
		return fail(GPG_ERR_INV_VALUE, err, errlen, name, 1,
		            "not a signet-scd key cache (expected '" KEYCACHE_MAGIC "<serial>')");
	if (strcmp(line + mlen, serial) != 0)
		return fail(GPG_ERR_WRONG_CARD, err, errlen, name, 1,
		            "cache of card %s, not of the configured card %s", line + mlen, serial);
	return 0;
}

/* Exactly KEY_WORDS words separated by single spaces. */
static int
words_ok(const char *s)
{
	size_t n = 1;

	if (s[0] == '\0' || s[0] == ' ')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s != ' ')
			continue;
		if (s[1] == ' ' || s[1] == '\0')
			return 0;
		n++;
	}
	return n == KEY_WORDS;
}

/* One KEY line (in SC->line) into SC->key, checked down to its public key. */
static gpg_error_t
parse_key(const char *name, unsigned int lineno, struct parse_scratch *sc,
          char *err, size_t errlen)
{
	char *args, *hex;
	size_t slen = 0;
	gpg_error_t e;

	if (strncmp(sc->line, KEY_PREFIX, strlen(KEY_PREFIX)) != 0)
		return fail(GPG_ERR_INV_VALUE, err, errlen, name, lineno, "expected a KEY line");
	args = sc->line + strlen(KEY_PREFIX);
	if (!words_ok(args))
		return fail(GPG_ERR_INV_VALUE, err, errlen, name, lineno,
		            "KEY needs %d fields separated by single spaces", KEY_WORDS);
	hex = strrchr(args, ' ');
	*hex++ = '\0';
	if (card_key_parse(args, &sc->key) != 0)
		return fail(GPG_ERR_INV_VALUE, err, errlen, name, lineno,
		            "bad project, keygrip, algorithm, creation time or fingerprint");
	if ((e = hex_decode(hex, strlen(hex), sc->sexp, sizeof(sc->sexp), &slen)) != 0)
		return fail(GPG_ERR_INV_VALUE, err, errlen, name, lineno, "public key: %s",
		            gpg_err_code(e) == GPG_ERR_TOO_LARGE ? "too long" : "bad hex");
	if ((e = card_key_set_sexp(&sc->key, sc->sexp, slen)) != 0) {
		if (gpg_err_code(e) == GPG_ERR_ENOMEM)
			return gpg_error(GPG_ERR_ENOMEM);
		return fail(GPG_ERR_INV_VALUE, err, errlen, name, lineno, "public key: %s",
		            gpg_err_code(e) == GPG_ERR_BAD_PUBKEY ?
		            "does not match the keygrip, fingerprint or size" : gpg_strerror(e));
	}
	return 0;
}

gpg_error_t
keycache_parse_buffer(const char *name, const char *buf, size_t len, const char *serial,
                      struct card_keylist *out, char *err, size_t errlen)
{
	struct card_keylist kl = { NULL, 0 };
	struct parse_scratch *sc = NULL;
	const char *p, *nl;
	size_t pos = 0, linelen;
	unsigned int lineno = 0;
	gpg_error_t e;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (name == NULL || buf == NULL || serial == NULL || out == NULL)
		return gpg_error(GPG_ERR_INV_ARG);
	card_keylist_clear(out);
	if (len > KEYCACHE_MAX_FILE) {
		e = fail(GPG_ERR_TOO_LARGE, err, errlen, name, 0, "file too large (max %d bytes)",
		         KEYCACHE_MAX_FILE);
		goto out;
	}
	if ((sc = calloc(1, sizeof(*sc))) == NULL) {
		e = gpg_error_from_syserror();
		goto out;
	}
	while (pos < len) {
		lineno++;
		p = buf + pos;
		/* Written in one piece and renamed into place: a line without
		 * its newline means the file was cut or made by hand. */
		if ((nl = memchr(p, '\n', len - pos)) == NULL) {
			e = fail(GPG_ERR_INV_VALUE, err, errlen, name, lineno,
			         "last line does not end with a newline");
			goto out;
		}
		linelen = (size_t)(nl - p);
		if (linelen >= KEYCACHE_MAX_LINE) {
			e = fail(GPG_ERR_INV_VALUE, err, errlen, name, lineno,
			         "line too long (max %d bytes)", KEYCACHE_MAX_LINE - 1);
			goto out;
		}
		if (memchr(p, '\0', linelen) != NULL) {
			e = fail(GPG_ERR_INV_VALUE, err, errlen, name, lineno, "NUL byte");
			goto out;
		}
		memcpy(sc->line, p, linelen);
		sc->line[linelen] = '\0';
		pos += linelen + 1;

		if (lineno == 1) {
			if ((e = parse_header(name, sc->line, serial, err, errlen)) != 0)
				goto out;
			continue;
		}
		if (kl.nkeys >= KEYCACHE_MAX_KEYS) {
			e = fail(GPG_ERR_INV_VALUE, err, errlen, name, lineno,
			         "more than %d keys", KEYCACHE_MAX_KEYS);
			goto out;
		}
		if ((e = parse_key(name, lineno, sc, err, errlen)) != 0)
			goto out;
		if ((e = card_keylist_add(&kl, &sc->key)) != 0) {
			if (gpg_err_code(e) == GPG_ERR_DUP_KEY || gpg_err_code(e) == GPG_ERR_TOO_MANY)
				e = fail(GPG_ERR_INV_VALUE, err, errlen, name, lineno, "%s",
				         gpg_err_code(e) == GPG_ERR_DUP_KEY ?
				         "keygrip or key listed twice" : "too many keys");
			goto out;
		}
	}
	if (lineno == 0) {
		e = fail(GPG_ERR_INV_VALUE, err, errlen, name, 0, "empty file (no header)");
		goto out;
	}
	*out = kl;
	kl.keys = NULL;
	kl.nkeys = 0;
	e = 0; /* success */
out:
	if (e != 0 && gpg_err_code(e) == GPG_ERR_ENOMEM)
		fail(GPG_ERR_ENOMEM, err, errlen, name, lineno, "out of memory");
	card_keylist_clear(&kl);
	free(sc);
	return e;
}

gpg_error_t
keycache_load(const char *path, const char *serial, struct card_keylist *out,
              char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	gpg_error_t e;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || serial == NULL || out == NULL)
		return gpg_error(GPG_ERR_INV_ARG);
	card_keylist_clear(out);
	if ((e = readfile_bounded(path, KEYCACHE_MAX_FILE, &buf, &len, err, errlen)) != 0)
		return e;
	e = keycache_parse_buffer(path, buf, len, serial, out, err, errlen);
	free(buf);
	return e;
}

/* fsync the folder holding PATH, so that the rename itself is durable.
 * Best effort: the file is a cache, and losing the newest version in a
 * crash only means listing from an older one until policyd answers. */
static void
sync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

/* Write KEY's line to FP; 0 if skipped for want of a public key. */
static gpg_error_t
write_key(FILE *fp, const struct card_key *key, char *hex, size_t hexlen, int *written)
{
	struct card_key check;
	char args[CARD_LINE_MAX];
	gpg_error_t e;
	int n;

	*written = 0;
	if (key->sexp_len == 0)
		return 0;
	n = snprintf(args, sizeof(args), "%s %s %s %lu %s", key->project, key->grip,
	             key->algo, (unsigned long)key->created, key->fpr);
	/* What we write must load again: refuse a key card_key_parse would
	 * not have produced. */
	if (n < 0 || (size_t)n >= sizeof(args) || card_key_parse(args, &check) != 0)
		return gpg_error(GPG_ERR_INV_VALUE);
	if ((e = hex_encode(key->sexp, key->sexp_len, hex, hexlen)) != 0)
		return e;
	if (fprintf(fp, KEY_PREFIX "%s %s\n", args, hex) < 0)
		return gpg_error_from_syserror();
	*written = 1;
	return 0;
}

gpg_error_t
keycache_save(const char *path, const char *serial, const struct card_keylist *kl,
              size_t *nwritten)
{
	char tmp[PATH_MAX];
	char *hex = NULL;
	size_t hexlen = 2 * PGPKEY_MAX_SEXP + 1, i, count = 0;
	FILE *fp = NULL;
	gpg_error_t e;
	int fd = -1, n, created = 0, written;

	if (nwritten != NULL)
		*nwritten = 0;
	if (path == NULL || serial == NULL || kl == NULL || !serial_is_valid(serial))
		return gpg_error(GPG_ERR_INV_ARG);
	n = snprintf(tmp, sizeof(tmp), "%s" KEYCACHE_TMP_SUFFIX, path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return gpg_error(GPG_ERR_TOO_LARGE);
	if ((hex = malloc(hexlen)) == NULL) {
		e = gpg_error_from_syserror();
		goto out;
	}
	/* mkostemp: O_CREAT|O_EXCL with mode 0600, so an attacker's link
	 * at the temporary name is never written through. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		e = gpg_error_from_syserror();
		goto out;
	}
	created = 1;
	if (fchmod(fd, S_IRUSR | S_IWUSR) != 0 || (fp = fdopen(fd, "w")) == NULL) {
		e = gpg_error_from_syserror();
		goto out;
	}
	fd = -1;    /* owned by fp now */
	if (fprintf(fp, KEYCACHE_MAGIC "%s\n", serial) < 0) {
		e = gpg_error_from_syserror();
		goto out;
	}
	for (i = 0; i < kl->nkeys; i++) {
		if ((e = write_key(fp, &kl->keys[i], hex, hexlen, &written)) != 0)
			goto out;
		count += (size_t)written;
	}
	if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0) {
		e = gpg_error_from_syserror();
		goto out;
	}
	n = fclose(fp);
	fp = NULL;
	if (n != 0 || rename(tmp, path) != 0) {
		e = gpg_error_from_syserror();
		goto out;
	}
	created = 0;
	sync_parent(path);
	if (nwritten != NULL)
		*nwritten = count;
	e = 0; /* success */
out:
	if (fp != NULL)
		fclose(fp);
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	free(hex);
	return e;
}
