/* hsmkey.h — signet-tsa's signing key on a PKCS#11 token (SoftHSM2 in the
 * embedded default).  The key is an EVP_PKEY made from the certificate's
 * public key with an RSA_METHOD / EC_KEY_METHOD of ours, so that OpenSSL's
 * TS code signs through it unchanged; every worker thread that signs gets
 * its own PKCS#11 session (the module is initialised with
 * CKF_OS_LOCKING_OK, the login is per application).  The token work is
 * the PKCS#11 layer in common/ that signet-policyd uses too (p11mod,
 * p11token, p11login, p11find, p11gen, p11sign): a dropped login is
 * restored and the signature retried once. */
#ifndef SIGNET_TSA_HSMKEY_H
#define SIGNET_TSA_HSMKEY_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>
#include <openssl/evp.h>
#include <openssl/x509.h>


struct hsmkey;

struct hsmkey_params {
	const char *uri;           /* pkcs11:token=…;object=… (RFC 7512) */
	const char *module;        /* absolute path of the PKCS#11 module */
	const char *pin_file;      /* 0600, owned by us, the PIN on one line */
	const char *softhsm2_conf; /* may be NULL: exported as SOFTHSM2_CONF */
	X509 *cert;                /* the key's certificate (borrowed); hsmkey_open only */
};

/* Key pairs hsmkey_generate makes (Ed25519: the audit key only,
 * tsa/auditkey.h; never a time-stamping key). */
enum hsmkey_algo { HSMKEY_ALGO_NONE = 0, HSMKEY_ALGO_ECP256, HSMKEY_ALGO_RSA3072, HSMKEY_ALGO_ED25519 };

/* Load the module, find the token, log in once, find the private key (RSA
 * or EC P-256) matching the certificate's public key and check it with one
 * signature.  *KEY (EVP_PKEY_free) signs on the token for as long as *HK
 * lives.  On error ERR holds the reason (never the PIN). */
gpg_error_t hsmkey_open(const struct hsmkey_params *p, struct hsmkey **hk, EVP_PKEY **key,
                        char *err, size_t errlen);

/* Load the module, find the token named by P->uri (token=) and log in
 * with P->pin_file; P->cert is not used.  Keys are then opened with
 * hsmkey_load and made with hsmkey_generate.  On error ERR holds the reason
 * (never the PIN). */
gpg_error_t hsmkey_login(const struct hsmkey_params *p, struct hsmkey **hk, char *err, size_t errlen);

/* The private key labelled LABEL (and with CKA_ID ID when IDLEN > 0) on
 * HK's token, RSA or EC P-256: *KEY (EVP_PKEY_free, before hsmkey_close)
 * carries the public key read from the token's public key object with the
 * same label and CKA_ID, and signs on the token; one test signature checks
 * that the two belong together.  GPG_ERR_NOT_FOUND (ERR "no private key
 * object …") when there is no such private key, GPG_ERR_NO_PUBKEY when its
 * public key object is missing; at most 4 keys per HK. */
gpg_error_t hsmkey_load(struct hsmkey *hk, const char *label, const uint8_t *id, size_t idlen,
                        EVP_PKEY **key, char *err, size_t errlen);

/* Generate a key pair ALGO on HK's token (C_GenerateKeyPair): both objects
 * token objects labelled LABEL with the CKA_ID ID (IDLEN > 0) or a new
 * random 16-byte one; the private key private, sensitive, not extractable,
 * for signing only.  Does not check whether LABEL exists already. */
gpg_error_t hsmkey_generate(struct hsmkey *hk, const char *label, const uint8_t *id, size_t idlen,
                            enum hsmkey_algo algo, char *err, size_t errlen);

/* A pure Ed25519 key on HK's token, not an EVP_PKEY: OpenSSL's TS code
 * never signs with it.  Lives as long as HK. */
struct hsmkey_obj;

/* The single Ed25519 private key labelled LABEL on HK's token: *OBJ, and
 * PUB gets its public key (the CKA_EC_POINT of the public key object with
 * the same label and CKA_ID).  GPG_ERR_NOT_FOUND when there is none (ERR
 * "no private key object …"), GPG_ERR_AMBIGUOUS for several,
 * GPG_ERR_WRONG_PUBKEY_ALGO for a key of another type, GPG_ERR_NO_PUBKEY
 * without its public key object.  Counts as one of HK's 4 keys. */
gpg_error_t hsmkey_load_ed25519(struct hsmkey *hk, const char *label, struct hsmkey_obj **obj,
                                uint8_t pub[32], char *err, size_t errlen);

/* Pure Ed25519 (CKM_EDDSA) of the LEN bytes at MSG with OBJ on this
 * thread's session: SIG gets R || S.  A dropped login is restored and the
 * signature tried once more.  SIGNET_ERR_HSM with ERR on failure. */
gpg_error_t hsmkey_sign_ed25519(struct hsmkey_obj *obj, const uint8_t *msg, size_t len, uint8_t sig[64],
                                char *err, size_t errlen);

/* Make the token P->uri names (token=) when the module has none of that
 * label: C_InitToken on a free slot with the SO PIN from SO_PIN_FILE,
 * then the user PIN from P->pin_file (C_InitPIN).  *CREATED says whether
 * it did; an existing token is left alone (no PIN file is read then).
 * On error ERR holds the reason (never a PIN). */
gpg_error_t hsmkey_init_token(const struct hsmkey_params *p, const char *so_pin_file, int *created,
                              char *err, size_t errlen);

/* Close the sessions and unload the module; NULL is fine.  Free the
 * EVP_PKEY first. */
void hsmkey_close(struct hsmkey *hk);

#endif
