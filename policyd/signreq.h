/* signreq.h — one SIGN request: parsed from its line, checked against a
 * configuration snapshot, signed on the HSM, audited and answered.
 *
 * A request may wait for approvals (engine.h): it then outlives its
 * request line, so it holds copies of everything it was asked, and it is
 * checked again against the snapshot in force when it resumes (a reload
 * meanwhile may have removed the signer or the project). */
#ifndef SIGNET_POLICYD_SIGNREQ_H
#define SIGNET_POLICYD_SIGNREQ_H

#include <stddef.h>
#include <stdint.h>
#include <assuan.h>
#include <gpg-error.h>

#include "audit.h"
#include "denials.h"
#include "hashalgo.h"
#include "pgpkey.h"
#include "policyd.h"
#include "store.h"

#define SIGNREQ_OTP_MAX 16

struct sign_req {
	struct audit_event ev;             /* points into this struct and the snapshot */
	/* What was asked (signreq_parse). */
	char project[PROJECT_NAME_MAX + 1];
	char grip[PGPKEY_GRIP_HEX];        /* --key; "" if not given */
	char otp[SIGNREQ_OTP_MAX];         /* --otp; "" if not given */
	char vis[80];                      /* --hash as given, made printable */
	const struct hashalgo *algo;
	uint8_t digest[HASHALGO_MAX_DIGEST];
	size_t digest_len;
	char principal[STORE_PRINCIPAL_MAX];   /* the requester: "user:alice" */
	/* What the snapshot says (signreq_check). */
	const struct project *p;
	const struct hsm_key *key;         /* the signing key chosen (never a subkey project's primary) */
	const struct pgpkey *pub;
	const struct principal *who;       /* the signer entry that matched */
	/* The outcome. */
	const char *code;                  /* reason code of a refusal ("not_signer") */
	char why[POLICYD_MAX_ERRTEXT];     /* the reason, for the answer and the record */
	char next[DENIAL_NEXT_MAX];        /* what to do next ("" if nothing) */
	int64_t audit_expected;            /* when signreq_sign announced its record (audit_expect); 0: not */
};

/* Refuse REQ: its WHY from FMT, its audit reason code NAME and what to
 * do NEXT (NULL: nothing); returns CODE. */
gpg_err_code_t signreq_refuse(struct sign_req *req, gpg_err_code_t code, const char *name, const char *next,
                              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Parse a SIGN line of connection C into REQ (zeroed by the caller).
 * 0, or the error code with REQ->why set. */
gpg_err_code_t signreq_parse(const struct conn *c, char *line, struct sign_req *req);

/* The checks of SIGN against C's snapshot, in order: project, signer,
 * signing key (--key: the current subkey or one in its overlap, never the
 * primary), hash policy, digest length.  Fills REQ as far as it got, so a
 * refusal is audited with what was asked.  0 if the request may go on to
 * the engine, else the error code (REQ->why, REQ->code say why). */
gpg_err_code_t signreq_check(const struct conn *c, struct sign_req *req);

/* Sign a checked REQ on the HSM into SIG (SIGMAX bytes), *SIGLEN: 0, or
 * SIGNET_ERR_HSM with REQ->why set. */
gpg_err_code_t signreq_sign(const struct conn *c, struct sign_req *req, uint8_t *sig, size_t sigmax,
                            size_t *siglen);

/* Audit REQ's outcome CODE (a refusal through the coalescing denylog,
 * remembered for WHY) and answer on CTX: the signature SIG (SIGLEN) when
 * CODE is 0 and the record is durable, else ERR.  Returns the command's
 * result. */
gpg_error_t signreq_finish(assuan_context_t ctx, struct conn *c, struct sign_req *req, gpg_err_code_t code,
                           const uint8_t *sig, size_t siglen);

#endif
