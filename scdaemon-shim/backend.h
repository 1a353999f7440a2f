/* backend.h — signet-scd's link to signet-policyd, and the key cache.
 *
 * Connections (common/pdclient.h) are kept for reuse, up to
 * BACKEND_POOL_MAX idle ones, each for at most BACKEND_IDLE_SEC; before a
 * reuse the connection is checked for EOF, so a restarted policyd is picked
 * up without restarting gpg-agent.  A failed
 * connection fails at once (no retry loop) with SIGNET_ERR_NO_POLICYD and a
 * log line that says what to do.  policyd's own error codes are passed on
 * with their source changed to GPG_ERR_SOURCE_SCD; its reason text is
 * logged (gpg would throw it away).
 *
 * The key cache (KEYLIST + READKEY) is shared by all connections and
 * thread-safe; it survives policyd outages so that SERIALNO, KEYINFO and
 * READKEY keep answering (scd-protocol §6.3: any failure there makes
 * gpg-agent 2.4 prompt for the card).  With a cache file (keycache.h) it
 * also survives a restart of signet-scd while policyd is down. */
#ifndef SIGNET_SCD_BACKEND_H
#define SIGNET_SCD_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#include "card.h"
#include "hashalgo.h"

/* A cache older than this is refreshed by the next listing command. */
#define BACKEND_CACHE_TTL_SEC 30
/* A lookup that misses refreshes at most this often (a storm of unknown
 * keygrips must not become a storm of policyd connections). */
#define BACKEND_MISS_INTERVAL_SEC 2
/* Idle connections kept for reuse, and for how long (policyd closes idle
 * connections itself after POLICYD_IDLE_TIMEOUT_SEC). */
#define BACKEND_POOL_MAX 2
#define BACKEND_IDLE_SEC 20
/* A policyd that stops answering must give gpg an error, not a hang:
 * every request but SIGN gets BACKEND_TIMEOUT_SEC for its whole answer;
 * SIGN may take as long as policyd keeps sending its heartbeat (S PROGRESS
 * every 5 s while a request works), and fails once BACKEND_SIGN_SILENCE_SEC
 * pass without a line. */
#define BACKEND_TIMEOUT_SEC 10
#define BACKEND_SIGN_SILENCE_SEC 15
#define BACKEND_MAX_SIG 1024           /* RSA-8192 would fit */

struct backend;

enum backend_refresh {
	BACKEND_REFRESH_FORCE,   /* always (LEARN) */
	BACKEND_REFRESH_STALE,   /* if older than BACKEND_CACHE_TTL_SEC */
	BACKEND_REFRESH_MISS,    /* a lookup failed: rate-limited */
};

/* SOCKET: policyd's socket path; SERIAL: this card's serial (both copied). */
gpg_error_t backend_new(const char *socket, const char *serial, struct backend **be);
void backend_free(struct backend *be);

/* Keep the key cache in PATH (copied) as well: load it now, before any
 * refresh, so that listings answer while policyd is unreachable; then
 * rewrite it after each successful refresh that changed the key set (or
 * when the file is missing, or did not hold every key).  A missing file,
 * one for another serial or a malformed one is logged and ignored; the
 * first successful refresh replaces what was loaded.  Call once, at
 * start-up, before the server threads run.  Returns 0, or ENOMEM /
 * GPG_ERR_INV_VALUE (then no file is used). */
gpg_error_t backend_use_cache_file(struct backend *be, const char *path);

/* Re-read the key list from policyd as WHEN says.  *CHANGED (may be NULL) is
 * set to 1 when the set of keys differs from before.  On failure the cache
 * is kept and the mapped error is returned.  No refresh due: 0, except
 * within BACKEND_MISS_INTERVAL_SEC of a failed one, whose error is returned
 * again (a down policyd is not asked again on every command). */
gpg_error_t backend_refresh(struct backend *be, enum backend_refresh when, int *changed);

/* A copy of the cached keys into OUT (free with card_keylist_clear). */
gpg_error_t backend_keys(struct backend *be, struct card_keylist *out);

/* Look REF up (card_keylist_find); on a miss refresh (rate-limited) and look
 * again.  A copy goes to *KEY.  If the key is not known and policyd cannot
 * be reached, the connection error is returned: "Connection refused" says
 * more than "No secret key".  A legacy "SIGNET.<project>" keyref (a stub
 * made before signing subkeys) that is still not found resolves to the
 * project's primary key, read from its certificate (policyd CERT): that is
 * the key the stub names, whether or not policyd still signs with it. */
gpg_error_t backend_find_key(struct backend *be, const char *ref, struct card_key *key);

/* Make sure KEY carries its public key S-expression: from the cache, else
 * from policyd READKEY (then cached). */
gpg_error_t backend_key_sexp(struct backend *be, struct card_key *key);

/* Who hears that a SIGN waits for approvers: policyd sends `S REQUEST
 * <id> <needed> <approvers…>` before it parks the SIGN.  REQUEST gets the
 * words after the keyword.  It returning non-zero gives up the signature:
 * backend_sign hangs up on policyd at once (policyd then cancels the
 * waiting request) and returns that error. */
struct backend_wait {
	gpg_error_t (*request)(void *opaque, const char *args);
	void *opaque;
};

/* Ask policyd to sign DIGEST (ALGO's length) with KEY, named by project and
 * keygrip (SIGN --key=<grip>): policyd signs with exactly that key or
 * refuses.  OTP (NULL: none) is the user's one-time code, 6 digits
 * (checked here: anything else is SIGNET_ERR_OTP_WRONG without asking);
 * without one, a project with second_factor = totp answers
 * SIGNET_ERR_OTP_NEEDED.  WAIT (NULL: nobody) hears of a wait for
 * approvers.  The signature goes to SIG (BACKEND_MAX_SIG bytes), *SIGLEN. */
gpg_error_t backend_sign(struct backend *be, const struct card_key *key, const struct hashalgo *algo,
                         const uint8_t *digest, size_t digest_len, const char *otp,
                         const struct backend_wait *wait, uint8_t *sig, size_t *siglen);

/* The caller's second factor on PROJECT (TOTP STATUS): *REQUIRED 1 when
 * the project signs only with a one-time code, *LEFT the tries left
 * before it locks (max - failures). */
gpg_error_t backend_totp_status(struct backend *be, const char *project, int *required,
                                unsigned *left);

#endif
