/* tsa.h — signet-tsa, an RFC 3161 time-stamp authority: the interfaces
 * between its modules (tsaconf.c configuration, serial.c serial numbers,
 * clock.c clock check, resp.c replies, http.c HTTP).  main.c owns the one
 * daemon context and wires them together. */
#ifndef SIGNET_TSA_H
#define SIGNET_TSA_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <gpg-error.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "audit.h"

#define TSA_MAX_CONF        (64 * 1024)  /* signet-tsa.conf */
#define TSA_MAX_PEM         (256 * 1024) /* key, certificate or chain file */
#define TSA_MAX_REQ_BODY    16384        /* default max_body */
#define TSA_MAX_REQ_BODY_HARD (1024 * 1024) /* max_body may not exceed this */
#define TSA_MAX_POLICIES    16
#define TSA_MAX_THREADS     256
#define TSA_MAX_ERR         512
#define TSA_MAX_CONNS_HARD  65536        /* max_connections may not exceed this */
#define TSA_MAX_TIMEOUT_S   600          /* connection_timeout, request_timeout */

/* Accepted message-imprint digests (bit mask). */
#define TSA_DIGEST_SHA256   0x1u
#define TSA_DIGEST_SHA384   0x2u
#define TSA_DIGEST_SHA512   0x4u

enum tsa_clock_check { TSA_CLOCK_ADJTIMEX = 0, TSA_CLOCK_NONE };

/* ---- tsaconf.c ---------------------------------------------------------- */

struct tsa_config {
	char *listen;                      /* as written, for messages */
	struct sockaddr_storage addr;      /* parsed listen address */
	socklen_t addrlen;
	int allow_remote;
	unsigned threads;
	size_t max_body;
	char *policies[TSA_MAX_POLICIES];  /* dotted OIDs; [0] is the default */
	size_t npolicies;
	unsigned accuracy_us;              /* 0: no accuracy in the token */
	unsigned digests;                  /* TSA_DIGEST_* */
	char *key_file;                    /* from key = file:/abs/path, or NULL */
	char *key_uri;                     /* from key = pkcs11:…, or NULL */
	char *pkcs11_module;               /* with key_uri: required */
	char *pin_file;                    /* with key_uri: required */
	char *softhsm2_conf;               /* with key_uri: optional */
	char *so_pin_file;                 /* with key_uri: optional; --init makes the token */
	char *cert;
	char *chain;                       /* may be NULL */
	char *ca;                          /* may be NULL: CA certificate(s) that must verify cert */
	char *serial_file;
	char *audit;
	unsigned audit_sync_ms;            /* 0: each record durable before its reply */
	char *audit_origin;                /* NULL: "signet.<host>/tsa" */
	unsigned checkpoint_every;         /* 0: the default (auditconf.h) */
	unsigned checkpoint_interval_s;    /* 0: the default */
	uint64_t audit_segment_size;       /* 0: the default */
	char *log;                         /* may be NULL: stderr */
	enum tsa_clock_check clock_check;
	unsigned max_clock_error_ms;
	char *tls_cert;                    /* both or neither */
	char *tls_key;
	/* Slow clients (signet-tsa(8) "Connections"): */
	unsigned max_conns;                /* open connections, all clients */
	unsigned max_conns_per_ip;         /* open connections from one address */
	unsigned conn_timeout_s;           /* a connection silent this long is closed */
	unsigned request_timeout_s;        /* a request not answered this long after
	                                      it began is cut off, however it dribbles */
};

/* Read and check the configuration file PATH (strict: unknown keys,
 * duplicates, bad values, a missing required key are errors).  On success
 * *CFG is a new configuration (tsa_config_free).  On error *CFG is NULL and
 * ERR holds "PATH:LINE: key: reason" (GPG_ERR_INV_VALUE) or the reason the
 * file could not be read. */
gpg_error_t tsa_config_load(const char *path, struct tsa_config **cfg, char *err, size_t errlen);

/* The same over a buffer (LEN bytes, NAME for messages): for tests and the
 * fuzzer. */
gpg_error_t tsa_config_parse(const char *name, const char *buf, size_t len,
                             struct tsa_config **cfg, char *err, size_t errlen);

/* Free CFG; NULL is fine. */
void tsa_config_free(struct tsa_config *cfg);

/* ---- serial.c ----------------------------------------------------------- */

struct tsa_serial;

