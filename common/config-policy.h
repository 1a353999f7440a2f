/* config-policy.h — the value parsers of signet.conf's policy keys
 * (hours, rate, approvals, approval_wait, second_factor), split from
 * config.c so that each file keeps one job.  Internal to config.c (and
 * its tests): each sets *TARGET from VALUE or writes a reason for the
 * "FILE:LINE: [project p] key: reason" message into REASON. */
#ifndef SIGNET_CONFIG_POLICY_H
#define SIGNET_CONFIG_POLICY_H

#include <stddef.h>
#include <gpg-error.h>

#include "config.h"

#define CONFIG_ZONEINFO "/usr/share/zoneinfo"

gpg_error_t config_parse_hours(const char *value, struct hours *h, char *reason, size_t rlen);
gpg_error_t config_parse_rate(const char *value, struct rate *rt, char *reason, size_t rlen);
gpg_error_t config_parse_approvals(const char *value, unsigned *n, char *reason, size_t rlen);
gpg_error_t config_parse_wait(const char *value, unsigned *secs, char *reason, size_t rlen);
gpg_error_t config_parse_second_factor(const char *value, enum second_factor *sf,
                                       char *reason, size_t rlen);

/* 1 if TZ is "UTC" or a plain relative name of a file under
 * CONFIG_ZONEINFO (no "..", no leading '/', at most CONFIG_MAX_TZ - 1). */
int config_tz_ok(const char *tz);

/* The project's checks across keys (approvals against approvers); a
 * reason and an error, or 0. */
gpg_error_t config_check_policy(const struct project_conf *p, char *reason, size_t rlen);

#endif
