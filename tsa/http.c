/* http.c — RFC 3161 §3.4 over HTTP with libmicrohttpd: POST
 * application/timestamp-query → application/timestamp-reply.
 *
 * The body limit is enforced before anything is buffered: a Content-Length
 * over max_body gets 413 on the first call of the access handler; a body
 * without a length (chunked) is counted as it arrives, bytes past the limit
 * are dropped and the request is answered 413 when it ends.  A client that
 * keeps sending far past the limit is cut off (TSA_HTTP_DRAIN_MAX).
 *
 * A token whose audit record must be on disk before it is sent does not
 * hold its worker: the connection is suspended and queued for the
 * committer thread, which makes everything queued durable with one
 * fdatasync and resumes those connections.  So one sync covers every
 * token issued meanwhile, however many workers there are.
 *
 * Slow clients (signet-tsa(8) "Connections"): at most max_connections
 * open connections, max_connections_per_ip from one address (more are
 * closed at once), a connection silent for connection_timeout is closed,
 * and a request not complete request_timeout after it began is cut off
 * (http-deadline.c), so a client that dribbles bytes cannot keep its
 * slots.  RLIMIT_NOFILE is raised to fit max_connections. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "http-deadline.h"
#include "log.h"
#include "platform.h"
#include "tsa.h"

#define TSA_HTTP_DRAIN_MAX    (4 * TSA_MAX_REQ_BODY_HARD) /* dropped bytes before we hang up */
/* Files beside the connections: listen socket, epoll and wake-up fds of
 * each worker, log, audit trail, serial store, PKCS#11 module. */
#define TSA_HTTP_SPARE_FDS    (64 + 4 * TSA_MAX_THREADS)
#define TSA_CT_QUERY          "application/timestamp-query"
#define TSA_CT_REPLY          "application/timestamp-reply"

/* One request in progress. */
struct req {
	uint8_t *body;                 /* max_body bytes, allocated at the first byte */
	size_t len;
	size_t dropped;                /* bytes past the limit */
	int too_large;
	uint8_t *answer;               /* a token waiting for its audit record */
	size_t answer_len;
	uint64_t pending;              /* that record's seq */
	int ready;                     /* answer may be sent */
	struct MHD_Connection *conn;
	struct req *next;              /* in the committer's queue */
};

struct tsa_http {
	struct MHD_Daemon *d;
	const struct tsa_config *cfg;
	struct tsa_resp *rs;
	struct tsa_deadline *deadline;
	pthread_t committer;
	int have_committer;
	pthread_mutex_t lock;          /* guards queue, stopping */
	pthread_cond_t queued;
	struct req *queue;
	int stopping;
};

static enum MHD_Result
answer_status(struct MHD_Connection *conn, unsigned status, const char *text, int close_conn)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST");
	if (close_conn)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* "application/timestamp-query", any case, optionally followed by
 * parameters ("; charset=binary"). */
static int
content_type_ok(const char *ct)
{
	size_t n = strlen(TSA_CT_QUERY);

	if (ct == NULL)
		return 0;
	ct += strspn(ct, " \t");
	if (strncasecmp(ct, TSA_CT_QUERY, n) != 0)
		return 0;
	ct += n;
	ct += strspn(ct, " \t");
	return *ct == '\0' || *ct == ';';
}

static enum MHD_Result
send_reply(struct MHD_Connection *conn, uint8_t *der, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, der, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(der);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, TSA_CT_REPLY);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* RQ's token may go once its record is on disk (R == 0); else the client
 * gets systemFailure.  Then its connection runs again. */
static void
release(struct req *rq, gpg_error_t r)
{
	if (r != 0) {
		free(rq->answer);
		rq->answer = NULL;
		if (tsa_resp_system_failure(&rq->answer, &rq->answer_len) != 0)
			rq->answer_len = 0;
	}
	rq->ready = 1;
	MHD_resume_connection(rq->conn);
}

