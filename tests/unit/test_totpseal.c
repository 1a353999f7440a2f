/* test_totpseal.c — policyd/totp.c on a real SoftHSM2 token, with the
 * store replaced by a small table here: the sealed secret opens only for
 * its principal, a changed blob does not open, a locked project does not
 * look at the code, each code is accepted once, enrolment is refused when
 * enrolled, and the blob does not hold the secret in the clear. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../policyd/hsm.h"
#include "../../policyd/policyd.h"
#include "../../policyd/store.h"
#include "../../policyd/totp.h"
#include "signet-err.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define NROWS 4

/* ---- the store's TOTP part, in memory (store.h semantics) */
static struct row {
	char principal[STORE_PRINCIPAL_MAX];
	uint8_t sealed[STORE_SEALED_MAX];
	size_t len;
	int64_t last;
	unsigned failures;      /* one project is enough here */
} rows[NROWS];

static struct row *
row_of(const char *principal, int make)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (strcmp(rows[i].principal, principal) == 0)
			return &rows[i];
	for (i = 0; make && i < NROWS; i++)
		if (rows[i].principal[0] == '\0') {
			snprintf(rows[i].principal, sizeof(rows[i].principal), "%s", principal);
			return &rows[i];
		}
	return NULL;
}

gpg_error_t
store_totp_put(struct store *st, const char *principal, const uint8_t *sealed, size_t len, int64_t now)
{
	struct row *r = row_of(principal, 1);

	(void)st;
	(void)now;
	assert_non_null(r);
	assert_true(len <= STORE_SEALED_MAX);
	memcpy(r->sealed, sealed, len);
	r->len = len;
	r->last = 0;
	return 0;
}

gpg_error_t
store_totp_get(struct store *st, const char *principal, uint8_t *sealed, size_t max, size_t *len)
{
	struct row *r = row_of(principal, 0);

	(void)st;
	*len = 0;
	if (r == NULL || r->len == 0)
		return gpg_error(GPG_ERR_NOT_FOUND);
	assert_true(r->len <= max);
	memcpy(sealed, r->sealed, r->len);
	*len = r->len;
	return 0;
}

gpg_error_t
store_totp_failures(struct store *st, const char *principal, const char *project, unsigned *failures)
{
	struct row *r = row_of(principal, 0);

	(void)st;
	(void)project;
	*failures = r ? r->failures : 0;
	return 0;
}

gpg_error_t
store_totp_check(struct store *st, const char *principal, const char *project, int right, int64_t step,
                 int *reused, unsigned *failures)
{
	struct row *r = row_of(principal, 1);

	(void)st;
	(void)project;
	*reused = right && step <= r->last;
	if (right && !*reused) {
		r->last = step;
		r->failures = 0;
	} else {
		r->failures++;
	}
	*failures = r->failures;
	return 0;
}

gpg_error_t
store_totp_reset(struct store *st, const char *principal, int forget)
{
	struct row *r = row_of(principal, 0);

	(void)st;
	if (r != NULL) {
		r->failures = 0;
		if (forget)
			memset(r, 0, sizeof(*r));
	}
	return 0;
}

/* ---- a token of our own */
struct world {
	char dir[32];
	struct policyd pd;
};

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int
world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char path[128], text[256], err[512];
	int created = 0;

	if (w == NULL || access(MODULE, R_OK) != 0) {
		free(w);
		return -1;
	}
	snprintf(w->dir, sizeof(w->dir), "/tmp/ttsXXXXXX");
	assert_non_null(mkdtemp(w->dir));
	snprintf(path, sizeof(path), "%s/tokens", w->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(text, sizeof(text), "directories.tokendir = %s/tokens\nobjectstore.backend = file\n", w->dir);
	snprintf(path, sizeof(path), "%s/softhsm2.conf", w->dir);
	write_file(path, text, 0600);
	setenv("SOFTHSM2_CONF", path, 1);
	snprintf(path, sizeof(path), "%s/so-pin", w->dir);
	write_file(path, "87654321\n", 0600);
	snprintf(text, sizeof(text), "%s/pin", w->dir);
	write_file(text, "1234\n", 0600);
	if (hsm_init_token(MODULE, "totptest", path, text, &created, err, sizeof(err)) != 0 ||
	    hsm_open(MODULE, "totptest", text, &w->pd.hsm, err, sizeof(err)) != 0) {
		fprintf(stderr, "token: %s\n", err);
		return -1;
	}
	assert_int_equal(totp_keys_open(w->pd.hsm, &w->pd.totp), 0);
	w->pd.store = (struct store *)rows;   /* never dereferenced: the calls above are ours */
	memset(rows, 0, sizeof(rows));
	*state = w;
	return 0;
}

static int
world_teardown(void **state)
{
	struct world *w = *state;
	char cmd[96];

	totp_keys_close(w->pd.totp);
	hsm_close(w->pd.hsm);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", w->dir);
	free(w);
	return 0;
}

static const uint8_t instance[4] = { 0x1a, 0x2b, 0x3c, 0x4d };

/* Enrol PRINCIPAL; SECRET gets the secret from the URI. */
static void
enroll(struct world *w, const char *principal, const char *user, uint8_t secret[TOTP_SECRET_LEN])
{
	char uri[TOTP_URI_MAX], why[256], b32[TOTP_B32_BUF], *p;
	size_t n = 0;

	assert_int_equal(totp_enroll(&w->pd, principal, user, instance, uri, sizeof(uri), why, sizeof(why)), 0);
	assert_non_null(p = strstr(uri, "?secret="));
	memcpy(b32, p + 8, TOTP_B32_BUF - 1);
	b32[TOTP_B32_BUF - 1] = '\0';
	assert_int_equal(totp_base32_decode(b32, secret, TOTP_SECRET_LEN, &n), 0);
	assert_int_equal(n, TOTP_SECRET_LEN);
}

