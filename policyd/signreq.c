/* signreq.c — see signreq.h. */
#include "signreq.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmdline.h"
#include "cmdutil.h"
#include "hex.h"
#include "keyops.h"
#include "log.h"
#include "policy.h"
#include "signet-err.h"

gpg_err_code_t
signreq_refuse(struct sign_req *req, gpg_err_code_t code, const char *name, const char *next,
               const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(req->why, sizeof(req->why), fmt, ap);
	va_end(ap);
	snprintf(req->next, sizeof(req->next), "%s", next != NULL ? next : "");
	req->code = name;
	return code;
}

gpg_err_code_t
signreq_parse(const struct conn *c, char *line, struct sign_req *req)
{
	struct cmd_opt opts[] = { { "hash", 1, 0, NULL }, { "key", 1, 0, NULL }, { "otp", 1, 0, NULL } };
	char *args[3];
	size_t nargs = 0;
	gpg_error_t r;

	snprintf(req->principal, sizeof(req->principal), "user:%s", c->user);
	if ((r = cmdline_parse(line, opts, 3, args, 3, &nargs)) != 0 || nargs != 2 ||
	    !opts[0].present || opts[0].value == NULL || (opts[1].present && opts[1].value == NULL) ||
	    (opts[2].present && opts[2].value == NULL))
		return signreq_refuse(req, r && gpg_err_code(r) == GPG_ERR_UNKNOWN_OPTION ? GPG_ERR_UNKNOWN_OPTION
		                                                                  : GPG_ERR_ASS_PARAMETER,
		              "bad_request", NULL, "usage: SIGN --hash=<algo> [--key=<keygrip>] [--otp=<code>] "
		              "<project> <digest-hex>");
	log_vis(opts[0].value, req->vis, sizeof(req->vis));
	req->algo = hashalgo_by_name(opts[0].value);
	req->ev.hash = req->algo ? req->algo->name : req->vis;
	if (!config_project_name_ok(args[0]))
		return signreq_refuse(req, GPG_ERR_ASS_PARAMETER, "bad_request", NULL,
		              "not a project name ([A-Za-z0-9._-], 1-64 characters)");
	snprintf(req->project, sizeof(req->project), "%s", args[0]);
	req->ev.project = req->project;
	if (opts[1].present) {
		if (!cmd_is_keygrip(opts[1].value))
			return signreq_refuse(req, GPG_ERR_ASS_PARAMETER, "bad_request", NULL,
			              "--key wants a keygrip (40 hex digits)");
		snprintf(req->grip, sizeof(req->grip), "%s", opts[1].value);
	}
	if (opts[2].present) {
		if (strlen(opts[2].value) >= sizeof(req->otp))
			return signreq_refuse(req, GPG_ERR_ASS_PARAMETER, "bad_request", NULL, "--otp is too long");
		snprintf(req->otp, sizeof(req->otp), "%s", opts[2].value);
		explicit_bzero((char *)opts[2].value, strlen(opts[2].value));   /* a pointer into LINE */
	}
	if (hex_decode(args[1], strlen(args[1]), req->digest, sizeof(req->digest), &req->digest_len) != 0)
		return signreq_refuse(req, GPG_ERR_ASS_PARAMETER, "bad_request", NULL,
		              "the digest is not hex of at most %d bytes", HASHALGO_MAX_DIGEST);
	req->ev.digest = req->digest;
	req->ev.digest_len = req->digest_len;
	return 0;
}