static void *
committer_main(void *arg)
{
	struct tsa_http *h = arg;
	struct req *batch, *rq, *next;
	uint64_t upto;
	gpg_error_t r;

	for (;;) {
		pthread_mutex_lock(&h->lock);
		while (h->queue == NULL && !h->stopping)
			pthread_cond_wait(&h->queued, &h->lock);
		batch = h->queue;
		h->queue = NULL;
		pthread_mutex_unlock(&h->lock);
		if (batch == NULL)
			return NULL; /* stopping, and nothing left */
		for (upto = 0, rq = batch; rq != NULL; rq = rq->next)
			if (rq->pending > upto)
				upto = rq->pending;
		r = tsa_resp_sync(h->rs, upto);
		for (rq = batch; rq != NULL; rq = next) {
			next = rq->next;
			release(rq, r);
		}
	}
}

/* Suspend CONN until RQ's record is on disk (the committer resumes it);
 * once stopping, sync here. */
static enum MHD_Result
wait_for_disk(struct tsa_http *h, struct MHD_Connection *conn, struct req *rq)
{
	int queued = 0;

	rq->conn = conn;
	MHD_suspend_connection(conn);
	pthread_mutex_lock(&h->lock);
	if (!h->stopping) {
		rq->next = h->queue;
		h->queue = rq;
		queued = 1;
		pthread_cond_signal(&h->queued);
	}
	pthread_mutex_unlock(&h->lock);
	if (!queued)
		release(rq, tsa_resp_sync(h->rs, rq->pending));
	return MHD_YES;
}

