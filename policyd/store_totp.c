/* store_totp.c — see store.h: sealed TOTP secrets, the last accepted time
 * step (each code once) and failures in a row per project. */
#include "store_db.h"

#include <string.h>

gpg_error_t
store_totp_put(struct store *st, const char *principal, const uint8_t *sealed, size_t len,
               int64_t now)
{
	sqlite3_stmt *s;
	gpg_error_t r;

	if ((r = store_check_text(principal, STORE_PRINCIPAL_MAX, 0)) != 0)
		return r;
	if (len > STORE_SEALED_MAX)
		return gpg_error(GPG_ERR_TOO_LARGE);
	if (len == 0)
		return gpg_error(GPG_ERR_INV_VALUE);
	store_lock(st);
	if ((r = store_begin(st, 1)) == 0) {
		s = store_q(st, Q_TOTP_PUT);
		store_bind_text(s, 1, principal);
		sqlite3_bind_blob(s, 2, sealed, (int)len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 3, now);
		r = store_end(st, store_exec(st, s, "put totp"));
	}
	return store_unlock(st, r);
}

static gpg_error_t
totp_get(struct store *st, const char *principal, uint8_t *sealed, size_t max, size_t *len)
{
	sqlite3_stmt *s = store_q(st, Q_TOTP_GET);
	gpg_error_t r;
	int row, n;

	store_bind_text(s, 1, principal);
	if ((r = store_step(st, s, &row, "get totp")) != 0)
		return r;
	if (!row)
		r = gpg_error(GPG_ERR_NOT_FOUND);
	else if ((n = sqlite3_column_bytes(s, 0)) < 0 || (size_t)n > max)
		r = gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	else {
		if (n > 0)
			memcpy(sealed, sqlite3_column_blob(s, 0), (size_t)n);
		*len = (size_t)n;
	}
	sqlite3_reset(s);
	return r;
}

gpg_error_t
store_totp_get(struct store *st, const char *principal, uint8_t *sealed, size_t max, size_t *len)
{
	gpg_error_t r;

	*len = 0;
	if ((r = store_check_text(principal, STORE_PRINCIPAL_MAX, 0)) != 0)
		return r;
	store_lock(st);
	if ((r = store_begin(st, 0)) == 0)
		r = store_end(st, totp_get(st, principal, sealed, max, len));
	return store_unlock(st, r);
}

static gpg_error_t
failures_get(struct store *st, const char *principal, const char *project, unsigned *failures)
{
	sqlite3_stmt *s = store_q(st, Q_FAIL_GET);
	int64_t n;
	gpg_error_t r;

	store_bind_text(s, 1, principal);
	store_bind_text(s, 2, project);
	if ((r = store_int(st, s, 0, &n, "get totp failures")) == 0)
		*failures = (unsigned)n;
	return r;
}

gpg_error_t
store_totp_failures(struct store *st, const char *principal, const char *project,
                    unsigned *failures)
{
	gpg_error_t r;

	*failures = 0;
	if ((r = store_check_text(principal, STORE_PRINCIPAL_MAX, 0)) != 0 ||
	    (r = store_check_text(project, STORE_PROJECT_MAX, 0)) != 0)
		return r;
	store_lock(st);
	if ((r = store_begin(st, 0)) == 0)
		r = store_end(st, failures_get(st, principal, project, failures));
	return store_unlock(st, r);
}

static gpg_error_t
totp_check(struct store *st, const char *principal, const char *project, int right, int64_t step,
           int *reused, unsigned *failures)
{
	sqlite3_stmt *s;
	int64_t last, n;
	gpg_error_t r;

	s = store_q(st, Q_TOTP_STEP);
	store_bind_text(s, 1, principal);
	if ((r = store_int(st, s, INT64_MIN, &last, "totp step")) != 0)
		return r;
	if (last == INT64_MIN)
		return gpg_error(GPG_ERR_NOT_FOUND);
	*reused = right && step <= last;
	if (right && !*reused) {
		s = store_q(st, Q_TOTP_SET_STEP);
		store_bind_text(s, 1, principal);
		sqlite3_bind_int64(s, 2, step);
		if ((r = store_exec(st, s, "totp set step")) != 0)
			return r;
		s = store_q(st, Q_FAIL_CLEAR);
		store_bind_text(s, 1, principal);
		store_bind_text(s, 2, project);
		return store_exec(st, s, "clear totp failures");
	}
	s = store_q(st, Q_FAIL_ADD);
	store_bind_text(s, 1, principal);
	store_bind_text(s, 2, project);
	if ((r = store_int(st, s, 0, &n, "add totp failure")) == 0)
		*failures = (unsigned)n;
	return r;
}

gpg_error_t
store_totp_check(struct store *st, const char *principal, const char *project, int right,
                 int64_t step, int *reused, unsigned *failures)
{
	gpg_error_t r;

	*reused = 0;
	*failures = 0;
	if ((r = store_check_text(principal, STORE_PRINCIPAL_MAX, 0)) != 0 ||
	    (r = store_check_text(project, STORE_PROJECT_MAX, 0)) != 0)
		return r;
	store_lock(st);
	if ((r = store_begin(st, 1)) == 0)
		r = store_end(st, totp_check(st, principal, project, right, step, reused, failures));
	return store_unlock(st, r);
}

static gpg_error_t
totp_reset(struct store *st, const char *principal, int forget)
{
	sqlite3_stmt *s = store_q(st, Q_FAIL_CLEAR_ALL);
	gpg_error_t r;

	store_bind_text(s, 1, principal);
	if ((r = store_exec(st, s, "reset totp failures")) != 0 || !forget)
		return r;
	s = store_q(st, Q_TOTP_DELETE);
	store_bind_text(s, 1, principal);
	return store_exec(st, s, "forget totp");
}

gpg_error_t
store_totp_reset(struct store *st, const char *principal, int forget)
{
	gpg_error_t r;

	if ((r = store_check_text(principal, STORE_PRINCIPAL_MAX, 0)) != 0)
		return r;
	store_lock(st);
	if ((r = store_begin(st, 1)) == 0)
		r = store_end(st, totp_reset(st, principal, forget));
	return store_unlock(st, r);
}
