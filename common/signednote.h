/* signednote.h — C2SP signed notes with Ed25519 keys and the C2SP
 * tlog-checkpoint text they carry: the audit trail's checkpoints
 * (doc/audit-format.md §9.2).
 *
 *   text:  "<origin>\n<size>\n<base64 root>\n"   (a checkpoint; extension
 *          lines after the root are allowed when reading, never written)
 *   note:  text "\n" then one or more signature lines
 *          "\xe2\x80\x94 <name> <base64(keyhash[4] || sig[64])>\n"
 *   key hash = SHA-256(name || "\n" || 0x01 || pub[32])[0:4], big-endian
 *   vkey   = "<name>+<8 hex keyhash>+<base64(0x01 || pub[32])>"
 *
 * Signing is the caller's (the HSM holds the key): NOTE_SIGN_FN gets the
 * exact text bytes.  Verification uses OpenSSL's Ed25519.  Every parser
 * here takes explicit lengths, refuses input over its limit unread and
 * names what was wrong in *WHY (a static string). */
#ifndef SIGNET_SIGNEDNOTE_H
#define SIGNET_SIGNEDNOTE_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#define NOTE_MAX_LEN    8192   /* a whole note: text + signature lines */
#define NOTE_MAX_NAME   128    /* key name / origin bytes */
#define NOTE_MAX_SIGS   16     /* signature lines read; more is refused */
#define NOTE_MAX_VKEY   (NOTE_MAX_NAME + 1 + 8 + 1 + 48 + 1)
#define NOTE_ED25519_PUB 32
#define NOTE_ED25519_SIG 64
#define NOTE_ALG_ED25519 0x01

/* Sign the LEN bytes at MSG with the Ed25519 audit key: SIG gets R || S. */
typedef gpg_error_t (*note_sign_fn)(void *ctx, const uint8_t *msg, size_t len,
                                    uint8_t sig[NOTE_ED25519_SIG]);

struct note_vkey {
	char name[NOTE_MAX_NAME + 1];
	uint32_t hash;
	uint8_t pub[NOTE_ED25519_PUB];
};

/* A checkpoint's content. */
struct note_checkpoint {
	char origin[NOTE_MAX_NAME + 1];
	uint64_t size;
	uint8_t root[32];
};

/* 0 if NAME is a valid key name / origin: 1..NOTE_MAX_NAME bytes of
 * printable ASCII (0x21-0x7E) without '+'; -1 else.  (What we write;
 * signature lines of other keys are read with Go's wider rule.) */
int note_name_ok(const char *name);

/* note_name_ok() with the refusal worded for a user: ERR (ERRLEN bytes)
 * gets "WHAT \"NAME\": 1 to 128 printable ASCII …" and the result is
 * GPG_ERR_INV_NAME; 0 for a good NAME. */
gpg_error_t note_name_check(const char *name, const char *what, char *err, size_t errlen);

uint32_t note_key_hash(const char *name, const uint8_t pub[NOTE_ED25519_PUB]);

/* Write the vkey of NAME/PUB into OUT (OUTLEN bytes; NOTE_MAX_VKEY do). */
gpg_error_t note_vkey_format(const char *name, const uint8_t pub[NOTE_ED25519_PUB], char *out,
                             size_t outlen);
/* Parse the vkey S (LEN bytes, no line feed) into *K, checking that its
 * key hash matches its name and key; GPG_ERR_INV_DATA with *WHY else. */
gpg_error_t note_vkey_parse(const char *s, size_t len, struct note_vkey *k, const char **why);

/* Make the signed checkpoint note of CP, signed by SIGN as key NAME/PUB:
 * *NOTE (malloc'd, NUL-terminated, *LEN bytes without the NUL). */
gpg_error_t note_checkpoint_sign(const struct note_checkpoint *cp, const char *name,
                                 const uint8_t pub[NOTE_ED25519_PUB], note_sign_fn sign, void *ctx,
                                 char **note, size_t *len);

/* Verify the note NOTE (LEN bytes) with KEY: 0 when a signature line by
 * KEY (name and key hash) verifies over the text; then, if CP is not NULL,
 * parse the text as a checkpoint into *CP.  GPG_ERR_BAD_SIGNATURE when
 * KEY's signature is absent or wrong, GPG_ERR_INV_DATA for a malformed
 * note or checkpoint; *WHY names the fault. */
gpg_error_t note_checkpoint_verify(const char *note, size_t len, const struct note_vkey *key,
                                   struct note_checkpoint *cp, const char **why);

/* The generic layer under the two above, for any note text.
 *
 * note_sign: TEXT (TEXTLEN bytes, ending in a line feed, no NUL) signed by
 * SIGN as key NAME/PUB into *NOTE (malloc'd, NUL-terminated, *LEN bytes
 * without the NUL).  The note is verified with PUB before it is returned:
 * GPG_ERR_BAD_SIGNATURE if SIGN's signature does not verify (wrong key,
 * broken token); GPG_ERR_TOO_LARGE over NOTE_MAX_LEN; SIGN's own error.
 *
 * note_verify: the reading rules of C2SP signed-note — UTF-8 without
 * control characters but the line feed, at most NOTE_MAX_LEN bytes, ends
 * in a line feed, the text ends at the last blank line, then 1 to
 * NOTE_MAX_SIGS signature lines, each well formed.  Lines by other keys
 * (another name, or another key hash) are skipped; exactly one line must
 * be KEY's and verify over the text.  *TEXTLEN (may be NULL) gets the
 * text's length (through its last line feed).  Errors as
 * note_checkpoint_verify's. */
gpg_error_t note_sign(const char *text, size_t textlen, const char *name, const uint8_t pub[NOTE_ED25519_PUB],
                      note_sign_fn sign, void *ctx, char **note, size_t *len);
gpg_error_t note_verify(const char *note, size_t len, const struct note_vkey *key, size_t *textlen,
                        const char **why);

/* Check a signer before it is trusted with checkpoints: one note signed
 * by SIGN as NAME/PUB over a fixed text must verify with PUB (a token
 * whose private and public objects do not belong together fails here,
 * at start-up, not at the first checkpoint).  0, or note_sign's error. */
gpg_error_t note_signer_check(const char *name, const uint8_t pub[NOTE_ED25519_PUB], note_sign_fn sign,
                              void *ctx);

/* Parse the checkpoint text of NOTE (LEN bytes) without checking any
 * signature (to show an unverifiable note, or to find its origin).  The
 * note's form is checked as note_verify does, but not its signature
 * lines.  Text: origin (1..NOTE_MAX_NAME bytes), size (decimal, no
 * leading zeros), root (canonical base64 of 32 bytes), then any number of
 * non-empty extension lines. */
gpg_error_t note_checkpoint_parse(const char *note, size_t len, struct note_checkpoint *cp,
                                  const char **why);

#endif
