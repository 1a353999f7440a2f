/* card.h — the virtual OpenPGP card's model: the list of keys (one per
 * signing subkey the user may use: a project's current one, and an old one
 * during a rotation overlap), how gpg-agent names them, and the status lines
 * that describe them (scd-protocol §4).
 *
 * Everything here is a pure function over caller-owned memory: no I/O, no
 * locks, no other signet-scd module, so tests/unit/test_card.c links card.o
 * alone.  The shared, locked cache lives in backend.c. */
#ifndef SIGNET_SCD_CARD_H
#define SIGNET_SCD_CARD_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#include "config.h"
#include "pgpkey.h"
#include "serial.h"

/* Keyref of a key: "SIGNET.<project>.<key ID>", the key ID being the last
 * 16 hex digits of the key's fingerprint: one per key, and stable for as
 * long as the key exists, because gpg-agent 2.2 stores it in the stub and
 * sends it back to PKSIGN (scd-protocol §2.2, §5.7).  No spaces, '%' or '+'
 * (status lines are escaped).  Stubs made before subkeys hold the legacy
 * form "SIGNET.<project>", which named the project's primary key. */
#define CARD_KEYREF_PREFIX "SIGNET."
#define CARD_KEYID_HEX 16
#define CARD_KEYREF_MAX (sizeof(CARD_KEYREF_PREFIX) + PROJECT_NAME_MAX + 1 + CARD_KEYID_HEX)
#define CARD_ALGO_MAX 16
/* Two per project: the current signing subkey and the one before it during
 * a rotation overlap. */
#define CARD_MAX_KEYS (2 * CONFIG_MAX_PROJECTS)
/* Longest status text we build (KEYPAIRINFO / KEYINFO lines). */
#define CARD_LINE_MAX 256
/* Usage letters of every Signet key: sign + certify. */
#define CARD_USAGE "sc"

struct card_key {
	char project[PROJECT_NAME_MAX + 1];
	char keyref[CARD_KEYREF_MAX];
	char grip[PGPKEY_GRIP_HEX];        /* 40 upper-case hex */
	char fpr[PGPKEY_FPR_HEX];          /* 40 upper-case hex */
	char algo[CARD_ALGO_MAX];          /* as gpg names it: "rsa3072", "nistp256", "ed25519" */
	enum pgpkey_type type;
	unsigned int bits;                 /* of the modulus or the curve */
	uint32_t created;
	uint8_t sexp[PGPKEY_MAX_SEXP];     /* canonical public key */
	size_t sexp_len;                   /* 0: not fetched */
};

/* An owned array of keys, in the order policyd listed them. */
struct card_keylist {
	struct card_key *keys;
	size_t nkeys;
};

/* Parse the arguments of policyd's `S KEY <project> <keygrip> <algo>
 * <created> <fingerprint>` into KEY (sexp left empty).  GPG_ERR_INV_DATA on
 * any malformed field; nothing else is accepted (extra words too). */
gpg_error_t card_key_parse(const char *args, struct card_key *key);

/* Attach the canonical public-key S-expression SEXP to KEY after checking
 * that its keygrip and its fingerprint (at KEY->created) are the ones policyd
 * listed: GPG_ERR_BAD_PUBKEY on a mismatch, pgpkey errors otherwise. */
gpg_error_t card_key_set_sexp(struct card_key *key, const uint8_t *sexp, size_t len);

/* Append a copy of KEY.  A project may have several keys.  GPG_ERR_TOO_MANY
 * past CARD_MAX_KEYS, GPG_ERR_DUP_KEY for a keygrip or keyref already
 * present, ENOMEM. */
gpg_error_t card_keylist_add(struct card_keylist *kl, const struct card_key *key);
/* Make DST an independent copy of SRC (DST's old content is freed). */
gpg_error_t card_keylist_copy(struct card_keylist *dst, const struct card_keylist *src);
/* Free the keys; KL itself stays usable (empty).  NULL is fine. */
void card_keylist_clear(struct card_keylist *kl);
/* 1 if A and B list the same keys (project, grip, created) in any order. */
int card_keylist_same(const struct card_keylist *a, const struct card_keylist *b);

/* 1 if S is exactly 40 hex digits (either case). */
int card_is_keygrip(const char *s);

/* The keyref of the key of PROJECT with fingerprint FPR (40 hex) into OUT
 * (CARD_KEYREF_MAX bytes).  GPG_ERR_INV_VALUE for a bad name or
 * fingerprint. */
gpg_error_t card_keyref_make(const char *project, const char *fpr, char *out, size_t outlen);

/* The project named by a legacy "SIGNET.<project>" keyref (prefix matched
 * without regard to case, project exactly) into PROJECT (PROJECT_NAME_MAX+1
 * bytes).  GPG_ERR_INV_ID if REF is not of that form or the name is
 * invalid.  A current keyref "SIGNET.<project>.<key ID>" is also of that
 * form (dots are allowed in project names): look REF up in the key list
 * first (card_keylist_find), and only what is not there is legacy. */
gpg_error_t card_keyref_project(const char *ref, char *project, size_t projectlen);

/* Resolve a key reference as gpg-agent sends it (scd-protocol §5.7): a
 * keyref of a listed key (exact match), a keygrip, "$SIGNKEYID" and the
 * legacy "OPENPGP.1", "<serial>" (both: the first key) and
 * "<serial>/<fingerprint>".  SERIAL is this card's serial.  On success *KEY
 * points into KL.  A legacy "SIGNET.<project>" is not resolved here: it
 * names a primary key, which is never listed (backend.c looks it up).
 * Errors: GPG_ERR_WRONG_CARD (another card's serial), GPG_ERR_WRONG_SECKEY
 * (our serial, unknown fingerprint), GPG_ERR_NO_SECKEY (anything else). */
gpg_error_t card_keylist_find(const struct card_keylist *kl, const char *serial,
                              const char *ref, const struct card_key **key);

/* Escape a status value the way app-openpgp does: '%', '"', '+' and control
 * characters as %XX, space as '+'.  GPG_ERR_BUFFER_TOO_SHORT if it does not
 * fit (OUT is then ""). */
gpg_error_t card_status_escape(const char *in, char *out, size_t outlen);

/* "<grip> <keyref> sc <created> <algo>" (the 5-field form both 2.2 and 2.4
 * accept; scd-protocol §4.2). */
gpg_error_t card_format_keypairinfo(const struct card_key *key, char *out, size_t outlen);
/* "<grip> T <serial> <keyref> sc" */
gpg_error_t card_format_keyinfo(const struct card_key *key, const char *serial,
                                char *out, size_t outlen);
/* KEY-ATTR of slot SLOT as app-openpgp sends it: "<slot> 1 rsa<bits> 32 0",
 * "<slot> 19 NIST P-256", "<slot> 19 NIST P-384" or "<slot> 22 Ed25519". */
gpg_error_t card_format_keyattr(const struct card_key *key, int slot, char *out, size_t outlen);

/* Fixed values of the virtual card, already status-escaped. */
#define CARD_EXTCAP "gc=0+ki=0+fc=0+pd=0+mcl3=0+aac=0+sm=0+si=0+dec=0+bt=0+kdf=0"
#define CARD_CHV_STATUS "+1+127+127+127+3+0+3"
#define CARD_MANUFACTURER "65534 Signet"
#define CARD_READER "Signet+virtual+card"
#define CARD_APPTYPE "openpgp"

#endif
