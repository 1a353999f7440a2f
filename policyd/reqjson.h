/* reqjson.h — the JSON answers of the approval commands (the request object
 * of doc/policyd-protocol.md) and of WHY --json, built with jansson. */
#ifndef SIGNET_POLICYD_REQJSON_H
#define SIGNET_POLICYD_REQJSON_H

#include <stddef.h>
#include <stdint.h>
#include <assuan.h>
#include <jansson.h>

#include "denials.h"
#include "store.h"

/* REQ as a request object; APPROVERS ("user:bob group:leads") names who
 * may approve (NULL: left out).  NULL when out of memory. */
json_t *reqjson_request(const struct store_request *req, const char *approvers);

/* Send J (compact) as the command's data and drop the reference. */
gpg_error_t reqjson_send(assuan_context_t ctx, json_t *j);

/* The N refusals D as WHY --json's array. */
gpg_error_t reqjson_send_denials(assuan_context_t ctx, const struct denial *d, size_t n);

/* T (seconds since the epoch) as "2026-12-04T03:00:00Z" into OUT. */
void reqjson_time(int64_t t, char *out, size_t outlen);

#endif
