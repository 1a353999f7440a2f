/* init.h — signet-tsa --init and --import: put the TSA key on the token
 * and give it a certificate (from a local test CA, or from a real CA via a
 * CSR and --import).  What `signet tsa init` runs. */
#ifndef SIGNET_TSA_INIT_H
#define SIGNET_TSA_INIT_H

#include <stddef.h>
#include <gpg-error.h>

#include "hsmkey.h"
#include "tsa.h"

/* --init: the key named by CFG's key = pkcs11:… is generated on the token
 * when missing (ALGO, or EC P-256 for HSMKEY_ALGO_NONE; an existing key of
 * another ALGO is an error).  With CSR, a PKCS#10 request for it is written
 * to CSR and nothing else; without, a local test CA (its key on the token
 * too) issues the TSA certificate, written to CFG's cert and ca (nothing is
 * changed when cert already verifies against ca for this key).  Progress
 * goes to stdout; on error ERR says what failed and what to do, and the
 * files named by the configuration are unchanged. */
gpg_error_t tsa_init_run(const struct tsa_config *cfg, enum hsmkey_algo algo, const char *csr,
                         char *err, size_t errlen);

/* --import CERT --ca CA: CERT (PEM: the TSA certificate, then any
 * intermediates) must be for the token key, carry extendedKeyUsage
 * timeStamping alone and critical, and verify against CA; then it is
 * written to CFG's cert (and chain) and CA to its ca.  On error ERR says
 * what failed and nothing is written. */
gpg_error_t tsa_import_run(const struct tsa_config *cfg, const char *cert, const char *ca,
                           char *err, size_t errlen);

/* "ecp256" / "rsa3072" → the algorithm; HSMKEY_ALGO_NONE if unknown. */
enum hsmkey_algo tsa_init_parse_algo(const char *s);

#endif