/* Open the serial store PATH (created 0600 if missing; a symbolic link or a
 * non-regular file is refused) and reserve the first block above its
 * high-water mark.  Serial numbers never repeat across restarts or crashes:
 * a block is on disk (fsync + rename) before any number of it is handed
 * out.  On error ERR holds "PATH: reason". */
gpg_error_t tsa_serial_open(const char *path, struct tsa_serial **ser, char *err, size_t errlen);

/* The next serial number (>= 1) in *OUT.  Thread-safe; blocks while a new
 * block is written.  GPG_ERR_EIO if the high-water mark cannot be saved
 * (no number is handed out then). */
gpg_error_t tsa_serial_next(struct tsa_serial *ser, uint64_t *out);

/* Close SER; NULL is fine.  Numbers not handed out are skipped. */
void tsa_serial_close(struct tsa_serial *ser);

/* ---- clock.c ------------------------------------------------------------ */

/* Whether the system clock may be used for a token: with
 * TSA_CLOCK_ADJTIMEX, adjtimex() must not report STA_UNSYNC and its maximum
 * error must be at most MAX_ERROR_MS.  Returns 1 (usable) or 0, with the
 * reason in WHY (WHYLEN bytes) for the log. */
int tsa_clock_ok(enum tsa_clock_check check, unsigned max_error_ms, char *why, size_t whylen);

/* ---- resp.c ------------------------------------------------------------- */

struct tsa_resp;

/* What the reply builder needs.  KEY and CERT are borrowed (up-referenced);
 * CHAIN (may be NULL) too.  AUDIT may be NULL (no audit events: fuzzer,
 * tests).  NCTX is the number of TS_RESP_CTX kept (one per worker thread:
 * TS_RESP_CTX is not thread-safe). */
struct tsa_resp_params {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *chain;
	const struct tsa_config *cfg;      /* must outlive the tsa_resp */
	struct tsa_serial *serial;
	struct audit_log *audit;
	unsigned nctx;
};

/* Set up the reply builder.  On error ERR holds the reason. */
gpg_error_t tsa_resp_new(const struct tsa_resp_params *p, struct tsa_resp **rp, char *err, size_t errlen);

/* Answer the DER TimeStampReq REQ/REQLEN with a DER TimeStampResp in *OUT
 * (*OUTLEN bytes; free with free()).  Whatever REQ holds, the answer is a
 * TimeStampResp: malformed DER → rejection/badDataFormat, digest not
 * accepted → badAlg, unknown policy → unacceptedPolicy, clock not usable →
 * timeNotAvailable, serial or audit failure → systemFailure.  A granted
 * token is in the audit trail before this returns.  Thread-safe; blocks on
 * a free context.  Returns GPG_ERR_ENOMEM or GPG_ERR_GENERAL only when not
 * even a rejection could be encoded. */
gpg_error_t tsa_resp_answer(struct tsa_resp *rs, const uint8_t *req, size_t reqlen,
                            uint8_t **out, size_t *outlen);

/* tsa_resp_answer for a server that does not hold a thread while the
 * disk syncs: when the answer is a token whose audit record is written but
 * not yet on disk, *PENDING is that record's seq (else 0), and the answer
 * must not be sent before tsa_resp_sync(RS, *PENDING) returned 0; if it
 * fails, send tsa_resp_system_failure's answer instead. */
gpg_error_t tsa_resp_answer_nowait(struct tsa_resp *rs, const uint8_t *req, size_t reqlen,
                                   uint8_t **out, size_t *outlen, uint64_t *pending);
gpg_error_t tsa_resp_sync(struct tsa_resp *rs, uint64_t pending);

/* A TimeStampResp rejection with failInfo systemFailure in *OUT (free()). */
gpg_error_t tsa_resp_system_failure(uint8_t **out, size_t *outlen);

/* Free RS; NULL is fine. */
void tsa_resp_free(struct tsa_resp *rs);

/* ---- http.c ------------------------------------------------------------- */

struct tsa_http;

/* Start the HTTP(S) listener of CFG in its own threads, answering through
 * RS.  TLS_CERT_PEM/TLS_KEY_PEM (NUL-terminated) or NULL.  On error ERR
 * holds the reason. */
gpg_error_t tsa_http_start(const struct tsa_config *cfg, struct tsa_resp *rs,
                           const char *tls_cert_pem, const char *tls_key_pem,
                           struct tsa_http **hp, char *err, size_t errlen);

/* Stop the listener and wait for its threads; NULL is fine. */
void tsa_http_stop(struct tsa_http *h);

#endif
