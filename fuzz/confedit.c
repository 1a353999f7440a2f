/* fuzz/confedit.c — libFuzzer target: signet.conf edits in memory.
 * The input's first line is "PROJECT KEY [VALUE]" (no VALUE: remove the
 * key), the rest the file.  Checks: an edit that succeeds reads back
 * (the key has exactly VALUE, or is gone), a refused one leaves the text
 * as it was, and appending a section makes one that reads back too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confedit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct probe {
	const char *key;
	char value[CONFIG_MAX_LINE + 1];
	int found;
};

static int
probe(void *opaque, const char *key, const char *value)
{
	struct probe *p = opaque;

	if (!p->found && strcmp(key, p->key) == 0) {
		p->found = 1;
		strncpy(p->value, value, sizeof(p->value) - 1);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "signers", "approvals" };
	static const char *const values[] = { "user:a", "1" };
	char head[CONFIG_MAX_LINE + 1], *project, *key, *value, *save = NULL, why[256];
	const uint8_t *nl = memchr(data, '\n', size);
	struct confedit *ce = NULL;
	struct probe pr;
	size_t hlen, before_len, len;
	char *before = NULL;
	const char *text;
	gpg_error_t r;

	if (nl == NULL || (hlen = (size_t)(nl - data)) >= sizeof(head) || memchr(data, '\0', hlen) != NULL)
		return 0;
	memcpy(head, data, hlen);
	head[hlen] = '\0';
	project = strtok_r(head, " ", &save);
	key = strtok_r(NULL, " ", &save);
	value = strtok_r(NULL, "", &save);
	if (project == NULL || key == NULL || confedit_new((const char *)nl + 1, size - hlen - 1, &ce) != 0)
		return 0;
	text = confedit_text(ce, &before_len);
	if ((before = malloc(before_len + 1)) == NULL)
		goto out;
	memcpy(before, text, before_len);
	/* A project named "@NAME" is the daemon section [NAME] instead. */
	if (project[0] == '@')
		r = confedit_set_in(ce, project + 1, key, value, why, sizeof(why));
	else
		r = confedit_set(ce, project, key, value, why, sizeof(why));
	text = confedit_text(ce, &len);
	if (r != 0 && (len != before_len || memcmp(text, before, len) != 0))
		__builtin_trap();
	if (project[0] == '@')
		goto out;
	if (r == 0) {
		memset(&pr, 0, sizeof(pr));
		pr.key = key;
		if (confedit_each_key(ce, project, probe, &pr) != 0)
			__builtin_trap();
		if (value != NULL && (!pr.found || strcmp(pr.value, value) != 0))
			__builtin_trap();
	}
	if (confedit_add_project(ce, project, keys, values, 2, why, sizeof(why)) == 0) {
		memset(&pr, 0, sizeof(pr));
		pr.key = "approvals";
		if (confedit_each_key(ce, project, probe, &pr) != 0 || !pr.found || strcmp(pr.value, "1") != 0)
			__builtin_trap();
	}
out:
	free(before);
	confedit_free(ce);
	return 0;
}
