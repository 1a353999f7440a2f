/* auditconf.c — parse and apply the audit log settings both daemons
 * share. */
#include <stdio.h>
#include <string.h>

#include "auditconf.h"
#include "signednote.h"

gpg_error_t
auditconf_parse_size(const char *v, uint64_t *out, char *reason, size_t rlen)
{
	uint64_t n = 0, unit = 1;
	const char *p;

	for (p = v; *p >= '0' && *p <= '9' && p - v < 13; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	if (p == v || (p[0] != '\0' && p[1] != '\0'))
		unit = 0;
	else if (*p != '\0')
		unit = *p == 'K' ? UINT64_C(1) << 10 : *p == 'M' ? UINT64_C(1) << 20 : *p == 'G' ? UINT64_C(1) << 30 : 0;
	if (unit == 0 || n == 0 || n > AUDITCONF_MAX_SEGMENT / unit || n * unit < AUDIT_SEGMENT_MIN) {
		snprintf(reason, rlen, "expected a size from 64K to 1024G (bytes, or a number with K, M or G)");
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	*out = n * unit;
	return 0;
}

gpg_error_t
auditconf_check_origin(const char *v, char *reason, size_t rlen)
{
	if (note_name_ok(v) == 0)
		return 0;
	snprintf(reason, rlen, "expected 1 to %d printable ASCII characters without spaces or '+' "
	         "(e.g. example.com/signet)", NOTE_MAX_NAME);
	return gpg_error(GPG_ERR_INV_VALUE);
}

gpg_error_t
auditconf_parse_every(const char *v, unsigned *out, char *reason, size_t rlen)
{
	unsigned long n = 0;
	const char *p;

	for (p = v; *p >= '0' && *p <= '9' && p - v < 8; p++)
		n = n * 10 + (unsigned long)(*p - '0');
	if (p == v || *p != '\0' || n == 0 || n > AUDITCONF_MAX_EVERY) {
		snprintf(reason, rlen, "expected a number of records from 1 to %u", AUDITCONF_MAX_EVERY);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	*out = (unsigned)n;
	return 0;
}

gpg_error_t
auditconf_start(struct audit_log *log, const struct audit_signer *signer, unsigned every,
                unsigned interval_s, uint64_t segment_size, char *err, size_t errlen)
{
	gpg_error_t r;

	if (segment_size != 0 && (r = audit_set_segment_size(log, segment_size)) != 0) {
		snprintf(err, errlen, "audit_segment_size: %s", gpg_strerror(r));
		return r;
	}
	if (interval_s > AUDITCONF_MAX_INTERVAL_S) {
		snprintf(err, errlen, "checkpoint_interval: at most %u seconds", AUDITCONF_MAX_INTERVAL_S);
		return gpg_error(GPG_ERR_INV_VALUE);
	}
	r = audit_start_checkpoints(log, signer, every != 0 ? every : AUDIT_CKPT_EVERY_DEFAULT,
	                            interval_s != 0 ? interval_s * 1000u : AUDIT_CKPT_MS_DEFAULT);
	if (r != 0)
		snprintf(err, errlen, "cannot start checkpoints: %s", gpg_strerror(r));
	return r;
}