gpg_err_code_t
signreq_check(const struct conn *c, struct sign_req *req)
{
	struct requester rq;
	char signers[POLICYD_MAX_ERRTEXT / 2], next[sizeof(req->next)];
	gpg_error_t r;

	req->p = NULL;
	req->key = NULL;
	req->pub = NULL;
	req->who = NULL;
	req->ev.key_fpr = NULL;
	if ((req->p = project_table_find(c->snap->projects, req->project)) == NULL)
		return signreq_refuse(req, SIGNET_ERR_NO_KEY, "no_key", NULL, "no project %s (signet keylist shows yours)",
		              req->project);
	req->ev.key_fpr = req->p->pub.fpr;
	requester_init(&rq, c->pd->ids, c->uid);
	req->who = policy_find_principal(req->p->conf->signers, req->p->conf->nsigners, &rq);
	requester_release(&rq);
	if (req->who == NULL) {
		policy_format_principals(req->p->conf->signers, req->p->conf->nsigners, signers, sizeof(signers));
		snprintf(next, sizeof(next), "ask an admin to add you to the signers of project %.64s "
		         "(signet project set %.64s signers+=user:%.40s)", req->project, req->project, c->user);
		return signreq_refuse(req, SIGNET_ERR_DENIED, "not_signer", next, "user %s is not a signer of project %s "
		              "(signers: %s)", c->user, req->p->conf->name, signers);
	}
	if ((r = project_signing_key(req->p, req->grip[0] != '\0' ? req->grip : NULL, (int64_t)time(NULL),
	                             &req->key, &req->pub, req->why, sizeof(req->why))) != 0) {
		if (req->pub != NULL)
			req->ev.key_fpr = req->pub->fpr;   /* the expired subkey */
		req->code = gpg_err_code(r) == SIGNET_ERR_KEY_EXPIRED ? "key_expired" : "key_usage";
		snprintf(req->next, sizeof(req->next), "import the project's current certificate "
		         "(signet project export %s) and sign with its current subkey", req->project);
		return gpg_err_code(r);   /* else audited with the primary's fingerprint */
	}
	req->ev.key_fpr = req->pub->fpr;
	if ((r = policy_check_hash(req->p->conf, req->algo, req->why, sizeof(req->why))) != 0) {
		if (req->algo == NULL)
			snprintf(req->why, sizeof(req->why), "unknown hash algorithm \"%s\"", req->vis);
		req->code = "hash_not_allowed";
		snprintf(req->next, sizeof(req->next), "sign with a hash the project allows "
		         "(e.g. gpg --digest-algo SHA256)");
		return gpg_err_code(r);
	}
	if (req->digest_len != req->algo->digest_len)
		return signreq_refuse(req, GPG_ERR_ASS_PARAMETER, "bad_request", NULL, "a %s digest is %zu bytes, got %zu",
		              req->algo->name, req->algo->digest_len, req->digest_len);
	return 0;
}

gpg_err_code_t
signreq_sign(const struct conn *c, struct sign_req *req, uint8_t *sig, size_t sigmax, size_t *siglen)
{
	/* Its record follows: a sync due meanwhile may wait for it (group
	 * commit, audit.h). */
	req->audit_expected = audit_expect(c->pd->audit);
	if (keyops_sign_digest(c->pd->hsm, c->pd->ecv, req->key, req->pub, req->algo, req->digest, req->digest_len, sig, sigmax,
	                       siglen, req->why, sizeof(req->why)) != 0) {
		log_error("sign for project %s: %s", req->p->conf->name, req->why);
		req->code = "hsm";
		return SIGNET_ERR_HSM;
	}
	req->ev.signature = sig;
	req->ev.signature_len = *siglen;
	if (req->ev.grant > 0)
		snprintf(req->why, sizeof(req->why), "signer %s:%s, approved request %lld",
		         req->who->kind == PRINCIPAL_GROUP ? "group" : "user", req->who->name,
		         (long long)req->ev.grant);
	else
		snprintf(req->why, sizeof(req->why), "signer %s:%s",
		         req->who->kind == PRINCIPAL_GROUP ? "group" : "user", req->who->name);
	return 0;
}

gpg_error_t
signreq_finish(assuan_context_t ctx, struct conn *c, struct sign_req *req, gpg_err_code_t code,
               const uint8_t *sig, size_t siglen)
{
	uint64_t seq = 0;
	gpg_error_t ar;
	int written = 1;

	/* Not a refusal but the question for the code: signet-scd asks
	 * gpg-agent for it and signs again. */
	if (code == SIGNET_ERR_OTP_NEEDED)
		return cmd_fail(ctx, code, "%s", req->why);
	if (req->audit_expected && code != 0 && code != SIGNET_ERR_HSM)
		audit_expect_cancel(c->pd->audit);
	/* One record per request, granted or not; identical refusals are
	 * coalesced (denylog.h). */
	req->ev.event = code == 0 || code == SIGNET_ERR_HSM ? "sign" : "deny";
	req->ev.result = code == 0 ? "granted" : code == SIGNET_ERR_HSM ? "error" : "denied";
	req->ev.reason = req->why;
	req->ev.code = code != 0 ? req->code : NULL;
	if (code == 0 || code == SIGNET_ERR_HSM)
		ar = cmd_audit_request_as(c, &req->ev, req->audit_expected, &seq);
	else
		ar = cmd_audit_refusal(c, &req->ev, &seq, &written);
	if (code != 0) {
		if (written)
			log_info("deny uid %u (%s) project %s: %s", (unsigned)c->uid, c->user,
			         req->ev.project ? req->ev.project : "-", req->why);
		if (code != SIGNET_ERR_HSM)
			denials_record(c->pd->denials, c->uid, ar == 0 ? seq : 0, req->ev.project, req->code,
			               req->why, req->next);
		return cmd_fail(ctx, code, "%s", req->why);
	}
	if (ar != 0)   /* no record, no signature */
		return cmd_fail(ctx, SIGNET_ERR_AUDIT, "the audit trail could not be written (%s); "
		                "nothing was signed — tell the signet admin", gpg_strerror(ar));
	/* The record names the grant use and rate slot this took: it is
	 * their durable log (store.h, store_take), so the signature may
	 * leave before the store's own sync. */
	return assuan_send_data(ctx, sig, siglen);
}
