/* hsm.h — everything signet-policyd does with the PKCS#11 token.
 *
 * The only file of policyd that talks to the PKCS#11 module is hsm.c, so
 * the interface here is small enough to move into a helper process later
 * (STYLE.md practice 14).  hsm.c is thin over the PKCS#11 layer in common/
 * (p11mod, p11token, p11login, p11pool, p11find, p11gen, p11sign), which
 * signet-tsa uses too: the module is loaded with CKF_OS_LOCKING_OK, the
 * user login is kept and restored when the token drops it, and signing
 * and key generation run on a pool of sessions so that concurrent signers
 * run in parallel.  All functions are thread-safe after hsm_open()
 * returns.
 *
 * Errors: SIGNET_ERR_HSM (GPG_ERR_HARDWARE) for module/token failures, with
 * a reason in ERR (ERRLEN bytes) naming the PKCS#11 step and CKR_ code. */
#ifndef SIGNET_POLICYD_HSM_H
#define SIGNET_POLICYD_HSM_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#define HSM_MAX_SESSIONS   16    /* PKCS#11 sessions kept for concurrent signers */
#define HSM_MAX_LABEL      96    /* key labels Signet creates (project names; "NAME:sign:EPOCH") */
#define HSM_MAX_ID         32    /* CKA_ID bytes looked up */
#define HSM_KEY_ID_LEN     8     /* CKA_ID of keys Signet generates */
#define HSM_MAX_SIG        512   /* RSA-4096 */

struct hsm;
struct hsm_key;

/* Check that MODULE is an absolute path of a regular file; *REAL gets its
 * realpath() (free()). */
gpg_error_t hsm_check_module(const char *module, char **real, char *err, size_t errlen);

/* Load MODULE, find the initialised token labelled TOKEN, log in as user
 * with the PIN read from PIN_FILE (wiped from memory afterwards) and open
 * the session pool.  SOFTHSM2_CONF must be set by the caller beforehand. */
gpg_error_t hsm_open(const char *module, const char *token, const char *pin_file,
                     struct hsm **hsm, char *err, size_t errlen);
/* Close every session and unload the module.  NULL is fine. */
void hsm_close(struct hsm *hsm);

/* The key types Signet generates and signs with (issue 9).  The
 * functions below hsm_keygen_rsa() take every type; a key found on the
 * token knows its own (CKA_KEY_TYPE, and for EC keys the curve named by
 * CKA_EC_PARAMS). */
enum hsm_keytype {
	HSM_KT_NONE = 0,
	HSM_KT_RSA,
	HSM_KT_P256,      /* CKK_EC, secp256r1; signs with CKM_ECDSA */
	HSM_KT_P384,      /* CKK_EC, secp384r1; signs with CKM_ECDSA */
	HSM_KT_ED25519,   /* CKK_EC_EDWARDS, Ed25519; signs with CKM_EDDSA */
};
#define HSM_MAX_EC_POINT 97   /* 0x04 || X || Y of P-384 */

/* The label of the audit key (policyd/auditkey.h), which signs audit
 * checkpoints and nothing else: hsm_find_key never hands it out, however
 * it is named (a project whose key URI names its label or its CKA_ID is
 * refused), and only hsm_find_audit_key does. */
#define HSM_AUDIT_LABEL "#signet-audit"

/* Find the single private key with LABEL (may be NULL) and/or ID
 * (ID_LEN 0: any).  GPG_ERR_NOT_FOUND if there is none, GPG_ERR_AMBIGUOUS
 * if several match, GPG_ERR_WRONG_KEY_USAGE for the audit key.  *KEY is
 * freed with hsm_key_free(). */
gpg_error_t hsm_find_key(struct hsm *hsm, const char *label, const uint8_t *id, size_t id_len,
                         struct hsm_key **key, char *err, size_t errlen);
/* The single private key labelled HSM_AUDIT_LABEL, as hsm_find_key
 * finds keys (for auditkey.c only). */
gpg_error_t hsm_find_audit_key(struct hsm *hsm, struct hsm_key **key, char *err, size_t errlen);
void hsm_key_free(struct hsm_key *key);
/* The type of KEY (HSM_KT_NONE: a type Signet does not use). */
enum hsm_keytype hsm_key_type(const struct hsm_key *key);
/* The public key of an EC or Ed25519 KEY: for P-256/P-384 the
 * uncompressed SEC1 point 0x04 || X || Y, for Ed25519 the 32 bytes of the
 * public key (CKA_EC_POINT's DER OCTET STRING wrapper removed).
 * GPG_ERR_WRONG_PUBKEY_ALGO for an RSA KEY. */
gpg_error_t hsm_key_ec_point(struct hsm *hsm, const struct hsm_key *key, uint8_t *q, size_t qmax,
                             size_t *q_len, char *err, size_t errlen);

