/* hsmkey.h — signet-tsa's signing key on a PKCS#11 token (SoftHSM2 in the
 * embedded default).  The key is an EVP_PKEY made from the certificate's
 * public key with an RSA_METHOD / EC_KEY_METHOD of ours, so that OpenSSL's
 * TS code signs through it unchanged; every worker thread that signs gets
 * its own PKCS#11 session (the module is initialised with
 * CKF_OS_LOCKING_OK, the login is per application). */
#ifndef SIGNET_TSA_HSMKEY_H
#define SIGNET_TSA_HSMKEY_H

#include <stddef.h>
#include <gpg-error.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define HSMKEY_MAX_PIN 256

struct hsmkey;

struct hsmkey_params {
	const char *uri;           /* pkcs11:token=…;object=… (RFC 7512) */
	const char *module;        /* absolute path of the PKCS#11 module */
	const char *pin_file;      /* 0600, owned by us, the PIN on one line */
	const char *softhsm2_conf; /* may be NULL: exported as SOFTHSM2_CONF */
	X509 *cert;                /* the key's certificate (borrowed) */
};

/* Load the module, find the token, log in once, find the private key (RSA
 * or EC P-256) matching the certificate's public key and check it with one
 * signature.  *KEY (EVP_PKEY_free) signs on the token for as long as *HK
 * lives.  On error ERR holds the reason (never the PIN). */
gpg_error_t hsmkey_open(const struct hsmkey_params *p, struct hsmkey **hk, EVP_PKEY **key,
                        char *err, size_t errlen);

/* Close the sessions and unload the module; NULL is fine.  Free the
 * EVP_PKEY first. */
void hsmkey_close(struct hsmkey *hk);

#endif
