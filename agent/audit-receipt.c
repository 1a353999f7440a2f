/* audit-receipt.c — `signet audit check-receipt RECEIPT [--key VKEY]
 * [SIGFILE]`: check a receipt offline (receipt.h).  The trust comes from
 * the verifier key alone: --key, else the home's P.vkey (said on stderr);
 * without either nothing is called verified. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "auditcmd.h"
#include "home.h"
#include "receipt.h"
#include "sigextract.h"

#define CHECK_USAGE "audit check-receipt RECEIPT [--key VKEY] [SIGFILE] [--home DIR]"
#define VKEY_FILE_MAX 4096

struct check_args {
	const char *receipt, *key, *sigfile;
};

/* KEYARG is a vkey, or a file holding one on its first line. */
static int
load_key(const char *keyarg, const char *from, struct note_vkey *key)
{
	char *data = NULL;
	size_t len = 0;
	const char *s = keyarg, *why = "";
	gpg_error_t r;
	int rc = CLI_EXIT_OK;

	if (access(keyarg, F_OK) == 0) {
		if ((r = atomicfile_read(keyarg, VKEY_FILE_MAX, &data, &len)) != 0)
			return cli_fail("audit check-receipt: read the key %s: %s", keyarg, gpg_strerror(r));
		s = data;
		len = strcspn(data, "\r\n");
	} else {
		len = strlen(keyarg);
	}
	if (note_vkey_parse(s, len, key, &why) != 0)
		rc = cli_fail("audit check-receipt: %s is not a verifier key (%s); give the line "
		              "`signet audit key` prints", from, why);
	free(data);
	return rc;
}

/* --key, else the home's key for the receipt's trail. */
static int
pick_key(struct cli *cli, const char *keyarg, const char *trail, struct note_vkey *key)
{
	struct home h;
	char path[PATH_MAX + 8];

	if (keyarg != NULL)
		return load_key(keyarg, "--key", key);
	if (home_paths(cli_home(cli), &h) != 0)
		return cli_fail("audit check-receipt: the home folder name is too long");
	snprintf(path, sizeof(path), "%s.vkey", strcmp(trail, "tsa") == 0 ? h.tsa_audit : h.audit);
	if (access(path, F_OK) != 0)
		return cli_fail("audit check-receipt: the receipt is NOT verified: no trusted key; give "
		                "--key VKEY (the line `signet audit key` prints on the signing host; %s does "
		                "not exist)", path);
	fprintf(stderr, "signet: audit check-receipt: using the audit key in %s\n", path);
	return load_key(path, path, key);
}

static int
parse_args(struct cli *cli, int argc, char **argv, struct check_args *a)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': cli->home_arg = optarg; break;
		case 'k': a->key = optarg; break;
		case 'h': printf("usage: signet %s\n", CHECK_USAGE); return CLI_HELP_SHOWN;
		default: return cli_bad_option(CHECK_USAGE, argc, argv, c);
		}
	}
	if (optind >= argc || argc - optind > 2)
		return cli_usage(CHECK_USAGE, "audit check-receipt: give RECEIPT and, optionally, SIGFILE");
	a->receipt = argv[optind];
	a->sigfile = optind + 1 < argc ? argv[optind + 1] : NULL;
	return CLI_EXIT_OK;
}

static int
check(struct cli *cli, const struct check_args *a, const char *text, size_t len)
{
	struct receipt rc;
	struct note_vkey key;
	struct sigextract sx;
	json_t *root = NULL;
	char err[512];
	int ret;

	if (receipt_decode(text, len, &root, &rc, err, sizeof(err)) != 0)
		return cli_fail("audit check-receipt: %s: %s", a->receipt, err);
	if (a->sigfile != NULL && sigextract_parse_file(a->sigfile, &sx, err, sizeof(err)) != 0) {
		ret = cli_fail("audit check-receipt: %s", err);
		goto out;
	}
	if ((ret = pick_key(cli, a->key, rc.trail, &key)) != CLI_EXIT_OK)
		goto out;
	if (receipt_check(&rc, &key, a->sigfile != NULL ? &sx : NULL, err, sizeof(err)) != 0) {
		ret = cli_fail("audit check-receipt: %s: NOT verified: %s", a->receipt, err);
		goto out;
	}
	printf("receipt verified: leaf %llu of the %s trail is in the tree of %llu records signed by %s%s\n",
	       (unsigned long long)rc.leaf_index, rc.trail, (unsigned long long)rc.tree_size, key.name,
	       a->sigfile != NULL ? "; it issued the signature in SIGFILE" : "");
	ret = CLI_EXIT_OK;
out:
	json_decref(root);
	return ret;
}

int
audit_check_receipt_command(struct cli *cli, int argc, char **argv)
{
	struct check_args a = { NULL, NULL, NULL };
	char *text = NULL;
	size_t len = 0;
	gpg_error_t r;
	int rc;

	if ((rc = parse_args(cli, argc, argv, &a)) != CLI_EXIT_OK)
		return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
	if ((r = atomicfile_read(a.receipt, RECEIPT_MAX, &text, &len)) != 0)
		return cli_fail("audit check-receipt: read %s: %s", a.receipt, gpg_strerror(r));
	rc = check(cli, &a, text, len);
	free(text);
	return rc;
}
