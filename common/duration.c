/* duration.c — see duration.h. */
#include "duration.h"

#include <stdio.h>
#include <string.h>

static const struct unit {
	char c;
	uint32_t mul;
} units[] = {
	{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
};

gpg_error_t
duration_parse(const char *s, uint32_t max, uint32_t *secs)
{
	uint64_t v = 0;
	size_t n, i;

	*secs = 0;
	if (s == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (strcmp(s, "0") == 0)
		return 0;
	n = strlen(s);
	/* At most 10 digits: the product below then fits in 64 bits. */
	if (n < 2 || n > 11)
		return gpg_error(GPG_ERR_INV_VALUE);
	for (i = 0; i + 1 < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return gpg_error(GPG_ERR_INV_VALUE);
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v == 0)
		return gpg_error(GPG_ERR_INV_VALUE);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (s[n - 1] != units[i].c)
			continue;
		if (v * units[i].mul > max)
			return gpg_error(GPG_ERR_INV_VALUE);
		*secs = (uint32_t)(v * units[i].mul);
		return 0;
	}
	return gpg_error(GPG_ERR_INV_VALUE);
}

void
duration_format(uint32_t secs, char *out, size_t outlen)
{
	size_t i;

	if (outlen == 0)
		return;
	if (secs == 0) {
		snprintf(out, outlen, "0");
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (secs % units[i].mul == 0) {
			snprintf(out, outlen, "%lu%c", (unsigned long)(secs / units[i].mul), units[i].c);
			return;
		}
	}
}
