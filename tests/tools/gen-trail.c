/* gen-trail.c — test helper: write an audit trail as signet-policyd would
 * (doc/audit-format.md), with checkpoints signed by a software Ed25519 key
 * (OpenSSL) through the same note code, for `signet audit verify` tests
 * and its benchmark.
 *
 *   gen-trail OUT N [--every K] [--lag L] [--segment-lines S]
 *             [--origin NAME] [--key-seed HEX] [--time-back I] [--tsa-cmd CMD]
 *
 * N lines in all: sign and deny records, a checkpoint after every K
 * others (default 1000; 0: none) signing the tree L leaves before its own
 * place (default 2), and with S > 0 a new segment every S lines (the
 * sealed ones OUT.000001, …; each new one starts with a segment record).
 * The key is made from the 32-byte seed HEX (default: random); OUT.vkey
 * gets its verifier key, which is also printed.  --time-back I: record I
 * (0-based) is an hour older than the one before (a clock set back).
 * --tsa-cmd CMD: each checkpoint's note is written to OUT.note and
 * `CMD OUT.note` run; its output, the base64 of a TimeStampToken over
 * the note, becomes the checkpoint's tsa_token.
 * Exit 0, or 1 with the reason on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "audit.h"
#include "auditseg.h"
#include "hex.h"
#include "merkle.h"
#include "signednote.h"
#include "../unit/edsoft.h"

struct gen {
	const char *out;
	unsigned long long n, every, lag, seglines, time_back;
	const char *origin;
	const char *tsa_cmd;
	EVP_PKEY *key;
	uint8_t pub[NOTE_ED25519_PUB];
	struct merkle_state st;
	FILE *f;
	unsigned seg;
	unsigned long long in_file;
	char tmp[4096];
};

static int
die(const char *what)
{
	fprintf(stderr, "gen-trail: %s\n", what);
	return 1;
}

static int
make_key(struct gen *g, const char *seedhex)
{
	uint8_t seed[32];
	size_t n = 0;

	if (seedhex != NULL) {
		if (hex_decode(seedhex, strlen(seedhex), seed, sizeof(seed), &n) != 0 || n != 32)
			return die("--key-seed: not 64 hex digits");
	} else if (RAND_bytes(seed, sizeof(seed)) != 1) {
		return die("no random bytes");
	}
	if ((g->key = edsoft_key(seed, g->pub)) == NULL)
		return die("cannot make the Ed25519 key");
	return 0;
}

static int
write_vkey(const struct gen *g)
{
	char vkey[NOTE_MAX_VKEY + 1], path[4200];
	FILE *f;

	if (note_vkey_format(g->origin, g->pub, vkey, sizeof(vkey)) != 0)
		return die("cannot format the verifier key (origin?)");
	snprintf(path, sizeof(path), "%s.vkey", g->out);
	if ((f = fopen(path, "w")) == NULL || fprintf(f, "%s\n", vkey) < 0 || fclose(f) != 0)
		return die("cannot write OUT.vkey");
	printf("%s\n", vkey);
	return 0;
}

/* Write LINE as the next record and add it to the tree. */
static int
put(struct gen *g, char *line)
{
	uint8_t leaf[MERKLE_HASH_LEN];
	size_t len = strlen(line);

	merkle_hash_leaf(line, len, leaf);
	free(line);
	if (merkle_state_append(&g->st, leaf, NULL, NULL) != 0)
		return die("tree full");
	g->in_file++;
	return 0;
}

static int
emit(struct gen *g, const struct audit_event *ev, int64_t t)
{
	char *line = NULL;

	if (audit_encode(ev, g->st.size + 1, t, &line) != 0)
		return die("audit_encode failed");
	if (fputs(line, g->f) < 0 || fputc('\n', g->f) < 0) {
		free(line);
		return die("write failed");
	}
	return put(g, line);
}

static int
roll(struct gen *g, int64_t t)
{
	char sealed[4200], hex[2 * MERKLE_STATE_MAX_ENC + 1];
	uint8_t enc[MERKLE_STATE_MAX_ENC];
	struct audit_event ev;
	size_t n = 0;

	if (fclose(g->f) != 0 || auditseg_name(g->out, g->seg, sealed, sizeof(sealed)) != 0 ||
	    rename(g->tmp, sealed) != 0)
		return die("cannot seal a segment");
	if ((g->f = fopen(g->tmp, "w")) == NULL)
		return die("cannot open the next segment");
	g->seg++;
	g->in_file = 0;
	if (merkle_state_encode(&g->st, enc, sizeof(enc), &n) != 0 ||
	    hex_encode_lower(enc, n, hex, sizeof(hex)) != 0)
		return die("cannot encode the frontier");
	memset(&ev, 0, sizeof(ev));
	ev.event = "segment";
	ev.segment = g->seg;
	ev.has_tree_size = 1;
	ev.tree_size = g->st.size;
	ev.frontier = hex;
	return emit(g, &ev, t);
}

/* The token --tsa-cmd makes for NOTE into TOKEN (TOKENLEN bytes). */
static int
timestamp(const struct gen *g, const char *note, char *token, size_t tokenlen)
{
	char path[4200], cmd[8400];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s.note", g->out);
	if ((f = fopen(path, "w")) == NULL || fputs(note, f) < 0 || fclose(f) != 0)
		return die("cannot write OUT.note");
	snprintf(cmd, sizeof(cmd), "%s '%s'", g->tsa_cmd, path);
	if ((f = popen(cmd, "r")) == NULL)
		return die("cannot run --tsa-cmd");
	n = fread(token, 1, tokenlen - 1, f);
	if (pclose(f) != 0 || n == 0 || n == tokenlen - 1)
		return die("--tsa-cmd failed or gave no token");
	while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r'))
		n--;
	token[n] = '\0';
	return 0;
}