static enum MHD_Result
answer_query(struct tsa_http *h, struct MHD_Connection *conn, struct req *rq)
{
	uint8_t *der = NULL;
	size_t len = 0;
	gpg_error_t r;

	tsa_deadline_answering(h->deadline, conn);
	if (rq->ready) { /* resumed: the record is on disk, or the answer is systemFailure */
		if (rq->answer_len == 0)
			return answer_status(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n", 1);
		der = rq->answer;
		rq->answer = NULL;
		return send_reply(conn, der, rq->answer_len);
	}
	if ((r = tsa_resp_answer_nowait(h->rs, rq->body, rq->len, &der, &len, &rq->pending)) != 0) {
		log_error_e(r, "reply");
		return answer_status(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n", 1);
	}
	if (rq->pending == 0)
		return send_reply(conn, der, len);
	rq->answer = der;
	rq->answer_len = len;
	return wait_for_disk(h, conn, rq);
}

/* The first call: headers only.  Returns 1 to go on with the body. */
static int
check_headers(struct tsa_http *h, struct MHD_Connection *conn, const char *method, enum MHD_Result *ret)
{
	const char *cl;
	char *end;
	unsigned long long n;

	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
		*ret = answer_status(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only POST\n", 0);
		return 0;
	}
	if (!content_type_ok(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		*ret = answer_status(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		                     "Content-Type must be " TSA_CT_QUERY "\n", 1);
		return 0;
	}
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		n = strtoull(cl, &end, 10);
		if (end == cl || n > h->cfg->max_body) {
			*ret = answer_status(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request too large\n", 1);
			return 0;
		}
	}
	return 1;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct tsa_http *h = cls;
	struct req *rq = *con_cls;
	enum MHD_Result ret = MHD_NO;
	size_t n = *upload_data_size;

	(void)url;
	(void)version;
	if (rq == NULL) {
		if (!check_headers(h, conn, method, &ret))
			return ret;
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (n > 0) {
		*upload_data_size = 0;
		if (rq->too_large || n > h->cfg->max_body - rq->len) {
			rq->too_large = 1;
			rq->dropped += n;
			/* Hang up on a client that will not stop. */
			return rq->dropped > TSA_HTTP_DRAIN_MAX ? MHD_NO : MHD_YES;
		}
		if (rq->body == NULL && (rq->body = malloc(h->cfg->max_body)) == NULL)
			return MHD_NO;
		memcpy(rq->body + rq->len, upload_data, n);
		rq->len += n;
		return MHD_YES;
	}
	if (rq->too_large)
		return answer_status(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request too large\n", 1);
	return answer_query(h, conn, rq);
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct tsa_http *h = cls;
	struct req *rq = *con_cls;

	(void)toe;
	tsa_deadline_next(h->deadline, conn);
	if (rq != NULL) {
		free(rq->body);
		free(rq->answer);
		free(rq);
		*con_cls = NULL;
	}
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[TSA_MAX_ERR];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warn("http: %s", msg);
}

gpg_error_t
tsa_http_start(const struct tsa_config *cfg, struct tsa_resp *rs, const char *tls_cert_pem,
               const char *tls_key_pem, struct tsa_http **hp, char *err, size_t errlen)
{
	struct tsa_http *h = NULL;
	/* MHD_USE_AUTO: epoll on Linux (select costs a few µs per request). */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
	                 MHD_ALLOW_SUSPEND_RESUME;
	/* The TLS options when there is TLS; MHD_OPTION_END-terminated. */
	struct MHD_OptionItem tls[3] = { { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
	                                 { MHD_OPTION_END, 0, NULL } };

	*hp = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	h->cfg = cfg;
	h->rs = rs;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->queued, NULL);
	if (pthread_create(&h->committer, NULL, committer_main, h) != 0) {
		snprintf(err, errlen, "cannot start the audit committer thread");
		tsa_http_stop(h);
		return gpg_error(GPG_ERR_ENOMEM);
	}
	h->have_committer = 1;
	if (platform_raise_nofile((unsigned long)cfg->max_conns + TSA_HTTP_SPARE_FDS, err, errlen) != 0 ||
	    tsa_deadline_start(cfg->request_timeout_s, &h->deadline, err, errlen) != 0) {
		tsa_http_stop(h);
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	if (cfg->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls_cert_pem != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(err, errlen, "this libmicrohttpd has no TLS support; remove tls_cert/tls_key");
			tsa_http_stop(h);
			return gpg_error(GPG_ERR_NOT_SUPPORTED);
		}
		flags |= MHD_USE_TLS;
		tls[0].option = MHD_OPTION_HTTPS_MEM_CERT;
		tls[0].ptr_value = (void *)tls_cert_pem;
		tls[1].option = MHD_OPTION_HTTPS_MEM_KEY;
		tls[1].ptr_value = (void *)tls_key_pem;
	}
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, h,
	                        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
	                        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&cfg->addr,
	                        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->threads,
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->conn_timeout_s,
	                        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->max_conns,
	                        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)cfg->max_conns_per_ip,
	                        MHD_OPTION_NOTIFY_CONNECTION, tsa_deadline_notify, h->deadline,
	                        MHD_OPTION_NOTIFY_COMPLETED, completed_cb, h,
	                        MHD_OPTION_ARRAY, tls,
	                        MHD_OPTION_END);
	if (h->d == NULL) {
		snprintf(err, errlen, "cannot listen on %s (address in use, or not allowed)", cfg->listen);
		tsa_http_stop(h);
		return gpg_error(GPG_ERR_EADDRINUSE);
	}
	*hp = h;
	return 0;
}

void
tsa_http_stop(struct tsa_http *h)
{
	if (h == NULL)
		return;
	/* The committer answers what is queued and exits; a worker that comes
	 * later syncs on its own (wait_for_disk), so no connection is left
	 * suspended when the daemon stops. */
	pthread_mutex_lock(&h->lock);
	h->stopping = 1;
	pthread_cond_signal(&h->queued);
	pthread_mutex_unlock(&h->lock);
	if (h->have_committer)
		pthread_join(h->committer, NULL);
	tsa_deadline_stop(h->deadline);
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	tsa_deadline_free(h->deadline);
	pthread_cond_destroy(&h->queued);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
