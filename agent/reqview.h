/* reqview.h — how the command line shows approval requests, grants and
 * refusals that signet-policyd sends as JSON (doc/policyd-protocol.md,
 * "Approvals"): tables, one request in full, one-line states.
 *
 * Every text from policyd may hold what another user typed (a reason, a
 * comment): control characters are shown as '?' so that it cannot drive
 * the reader's terminal.  A field policyd left out is shown as "?". */
#ifndef SIGNET_AGENT_REQVIEW_H
#define SIGNET_AGENT_REQVIEW_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

/* J as indented JSON on stdout, then a newline (--json); ASCII only, so
 * that another user's text cannot drive the reader's terminal. */
void reqview_json(const json_t *j);

/* An RFC 3339 UTC time ("2026-12-04T03:00:00Z") as local time
 * ("2026-12-04 04:00:00 CET") into OUT; text that is no such time is
 * copied (made safe). */
void reqview_time(const char *rfc3339, char *out, size_t outlen);

/* "2 of 3 approvals: user:bob, user:carol" for request R into OUT. */
void reqview_approvals(const json_t *r, char *out, size_t outlen);

/* Requests (pending) or grants as an aligned table on stdout. */
void reqview_table(const json_t *requests);
void reqview_grants(const json_t *grants);

/* Request R in full, one field a line (show). */
void reqview_detail(const json_t *r);

/* Request R's state in one line to F: "approved: alice may now make 5
 * signatures on rel until …", "pending: 1 of 2 approvals: user:bob; …"
 * (approve, deny, cancel, request). */
void reqview_state(const json_t *r, FILE *f);

/* One of the caller's open requests as a line for `signet status`: a
 * waiting signature ("waiting for 1 more approval from user:bob
 * group:leads — request 17, program git"), a pending grant request or an
 * approved grant. */
void reqview_open(const json_t *r);

/* Refusals from WHY --json (newest first) on stdout, each with its code,
 * reason and what to do next. */
void reqview_refusals(const json_t *refusals);

#endif
