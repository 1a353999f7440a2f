/* auditconf.h — the settings of a verifiable audit log that both
 * daemons take (signet.conf [policyd], tsa.conf): checkpoint origin and
 * cadence, segment size (doc/audit-format.md §8.3, §9). */
#ifndef SIGNET_AUDITCONF_H
#define SIGNET_AUDITCONF_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#include "audit.h"

#define AUDITCONF_MAX_SEGMENT (UINT64_C(1) << 40)
#define AUDITCONF_MAX_EVERY   1000000u
#define AUDITCONF_MAX_INTERVAL_S (24u * 3600)

/* "audit_segment_size": bytes, or a number with K, M or G;
 * AUDIT_SEGMENT_MIN..AUDITCONF_MAX_SEGMENT. */
gpg_error_t auditconf_parse_size(const char *v, uint64_t *out, char *reason, size_t rlen);
/* "audit_origin": a signed-note key name (note_name_ok). */
gpg_error_t auditconf_check_origin(const char *v, char *reason, size_t rlen);
/* "checkpoint_every": 1..AUDITCONF_MAX_EVERY records. */
gpg_error_t auditconf_parse_every(const char *v, unsigned *out, char *reason, size_t rlen);

/* Put the settings in force on LOG and start checkpoints signed by
 * SIGNER (its name already the origin): 0 in a field means its default.
 * ERR (ERRLEN) names what failed. */
gpg_error_t auditconf_start(struct audit_log *log, const struct audit_signer *signer, unsigned every,
                            unsigned interval_s, uint64_t segment_size, char *err, size_t errlen);

#endif
