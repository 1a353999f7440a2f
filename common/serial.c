/* serial.c — see serial.h.  Layout: scd-protocol §5.1. */
#include "serial.h"

#include <string.h>

#include "hex.h"

/* RID + OpenPGP PIX, application 3.4, manufacturer 0xFFFE. */
#define SERIAL_HEAD "D276000124010304FFFE"
#define SERIAL_RID "D27600012401"
#define SERIAL_TAIL "0000"
#define SERIAL_DISPLAY_LEN 13   /* "FFFE 1A2B3C4D" */

gpg_error_t
serial_format(const uint8_t instance[SERIAL_INSTANCE_LEN], char *out, size_t outlen)
{
	char id[2 * SERIAL_INSTANCE_LEN + 1];
	gpg_error_t err;

	if (out == NULL || outlen < SERIAL_HEX_LEN + 1) {
		if (out != NULL && outlen > 0)
			out[0] = '\0';
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	}
	out[0] = '\0';
	if ((err = hex_encode(instance, SERIAL_INSTANCE_LEN, id, sizeof(id))) != 0)
		return err;
	memcpy(out, SERIAL_HEAD, 20);
	memcpy(out + 20, id, 8);
	memcpy(out + 28, SERIAL_TAIL, 4);
	out[SERIAL_HEX_LEN] = '\0';
	return 0;
}

gpg_error_t
serial_parse_instance(const char *hex8, uint8_t instance[SERIAL_INSTANCE_LEN])
{
	size_t n;

	if (hex8 == NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (strnlen(hex8, 2 * SERIAL_INSTANCE_LEN + 1) != 2 * SERIAL_INSTANCE_LEN)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (hex_decode(hex8, 2 * SERIAL_INSTANCE_LEN, instance, SERIAL_INSTANCE_LEN, &n) != 0 ||
	    n != SERIAL_INSTANCE_LEN)
		return gpg_error(GPG_ERR_INV_VALUE);
	return 0;
}

int
serial_is_valid(const char *s)
{
	size_t i;

	if (s == NULL || strnlen(s, SERIAL_HEX_LEN + 1) != SERIAL_HEX_LEN)
		return 0;
	/* gpg compares serials as strings: lower case would be another card. */
	for (i = 0; i < SERIAL_HEX_LEN; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	}
	return strncmp(s, SERIAL_RID, strlen(SERIAL_RID)) == 0;
}

gpg_error_t
serial_display(const char *serial, char *out, size_t outlen)
{
	if (out == NULL || outlen < SERIAL_DISPLAY_LEN + 1) {
		if (out != NULL && outlen > 0)
			out[0] = '\0';
		return gpg_error(GPG_ERR_BUFFER_TOO_SHORT);
	}
	out[0] = '\0';
	if (!serial_is_valid(serial))
		return gpg_error(GPG_ERR_INV_VALUE);
	/* Manufacturer (hex 16..19) and card serial (hex 20..27), as gpg
	 * --card-status shows them. */
	memcpy(out, serial + 16, 4);
	out[4] = ' ';
	memcpy(out + 5, serial + 20, 8);
	out[SERIAL_DISPLAY_LEN] = '\0';
	return 0;
}
