/* dotfile.c — see dotfile.h. */
#include "dotfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicfile.h"
#include "cli.h"

/* First word of LINE (after blanks) equals KEY, ended by blank, '=' or end. */
static int
line_has_key(const char *line, size_t len, const char *key)
{
	size_t i = 0, klen = strlen(key);

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < klen || strncmp(line + i, key, klen) != 0)
		return 0;
	i += klen;
	return i == len || line[i] == ' ' || line[i] == '\t' || line[i] == '=' || line[i] == '\r';
}

static int
has_any_key(const char *line, size_t len, const char *const *keys, size_t nkeys)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (line_has_key(line, len, keys[i]))
			return 1;
	return 0;
}

/* 1 if the text TEXT/LEN has LINE/LINELEN as one of its lines. */
static int
text_has_line(const char *text, size_t len, const char *line, size_t linelen)
{
	const char *p = text, *end = text + len, *le;

	for (; text != NULL && p < end; p = le + 1) {
		if ((le = memchr(p, '\n', (size_t)(end - p))) == NULL)
			le = end;
		if ((size_t)(le - p) == linelen && memcmp(p, line, linelen) == 0)
			return 1;
	}
	return 0;
}

/* Print each line of A that B lacks, after MARK. */
static void
print_missing(const char *a, size_t alen, const char *b, size_t blen, const char *mark)
{
	const char *p = a, *end = a + alen, *le;

	for (; a != NULL && p < end; p = le + 1) {
		if ((le = memchr(p, '\n', (size_t)(end - p))) == NULL)
			le = end;
		if (!text_has_line(b, blen, p, (size_t)(le - p)))
			printf("  %s%.*s\n", mark, (int)(le - p), p);
	}
}

int
dotfile_set_lines(const char *path, const char *const *keys, size_t nkeys, const char *add, mode_t mode)
{
	char *old = NULL, *new = NULL;
	size_t oldlen = 0, newlen = 0, addlen = strlen(add);
	const char *p, *end, *nl;
	struct stat st;
	gpg_error_t err;
	int rc;

	err = atomicfile_read(path, DOTFILE_MAX, &old, &oldlen);
	if (err != 0 && gpg_err_code(err) != GPG_ERR_ENOENT)
		return cli_fail("read %s: %s; fix or remove the file (at most %d bytes, not a symbolic link)",
		                path, gpg_strerror(err), DOTFILE_MAX);
	if (old != NULL && stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	if ((new = malloc(oldlen + addlen + 2)) == NULL) {
		rc = cli_fail("rewrite %s: out of memory; try again", path);
		goto out;
	}
	for (p = old, end = old ? old + oldlen : NULL; p != NULL && p < end; p = nl) {
		const char *le = memchr(p, '\n', (size_t)(end - p));

		nl = le ? le + 1 : end;
		if (has_any_key(p, (size_t)((le ? le : end) - p), keys, nkeys))
			continue;
		memcpy(new + newlen, p, (size_t)(nl - p));
		newlen += (size_t)(nl - p);
		if (le == NULL)
			new[newlen++] = '\n';
	}
	memcpy(new + newlen, add, addlen);
	newlen += addlen;
	if (old != NULL && newlen == oldlen && memcmp(old, new, newlen) == 0) {
		printf("%s: unchanged\n", path);
		rc = CLI_EXIT_OK;
		goto out;
	}
	if ((err = atomicfile_write(path, new, newlen, mode)) != 0) {
		rc = cli_fail("write %s: %s; check the folder's permissions", path, gpg_strerror(err));
		goto out;
	}
	printf("%s: %s\n", path, old ? "updated" : "created");
	print_missing(old, oldlen, new, newlen, "- ");
	print_missing(new, newlen, old, oldlen, "+ ");
	rc = CLI_EXIT_OK;
out:
	free(old);
	free(new);
	return rc;
}