static int
checkpoint(struct gen *g, const uint8_t root[MERKLE_HASH_LEN], uint64_t size, int64_t t)
{
	static char token[64 * 1024];
	struct note_checkpoint cp;
	struct audit_event ev;
	char *note = NULL;
	size_t len = 0;
	int rc;

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "%s", g->origin);
	cp.size = size;
	memcpy(cp.root, root, sizeof(cp.root));
	if (note_checkpoint_sign(&cp, g->origin, g->pub, edsoft_sign, g->key, &note, &len) != 0)
		return die("note_checkpoint_sign failed");
	memset(&ev, 0, sizeof(ev));
	ev.event = "checkpoint";
	ev.note = note;
	ev.has_tree_size = 1;
	ev.tree_size = size;
	if (g->tsa_cmd != NULL && timestamp(g, note, token, sizeof(token)) != 0) {
		free(note);
		return 1;
	}
	ev.tsa_token = g->tsa_cmd != NULL ? token : NULL;
	rc = emit(g, &ev, t);
	free(note);
	return rc;
}

static int
record(struct gen *g, unsigned long long i, int64_t t)
{
	static const uint8_t digest[32] = { 0x5e, 0x88, 0x48, 0x98, 0xda, 0x28, 0x04, 0x71 };
	uint8_t sig[64];
	struct audit_event ev;

	memset(sig, (int)(i & 0xff), sizeof(sig));
	memset(&ev, 0, sizeof(ev));
	ev.has_requester = 1;
	ev.uid = 1000 + (uid_t)(i % 7);
	ev.user = "builder";
	ev.pid = 4000 + (pid_t)(i % 30000);
	ev.project = i % 3 == 0 ? "release" : "nightly";
	ev.key_fpr = "0123456789ABCDEF0123456789ABCDEF01234567";
	ev.hash = "sha256";
	ev.digest = digest;
	ev.digest_len = sizeof(digest);
	if (i % 97 == 5) {
		ev.event = "deny";
		ev.result = "denied";
		ev.code = "outside_hours";
		ev.reason = "outside the hours \"09:00-17:00\" \\ caf\xc3\xa9 \xe2\x80\x94 retry later";
	} else {
		ev.event = "sign";
		ev.result = "granted";
		ev.signature = sig;
		ev.signature_len = sizeof(sig);
		ev.rate_seq = (int64_t)(i % 100) + 1;
	}
	return emit(g, &ev, t);
}

static int
generate(struct gen *g)
{
	uint8_t root[MERKLE_HASH_LEN];
	unsigned long long i, since = 0, target = g->every > g->lag ? g->every - g->lag : 0;
	int64_t t = INT64_C(1796083200000000); /* 2026-12-01T00:00:00Z */
	int have_root = 0, rc = 0;

	snprintf(g->tmp, sizeof(g->tmp), "%s", g->out);
	if ((g->f = fopen(g->tmp, "w")) == NULL)
		return die("cannot create OUT");
	setvbuf(g->f, NULL, _IOFBF, 1 << 20);
	g->seg = 1;
	merkle_state_init(&g->st);
	for (i = 0; i < g->n && rc == 0; i++) {
		t += 1000;
		if (i == g->time_back && i > 0)
			t -= INT64_C(3600000000);
		/* The root the next checkpoint will sign, when its size is reached. */
		if (g->every > 0 && !have_root && g->st.size == target) {
			merkle_state_root(&g->st, root);
			have_root = 1;
		}
		if (g->every > 0 && since >= g->every && have_root) {
			rc = checkpoint(g, root, target, t);
			since = 0;
			have_root = 0;
			target = g->st.size + g->every > g->lag ? g->st.size + g->every - g->lag : 0;
		} else if (g->seglines > 0 && g->in_file >= g->seglines) {
			rc = roll(g, t);
			since++;
		} else {
			rc = record(g, i, t);
			since++;
		}
	}
	if (rc == 0 && fclose(g->f) != 0)
		return die("write failed");
	return rc;
}

int
main(int argc, char **argv)
{
	struct gen g;
	const char *seed = NULL;
	int i;

	gcry_check_version(NULL);
	memset(&g, 0, sizeof(g));
	g.every = 1000;
	g.lag = 2;
	g.time_back = ~0ull;
	g.origin = "signet.0badc0de/policyd";
	if (argc < 3)
		return die("usage: gen-trail OUT N [--every K] [--lag L] [--segment-lines S] "
		           "[--origin NAME] [--key-seed HEX] [--time-back I] [--tsa-cmd CMD]");
	g.out = argv[1];
	g.n = strtoull(argv[2], NULL, 10);
	for (i = 3; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--every") == 0)
			g.every = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--lag") == 0)
			g.lag = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--segment-lines") == 0)
			g.seglines = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--origin") == 0)
			g.origin = argv[i + 1];
		else if (strcmp(argv[i], "--key-seed") == 0)
			seed = argv[i + 1];
		else if (strcmp(argv[i], "--tsa-cmd") == 0)
			g.tsa_cmd = argv[i + 1];
		else if (strcmp(argv[i], "--time-back") == 0)
			g.time_back = strtoull(argv[i + 1], NULL, 10);
		else
			return die("unknown option");
	}
	if (i != argc)
		return die("an option without its value");
	if (make_key(&g, seed) != 0 || write_vkey(&g) != 0)
		return 1;
	i = generate(&g);
	EVP_PKEY_free(g.key);
	return i;
}
