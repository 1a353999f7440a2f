/* audit-consistency.c — `signet audit consistency OLD NEW`: the RFC 9162
 * consistency proof that the home's policyd trail at NEW's size extends
 * the one at OLD's size (doc/audit-format.md §7), from the hash store
 * (read only) or, without one, from the trail.
 *
 * OLD and NEW are files holding a checkpoint (its note, or its whole
 * record line) or a tree size in decimal.  A
 * note's signature is checked with the trail's verifier key (P.vkey) when
 * there is one, and its root must be the tree's at its size; the proof is
 * verified before it is printed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "auditcmd.h"
#include "auditnodes.h"
#include "auditseg.h"
#include "audittrail.h"
#include "hex.h"

struct point {
	const char *file;
	uint64_t size;
	uint8_t root[MERKLE_HASH_LEN];
	int signed_root;      /* ROOT came from a note */
	int sig_checked;
};

static int
read_point(struct point *p, const struct note_vkey *key)
{
	struct note_checkpoint cp;
	char err[PATH_MAX + 256];
	int is_size;

	if (audittrail_read_checkpoint(p->file, key, 1, &cp, &is_size, err, sizeof(err)) != 0)
		return cli_fail("audit consistency: %s", err);
	p->size = cp.size;
	if (is_size)
		return CLI_EXIT_OK;
	memcpy(p->root, cp.root, sizeof(p->root));
	p->signed_root = 1;
	p->sig_checked = key != NULL;
	return CLI_EXIT_OK;
}

/* The tree's root at P's size; a note's root must be that one. */
static int
check_root(const struct merkle_nodes *src, struct point *p)
{
	uint8_t root[MERKLE_HASH_LEN];
	gpg_error_t r;

	if (p->size == 0)
		merkle_hash_empty(root);
	else if ((r = merkle_range_hash(src, 0, p->size, root)) != 0)
		return cli_fail("audit consistency: root of size %llu: %s",
		                (unsigned long long)p->size, gpg_strerror(r));
	if (p->signed_root && memcmp(root, p->root, sizeof(root)) != 0)
		return cli_fail("audit consistency: %s: the trail's tree of size %llu does not have "
		                "the root this checkpoint signed: the trail (or its hash store) is not "
		                "the log that was signed", p->file, (unsigned long long)p->size);
	memcpy(p->root, root, sizeof(root));
	return CLI_EXIT_OK;
}

static void
print_proof(const struct point *a, const struct point *b,
            uint8_t (*proof)[MERKLE_HASH_LEN], size_t len, int json)
{
	char hex[2 * MERKLE_HASH_LEN + 1];
	json_t *o, *arr;
	char *s;
	size_t i;

	if (!json) {
		hex_encode_lower(a->root, MERKLE_HASH_LEN, hex, sizeof(hex));
		printf("from: tree size %llu, root %s%s\n", (unsigned long long)a->size, hex,
		       a->sig_checked ? " (signed checkpoint)" : "");
		hex_encode_lower(b->root, MERKLE_HASH_LEN, hex, sizeof(hex));
		printf("to:   tree size %llu, root %s%s\n", (unsigned long long)b->size, hex,
		       b->sig_checked ? " (signed checkpoint)" : "");
		printf("consistency proof (%zu hashes, verified):\n", len);
		for (i = 0; i < len; i++) {
			hex_encode_lower(proof[i], MERKLE_HASH_LEN, hex, sizeof(hex));
			printf("  %s\n", hex);
		}
		return;
	}
	o = json_object();
	arr = json_array();
	for (i = 0; i < len; i++) {
		hex_encode_lower(proof[i], MERKLE_HASH_LEN, hex, sizeof(hex));
		json_array_append_new(arr, json_string(hex));
	}
	json_object_set_new(o, "type", json_string("consistency"));
	json_object_set_new(o, "size1", json_integer((json_int_t)a->size));
	json_object_set_new(o, "size2", json_integer((json_int_t)b->size));
	hex_encode_lower(a->root, MERKLE_HASH_LEN, hex, sizeof(hex));
	json_object_set_new(o, "root1", json_string(hex));
	hex_encode_lower(b->root, MERKLE_HASH_LEN, hex, sizeof(hex));
	json_object_set_new(o, "root2", json_string(hex));
	json_object_set_new(o, "proof", arr);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (s != NULL)
		printf("%s\n", s);
	free(s);
	json_decref(o);
}

static int
prove(const char *trail, struct point *a, struct point *b, int json)
{
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	struct auditnodes *an = NULL;
	const char *why = NULL;
	char err[4200];
	size_t len = 0;
	gpg_error_t r;
	int rc;

	if (auditnodes_open(trail, b->size, &an, NULL, err, sizeof(err)) != 0)
		return cli_fail("audit consistency: %s", err);
	if ((rc = check_root(auditnodes_src(an), a)) != CLI_EXIT_OK ||
	    (rc = check_root(auditnodes_src(an), b)) != CLI_EXIT_OK)
		goto out;
	if ((r = merkle_prove_consistency(auditnodes_src(an), a->size, b->size, proof, &len)) != 0) {
		rc = cli_fail("audit consistency: %s", gpg_strerror(r));
		goto out;
	}
	if (merkle_verify_consistency(a->size, b->size, a->root, b->root,
	                              (const uint8_t (*)[MERKLE_HASH_LEN])proof, len, &why) != 0) {
		rc = cli_fail("audit consistency: the proof does not verify (%s); the hash store "
		              "%s.tree may be damaged: move it away to prove from the trail",
		              why != NULL ? why : "?", trail);
		goto out;
	}
	print_proof(a, b, proof, len, json);
	rc = CLI_EXIT_OK;
out:
	auditnodes_close(an);
	return rc;
}

int
audit_consistency_command(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	char vkey_path[PATH_MAX], text[NOTE_MAX_VKEY + 1], err[PATH_MAX + 256];
	struct point a = { 0 }, b = { 0 };
	struct note_vkey key;
	struct home h;
	int c, json = 0, rc, have_key = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': cli->home_arg = optarg; break;
		case 'h': printf("usage: signet %s\n", AUDIT_USAGE); return CLI_EXIT_OK;
		case 'j': json = 1; break;
		default: return cli_bad_option(AUDIT_USAGE, argc, argv, c);
		}
	}
	if (argc - optind != 2)
		return cli_usage(AUDIT_USAGE, "audit consistency: give OLD and NEW (checkpoint notes "
		                 "or tree sizes)");
	a.file = argv[optind];
	b.file = argv[optind + 1];
	if ((rc = audittrail_home(cli, &h)) != CLI_EXIT_OK)
		return rc;
	if (auditseg_sidecar(h.audit, ".vkey", vkey_path, sizeof(vkey_path)) == 0 &&
	    access(vkey_path, F_OK) == 0) {
		if (audittrail_read_vkey(vkey_path, text, sizeof(text), &key, err, sizeof(err)) != 0)
			return cli_fail("audit consistency: %s", err);
		have_key = 1;
	}
	if ((rc = read_point(&a, have_key ? &key : NULL)) != CLI_EXIT_OK ||
	    (rc = read_point(&b, have_key ? &key : NULL)) != CLI_EXIT_OK)
		return rc;
	if (a.size > b.size)
		return cli_fail("audit consistency: OLD's tree size %llu is larger than NEW's %llu; "
		                "give the older one first", (unsigned long long)a.size,
		                (unsigned long long)b.size);
	return prove(h.audit, &a, &b, json);
}
