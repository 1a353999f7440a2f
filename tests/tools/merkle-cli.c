/* merkle-cli.c — test helper: common/merkle on a real audit trail, for the
 * end-to-end tests to compare with tests/tools/auditverify.py.
 *
 *   merkle-cli build TRAIL STORE   a new hash store from TRAIL's lines;
 *                                  prints "SIZE ROOT" for every size as the
 *                                  frontier (merkle_state) sees it while
 *                                  appending, through an encode/decode of
 *                                  the state at each step
 *   merkle-cli roots STORE         "SIZE ROOT" for every size, from the
 *                                  reopened store (merkle_store_root)
 *   merkle-cli proofs STORE        every inclusion and consistency proof,
 *                                  one JSON object a line (sorted keys;
 *                                  doc/audit-format.md §6, §7)
 *   merkle-cli verify              JSON proofs on stdin, one a line,
 *                                  through merkle_verify_*; prints the count
 * Exit 0, or 1 with the reason on stderr. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <jansson.h>

#include "audit.h"
#include "hex.h"
#include "merkle-store.h"
#include "merkle.h"

#define H MERKLE_HASH_LEN

static int
die(const char *what, const char *why)
{
	fprintf(stderr, "merkle-cli: %s: %s\n", what, why);
	return 1;
}

static void
print_root(uint64_t n, const uint8_t root[H])
{
	char hex[2 * H + 1];

	hex_encode_lower(root, H, hex, sizeof(hex));
	printf("%" PRIu64 " %s\n", n, hex);
}

static int
cmd_build(const char *trail, const char *path)
{
	struct merkle_store *s = NULL;
	struct merkle_state st;
	uint8_t leaf[H], root[H], enc[MERKLE_STATE_MAX_ENC];
	char *line = NULL;
	size_t cap = 0, enclen;
	ssize_t len;
	FILE *f;
	int rc = 1;

	if ((f = fopen(trail, "rb")) == NULL)
		return die(trail, strerror(errno));
	if (merkle_store_open(path, MERKLE_STORE_CREATE, &s) != 0 || merkle_store_size(s) != 0) {
		rc = die(path, "cannot create a new hash store");
		goto out;
	}
	merkle_state_init(&st);
	merkle_state_root(&st, root);
	print_root(0, root);
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n' || len > AUDIT_MAX_LINE) {
			rc = die(trail, "torn or over-long last line");
			goto out;
		}
		merkle_hash_leaf(line, (size_t)len - 1, leaf);
		if (merkle_state_append(&st, leaf, NULL, NULL) != 0 || merkle_store_append(s, leaf) != 0 ||
		    merkle_state_encode(&st, enc, sizeof(enc), &enclen) != 0 ||
		    merkle_state_decode(enc, enclen, &st, NULL) != 0) {
			rc = die(path, "append");
			goto out;
		}
		merkle_state_root(&st, root);
		print_root(st.size, root);
	}
	if (memcmp(merkle_store_state(s), &st, sizeof(st)) != 0 || merkle_store_sync(s) != 0) {
		rc = die(path, "store and frontier disagree");
		goto out;
	}
	rc = 0; /* success */
out:
	free(line);
	fclose(f);
	merkle_store_close(s);
	return rc;
}

static json_t *
hash_json(const uint8_t h[H])
{
	char hex[2 * H + 1];

	hex_encode_lower(h, H, hex, sizeof(hex));
	return json_string(hex);
}

static json_t *
proof_json(const uint8_t proof[MERKLE_MAX_PROOF][H], size_t len)
{
	json_t *a = json_array();

	for (size_t i = 0; i < len; i++)
		json_array_append_new(a, hash_json(proof[i]));
	return a;
}

static void
emit(json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);

	puts(text);
	free(text);
	json_decref(obj);
}

static int
cmd_proofs(struct merkle_store *s)
{
	struct merkle_nodes src;
	uint8_t proof[MERKLE_MAX_PROOF][H], r1[H], r2[H], leaf[H];
	uint64_t size = merkle_store_size(s);
	size_t len;

	merkle_store_nodes(s, &src);
	for (uint64_t n = 0; n <= size; n++) {
		if (merkle_store_root(s, n, r2) != 0)
			return die("root", "failed");
		for (uint64_t m = 0; m < n; m++) {
			if (merkle_prove_inclusion(&src, m, n, proof, &len) != 0 ||
			    merkle_range_hash(&src, m, m + 1, leaf) != 0)
				return die("inclusion proof", "failed");
			emit(json_pack("{s:s,s:I,s:I,s:o,s:o,s:o}", "type", "inclusion", "leaf_index", (json_int_t)m,
			               "tree_size", (json_int_t)n, "leaf_hash", hash_json(leaf), "root", hash_json(r2),
			               "proof", proof_json(proof, len)));
		}
		for (uint64_t m = 0; m <= n; m++) {
			if (merkle_prove_consistency(&src, m, n, proof, &len) != 0 || merkle_store_root(s, m, r1) != 0)
				return die("consistency proof", "failed");
			emit(json_pack("{s:s,s:I,s:I,s:o,s:o,s:o}", "type", "consistency", "size1", (json_int_t)m,
			               "size2", (json_int_t)n, "root1", hash_json(r1), "root2", hash_json(r2),
			               "proof", proof_json(proof, len)));
		}
	}
	return 0;
}