/* Modulus and public exponent of KEY, big-endian. */
gpg_error_t hsm_key_public(struct hsm *hsm, const struct hsm_key *key,
                           uint8_t *n, size_t nmax, size_t *n_len,
                           uint8_t *e, size_t emax, size_t *e_len, char *err, size_t errlen);

/* PKCS#1 v1.5 (CKM_RSA_PKCS) signature of IN (a DigestInfo, IN_LEN bytes)
 * into SIG (SIGMAX bytes); *SIGLEN gets the modulus length.  Blocks while
 * all HSM_MAX_SESSIONS sessions are busy. */
gpg_error_t hsm_sign_rsa_pkcs1(struct hsm *hsm, const struct hsm_key *key,
                               const uint8_t *in, size_t in_len,
                               uint8_t *sig, size_t sigmax, size_t *siglen,
                               char *err, size_t errlen);

/* Generate an RSA key pair of BITS on the token: private key sensitive,
 * never extractable, CKA_LABEL LABEL and CKA_ID ID (ID_LEN bytes) on both
 * halves.  GPG_ERR_EEXIST if a private key with LABEL exists. */
gpg_error_t hsm_keygen_rsa(struct hsm *hsm, unsigned int bits, const char *label,
                           const uint8_t *id, size_t id_len, char *err, size_t errlen);

/* Generate a key pair of TYPE (BITS: RSA only, else 0) on the token, as
 * hsm_keygen_rsa() does: private key sensitive, never extractable, sign
 * only; CKA_LABEL LABEL and CKA_ID ID on both halves.  GPG_ERR_EEXIST if a
 * private key with LABEL exists. */
gpg_error_t hsm_keygen(struct hsm *hsm, enum hsm_keytype type, unsigned int bits, const char *label,
                       const uint8_t *id, size_t id_len, char *err, size_t errlen);
/* ECDSA (CKM_ECDSA) of the hash IN (IN_LEN bytes) with a P-256/P-384 KEY:
 * SIG gets r || s, each left-padded to the curve's size (32 or 48 bytes).
 * Blocks like hsm_sign_rsa_pkcs1() while every session is busy. */
gpg_error_t hsm_sign_ecdsa(struct hsm *hsm, const struct hsm_key *key, const uint8_t *in, size_t in_len,
                           uint8_t *sig, size_t sigmax, size_t *siglen, char *err, size_t errlen);
/* Pure Ed25519 (CKM_EDDSA, no parameters) of the message IN with an
 * Ed25519 KEY: SIG gets R || S, 64 bytes.  (OpenPGP's EdDSA signs the
 * hash of the data as the message.) */
gpg_error_t hsm_sign_eddsa(struct hsm *hsm, const struct hsm_key *key, const uint8_t *in, size_t in_len,
                           uint8_t *sig, size_t sigmax, size_t *siglen, char *err, size_t errlen);

/* AES-256 secret keys that seal data for policyd (TOTP secrets): the key
 * never leaves the token. */
#define HSM_GCM_IV_LEN  12
#define HSM_GCM_TAG_LEN 16

/* Find the AES secret key LABEL, generating it on the token when there is
 * none (CKA_TOKEN, sensitive, never extractable, encrypt and decrypt
 * only).  *KEY is freed with hsm_key_free(). */
gpg_error_t hsm_secret_key(struct hsm *hsm, const char *label, struct hsm_key **key,
                           char *err, size_t errlen);

/* AES-GCM (CKM_AES_GCM, 128-bit tag) of IN under KEY with IV
 * (HSM_GCM_IV_LEN bytes, never used twice with KEY) and AAD: OUT (OUTMAX
 * bytes) gets the ciphertext then the tag, *OUTLEN = INLEN +
 * HSM_GCM_TAG_LEN.  Decryption reverses it; a wrong tag (another AAD, a
 * changed byte) is GPG_ERR_BAD_DATA. */
gpg_error_t hsm_gcm_encrypt(struct hsm *hsm, const struct hsm_key *key, const uint8_t *iv,
                            const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t inlen,
                            uint8_t *out, size_t outmax, size_t *outlen, char *err, size_t errlen);
gpg_error_t hsm_gcm_decrypt(struct hsm *hsm, const struct hsm_key *key, const uint8_t *iv,
                            const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t inlen,
                            uint8_t *out, size_t outmax, size_t *outlen, char *err, size_t errlen);

/* Random bytes from the token's generator. */
gpg_error_t hsm_random(struct hsm *hsm, uint8_t *out, size_t len, char *err, size_t errlen);

/* Initialise a token labelled TOKEN on the first slot holding an
 * uninitialised token, with the SO PIN from SO_PIN_FILE, then set the user
 * PIN from PIN_FILE.  *CREATED is 0 (and nothing is done) when an
 * initialised token with that label already exists. */
gpg_error_t hsm_init_token(const char *module, const char *token, const char *so_pin_file,
                           const char *pin_file, int *created, char *err, size_t errlen);

#endif
