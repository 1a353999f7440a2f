/* cmdline.c — see cmdline.h. */
#include "cmdline.h"

#include <string.h>

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

static struct cmd_opt *
find_opt(struct cmd_opt *opts, size_t nopts, const char *name, size_t namelen)
{
	size_t i;

	for (i = 0; i < nopts; i++) {
		if (opts[i].name != NULL && strlen(opts[i].name) == namelen &&
		    memcmp(opts[i].name, name, namelen) == 0)
			return &opts[i];
	}
	return NULL;
}

/* WORD is "--name" or "--name=value", NUL-terminated inside the line. */
static gpg_error_t
take_option(char *word, struct cmd_opt *opts, size_t nopts)
{
	char *name = word + 2;
	char *eq = strchr(name, '=');
	size_t namelen = eq != NULL ? (size_t)(eq - name) : strlen(name);
	struct cmd_opt *opt;

	if (namelen == 0 || (opt = find_opt(opts, nopts, name, namelen)) == NULL)
		return gpg_error(GPG_ERR_UNKNOWN_OPTION);
	/* A repeated option is refused: which of two --hash= values counts
	 * must never be a guess. */
	if (opt->present)
		return gpg_error(GPG_ERR_ASS_PARAMETER);
	if (eq != NULL) {
		/* An empty value ("--hash=") is as good as none. */
		if (opt->takes_value == 0 || eq[1] == '\0')
			return gpg_error(GPG_ERR_ASS_PARAMETER);
		opt->value = eq + 1;
	} else if (opt->takes_value == 1) {
		return gpg_error(GPG_ERR_ASS_PARAMETER);
	}
	opt->present = 1;
	return 0;
}

gpg_error_t
cmdline_parse(char *line, struct cmd_opt *opts, size_t nopts,
              char **args, size_t maxargs, size_t *nargs)
{
	gpg_error_t err = 0;
	size_t i, nwords = 0, n = 0;
	int options_done = 0;
	char *p = line, *word;

	if (nargs != NULL)
		*nargs = 0;
	for (i = 0; opts != NULL && i < nopts; i++) {
		opts[i].present = 0;
		opts[i].value = NULL;
	}
	if (line == NULL || nargs == NULL || (opts == NULL && nopts != 0) ||
	    (args == NULL && maxargs != 0))
		return gpg_error(GPG_ERR_INV_VALUE);

	for (;;) {
		while (is_space(*p))
			p++;
		if (*p == '\0')
			break;
		word = p;
		while (*p != '\0' && !is_space(*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
		if (++nwords > CMDLINE_MAX_WORDS) {
			err = gpg_error(GPG_ERR_ASS_PARAMETER);
			goto out;
		}
		if (!options_done && word[0] == '-' && word[1] == '-') {
			if (word[2] == '\0') {
				options_done = 1;
				continue;
			}
			if ((err = take_option(word, opts, nopts)) != 0)
				goto out;
			continue;
		}
		options_done = 1;
		if (n >= maxargs) {
			err = gpg_error(GPG_ERR_ASS_PARAMETER);  /* too many arguments */
			goto out;
		}
		args[n++] = word;
	}
	*nargs = n;
	err = 0; /* success */
out:
	if (err != 0) {
		/* Half a parse is no parse: callers see nothing set. */
		for (i = 0; opts != NULL && i < nopts; i++) {
			opts[i].present = 0;
			opts[i].value = NULL;
		}
	}
	return err;
}
