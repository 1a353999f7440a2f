/* audit-receipt.c — `signet audit check-receipt RECEIPT [--key VKEY]
 * [SIGFILE]`: check a receipt offline (receipt.h).  The trust comes from
 * the verifier key alone: --key or --key-file, else the home's P.vkey
 * (said on stderr); without one nothing is called verified. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "auditcmd.h"
#include "auditseg.h"
#include "audittrail.h"
#include "receipt.h"
#include "sigextract.h"

#define CHECK_USAGE "audit check-receipt RECEIPT [--key VKEY | --key-file FILE] [SIGFILE] [--home DIR]"

struct check_args {
	const char *receipt, *key, *key_file, *sigfile;
};

/* --key, --key-file, else the home's key for the receipt's trail. */
static int
pick_key(struct cli *cli, const struct check_args *a, const char *trail, struct note_vkey *key)
{
	char text[NOTE_MAX_VKEY + 1], path[PATH_MAX], err[PATH_MAX + 256];
	struct home h;
	int rc;

	if (a->key != NULL) {
		if (audittrail_parse_vkey(a->key, key, err, sizeof(err)) != 0)
			return cli_fail("audit check-receipt: --key: %s; give the line `signet audit key` prints", err);
		return CLI_EXIT_OK;
	}
	if (a->key_file != NULL) {
		if (audittrail_read_vkey(a->key_file, text, sizeof(text), key, err, sizeof(err)) != 0)
			return cli_fail("audit check-receipt: --key-file: %s", err);
		return CLI_EXIT_OK;
	}
	if ((rc = audittrail_home(cli, &h)) != CLI_EXIT_OK)
		return rc;
	if (auditseg_sidecar(strcmp(trail, "tsa") == 0 ? h.tsa_audit : h.audit, ".vkey", path, sizeof(path)) != 0 ||
	    access(path, F_OK) != 0)
		return cli_fail("audit check-receipt: the receipt is NOT verified: no trusted key; give "
		                "--key VKEY or --key-file FILE (what `signet audit key` prints on the signing "
		                "host; the home has no %s)", path);
	fprintf(stderr, "signet: audit check-receipt: using the audit key in %s\n", path);
	if (audittrail_read_vkey(path, text, sizeof(text), key, err, sizeof(err)) != 0)
		return cli_fail("audit check-receipt: %s", err);
	return CLI_EXIT_OK;
}

static int
parse_args(struct cli *cli, int argc, char **argv, struct check_args *a)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "key", required_argument, NULL, 'k' },
		{ "key-file", required_argument, NULL, 'K' },
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
		case 'K': a->key_file = optarg; break;
		case 'h': printf("usage: signet %s\n", CHECK_USAGE); return CLI_HELP_SHOWN;
		default: return cli_bad_option(CHECK_USAGE, argc, argv, c);
		}
	}
	if (a->key != NULL && a->key_file != NULL)
		return cli_usage(CHECK_USAGE, "audit check-receipt: give the key once: --key VKEY or --key-file FILE");
	if (optind >= argc || argc - optind > 2)
		return cli_usage(CHECK_USAGE, "audit check-receipt: give RECEIPT and, optionally, SIGFILE");
	a->receipt = argv[optind];
	a->sigfile = optind + 1 < argc ? argv[optind + 1] : NULL;
	return CLI_EXIT_OK;
}

/* What the verified record says, for the reader (its values are the
 * log's word, now proven to be in the log). */
static void
print_record(const struct receipt *rc)
{
	static const char *const keys[] = { "time", "event", "project", "user", "key_fpr", "hash", "digest",
	                                    "serial", "gen_time" };
	json_t *rec = json_loadb(rc->record, rc->record_len, 0, NULL);
	const char *v;

	for (size_t i = 0; rec != NULL && i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((v = json_string_value(json_object_get(rec, keys[i]))) != NULL) {
			printf("  %-8s ", keys[i]);
			for (; *v != '\0'; v++)   /* the receipt came from elsewhere: no control bytes */
				putchar(*v >= 0x20 && *v < 0x7f ? *v : '?');
			putchar('\n');
		}
	json_decref(rec);
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
	if ((ret = pick_key(cli, a, rc.trail, &key)) != CLI_EXIT_OK)
		goto out;
	if (receipt_check(&rc, &key, a->sigfile != NULL ? &sx : NULL, err, sizeof(err)) != 0) {
		ret = cli_fail("audit check-receipt: %s: NOT verified: %s", a->receipt, err);
		goto out;
	}
	printf("receipt verified: leaf %llu of the %s trail is in the tree of %llu records signed by %s%s\n",
	       (unsigned long long)rc.leaf_index, rc.trail, (unsigned long long)rc.tree_size, key.name,
	       a->sigfile != NULL ? "; it issued the signature in SIGFILE" : "");
	print_record(&rc);
	ret = CLI_EXIT_OK;
out:
	json_decref(root);
	return ret;
}

int
audit_check_receipt_command(struct cli *cli, int argc, char **argv)
{
	struct check_args a = { NULL, NULL, NULL, NULL };
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
