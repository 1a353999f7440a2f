/* receipt.h — an audit receipt (doc/audit-format.md §10): one record of a
 * trail, its inclusion proof and the signed checkpoint that covers it, so
 * that anyone with the audit key's verifier key can check offline that
 * the record is in the log.  `signet audit prove` encodes one,
 * `signet audit check-receipt` decodes and checks it. */
#ifndef SIGNET_AGENT_RECEIPT_H
#define SIGNET_AGENT_RECEIPT_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>
#include <jansson.h>

#include "merkle.h"
#include "signednote.h"
#include "sigextract.h"

#define RECEIPT_TYPE    "signet-audit-receipt"
#define RECEIPT_VERSION 1
/* A receipt file: a record (< 64 KiB, escaped at most 6 times over), a
 * note and a proof. */
#define RECEIPT_MAX (512 * 1024)

struct receipt {
	const char *trail;            /* "policyd" or "tsa" */
	const char *record;           /* the record line, no line feed */
	size_t record_len;
	uint64_t leaf_index;
	uint64_t tree_size;           /* inclusion: the checkpoint's size */
	uint8_t leaf_hash[MERKLE_HASH_LEN];
	uint8_t root[MERKLE_HASH_LEN];
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	size_t proof_len;
	const char *note;             /* the checkpoint's whole signed note */
	size_t note_len;
	enum sigextract_kind kind;
	const char *value;            /* sigextract_value()'s form */
};

/* The trail a signature of KIND is recorded in. */
const char *receipt_trail(enum sigextract_kind kind);

/* R as JSON text (*OUT, free() it). */
gpg_error_t receipt_encode(const struct receipt *r, char **out);

/* Parse TEXT (LEN bytes) into *R, whose strings point into *ROOT
 * (json_decref it after).  Every member is required and no other is
 * allowed.  GPG_ERR_INV_DATA with ERR naming the member otherwise. */
gpg_error_t receipt_decode(const char *text, size_t len, json_t **root, struct receipt *r, char *err,
                           size_t errlen);

/* Check R with the verifier key KEY: the record's leaf hash, the proof to
 * the root of the checkpoint note (whose signature KEY must make), the
 * sizes and indexes, and that the record issued R's signature value; with
 * SX (may be NULL) also that SX is that signature.  0, or
 * GPG_ERR_BAD_SIGNATURE / GPG_ERR_BAD_DATA with ERR naming the first
 * thing that did not match. */
gpg_error_t receipt_check(const struct receipt *r, const struct note_vkey *key,
                          const struct sigextract *sx, char *err, size_t errlen);

#endif