static gpg_err_code_t
verify_step(struct world *w, const char *principal, const uint8_t *secret, int64_t now, int64_t step)
{
	char code[TOTP_CODE_BUF], why[256];

	assert_int_equal(totp_code(secret, TOTP_SECRET_LEN, step, code), 0);
	return totp_verify(&w->pd, principal, "p", code, now, why, sizeof(why));
}

static void
test_enroll_verify(void **state)
{
	struct world *w = *state;
	uint8_t secret[TOTP_SECRET_LEN], again[TOTP_SECRET_LEN];
	char uri[TOTP_URI_MAX], why[256];
	int64_t now = time(NULL), s = now / TOTP_PERIOD;
	struct row *r;

	assert_int_equal(totp_verify(&w->pd, "user:alice", "p", "123456", now, why, sizeof(why)),
	                 SIGNET_ERR_OTP_NOT_ENROLLED);
	enroll(w, "user:alice", "alice", secret);
	/* The blob holds no clear secret. */
	assert_non_null(r = row_of("user:alice", 0));
	assert_null(memmem(r->sealed, r->len, secret, sizeof(secret)));
	/* Enrolled: a second enrolment is refused and changes nothing. */
	assert_int_equal(gpg_err_code(totp_enroll(&w->pd, "user:alice", "alice", instance, uri, sizeof(uri),
	                                          why, sizeof(why))), GPG_ERR_EEXIST);
	assert_string_equal(uri, "");
	assert_non_null(strstr(why, "enrolled already"));
	assert_int_equal(totp_verify(&w->pd, "user:alice", "p", NULL, now, why, sizeof(why)),
	                 SIGNET_ERR_OTP_NEEDED);
	assert_int_equal(verify_step(w, "user:alice", secret, now, s), 0);
	/* Each code once; an older step after a newer one neither. */
	assert_int_equal(verify_step(w, "user:alice", secret, now, s), SIGNET_ERR_OTP_WRONG);
	assert_int_equal(verify_step(w, "user:alice", secret, now, s - 1), SIGNET_ERR_OTP_WRONG);
	assert_int_equal(verify_step(w, "user:alice", secret, now, s + 1), 0);
	/* Outside the window. */
	assert_int_equal(verify_step(w, "user:alice", secret, now + 120, s + 1), SIGNET_ERR_OTP_WRONG);
	assert_int_equal(totp_verify(&w->pd, "user:alice", "p", "12345x", now, why, sizeof(why)),
	                 SIGNET_ERR_OTP_WRONG);
	/* A new enrolment after a reset: a new secret. */
	assert_int_equal(store_totp_reset(NULL, "user:alice", 1), 0);
	enroll(w, "user:alice", "alice", again);
	assert_memory_not_equal(secret, again, sizeof(secret));
}

static void
test_locked(void **state)
{
	struct world *w = *state;
	uint8_t secret[TOTP_SECRET_LEN];
	char why[256];
	int64_t now = time(NULL), s = now / TOTP_PERIOD;
	int i;

	enroll(w, "user:carol", "carol", secret);
	/* Malformed codes are wrong codes: they count. */
	for (i = 0; i < STORE_TOTP_MAX_FAILURES; i++)
		assert_int_equal(totp_verify(&w->pd, "user:carol", "p", "12345x", now, why, sizeof(why)),
		                 SIGNET_ERR_OTP_WRONG);
	assert_non_null(strstr(why, "locked"));
	/* Locked: even the right code is refused. */
	assert_int_equal(verify_step(w, "user:carol", secret, now, s), SIGNET_ERR_OTP_LOCKED);
	/* The locked attempt used no step: after a reset the same code works. */
	assert_int_equal(store_totp_reset(NULL, "user:carol", 0), 0);
	assert_int_equal(verify_step(w, "user:carol", secret, now, s), 0);
}

static void
test_blob_bound_to_principal(void **state)
{
	struct world *w = *state;
	uint8_t a[TOTP_SECRET_LEN], b[TOTP_SECRET_LEN];
	int64_t now = time(NULL), s = now / TOTP_PERIOD;
	struct row *ra, *rb;

	enroll(w, "user:dave", "dave", a);
	enroll(w, "user:erin", "erin", b);
	ra = row_of("user:dave", 0);
	rb = row_of("user:erin", 0);
	/* Erin's row gets Dave's blob: it does not open for erin (the GCM
	 * additional data is the principal), so Dave's codes are no use. */
	memcpy(rb->sealed, ra->sealed, ra->len);
	rb->len = ra->len;
	assert_int_equal(verify_step(w, "user:erin", a, now, s), SIGNET_ERR_HSM);
	/* A changed byte of the ciphertext does not open either. */
	ra->sealed[ra->len - 1] ^= 1;
	assert_int_equal(verify_step(w, "user:dave", a, now, s), SIGNET_ERR_HSM);
	ra->sealed[ra->len - 1] ^= 1;
	assert_int_equal(verify_step(w, "user:dave", a, now, s), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enroll_verify, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_locked, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_blob_bound_to_principal, world_setup, world_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