static int
get_hash(json_t *obj, const char *key, uint8_t out[H])
{
	const char *s = json_string_value(json_object_get(obj, key));
	size_t n;

	return s != NULL && strlen(s) == 2 * H && hex_decode(s, 2 * H, out, H, &n) == 0 && n == H ? 0 : -1;
}

/* One proof object: 0 verified, else *WHY says why not. */
static int
verify_one(json_t *obj, const char **why)
{
	uint8_t proof[MERKLE_MAX_PROOF][H], a[H], b[H];
	json_t *arr = json_object_get(obj, "proof"), *v;
	const char *type = json_string_value(json_object_get(obj, "type"));
	const uint8_t (*p)[H] = (const uint8_t (*)[H])proof;
	size_t i, len = json_array_size(arr);

	*why = "malformed proof object";
	if (type == NULL || !json_is_array(arr) || len > MERKLE_MAX_PROOF)
		return -1;
	json_array_foreach(arr, i, v) {
		size_t n;
		const char *s = json_string_value(v);

		if (s == NULL || strlen(s) != 2 * H || hex_decode(s, 2 * H, proof[i], H, &n) != 0)
			return -1;
	}
	if (strcmp(type, "inclusion") == 0) {
		json_int_t m = json_integer_value(json_object_get(obj, "leaf_index"));
		json_int_t n = json_integer_value(json_object_get(obj, "tree_size"));

		if (get_hash(obj, "leaf_hash", a) != 0 || get_hash(obj, "root", b) != 0 || m < 0 || n < 0)
			return -1;
		return merkle_verify_inclusion(a, (uint64_t)m, (uint64_t)n, p, len, b, why) == 0 ? 0 : -1;
	}
	if (strcmp(type, "consistency") == 0) {
		json_int_t m = json_integer_value(json_object_get(obj, "size1"));
		json_int_t n = json_integer_value(json_object_get(obj, "size2"));

		if (get_hash(obj, "root1", a) != 0 || get_hash(obj, "root2", b) != 0 || m < 0 || n < 0)
			return -1;
		return merkle_verify_consistency((uint64_t)m, (uint64_t)n, a, b, p, len, why) == 0 ? 0 : -1;
	}
	return -1;
}

static int
cmd_verify(void)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned long count = 0;
	int rc = 0;

	while (getline(&line, &cap, stdin) > 0) {
		json_error_t jerr;
		json_t *obj = json_loads(line, 0, &jerr);
		const char *why = "not JSON";

		if (obj == NULL || verify_one(obj, &why) != 0) {
			fprintf(stderr, "merkle-cli: proof %lu: %s\n", count + 1, why);
			rc = 1;
			json_decref(obj);
			break;
		}
		json_decref(obj);
		count++;
	}
	free(line);
	if (rc == 0)
		printf("%lu proofs verified\n", count);
	return rc;
}

int
main(int argc, char **argv)
{
	struct merkle_store *s = NULL;
	uint8_t root[H];
	int rc;

	if (!gcry_check_version(GCRYPT_VERSION))
		return die("libgcrypt", "version mismatch");
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	if (argc == 4 && strcmp(argv[1], "build") == 0)
		return cmd_build(argv[2], argv[3]);
	if (argc == 2 && strcmp(argv[1], "verify") == 0)
		return cmd_verify();
	if (argc != 3 || (strcmp(argv[1], "roots") != 0 && strcmp(argv[1], "proofs") != 0))
		return die("usage", "build TRAIL STORE | roots STORE | proofs STORE | verify");
	if (merkle_store_open(argv[2], 0, &s) != 0)
		return die(argv[2], "cannot open the hash store");
	rc = 0;
	if (strcmp(argv[1], "proofs") == 0)
		rc = cmd_proofs(s);
	else
		for (uint64_t n = 0; n <= merkle_store_size(s) && rc == 0; n++) {
			if (merkle_store_root(s, n, root) != 0)
				rc = die("root", "failed");
			else
				print_root(n, root);
		}
	merkle_store_close(s);
	return rc;
}
