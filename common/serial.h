/* serial.h — the virtual OpenPGP card's serial number (AID).
 *
 * D2 76 00 01 24 01 | 03 04 | FF FE | 4-byte installation id | 00 00
 * (OpenPGP application 3.4, manufacturer 0xFFFE "unmanaged S/N range").
 * The installation id is made once by `signet init`, so the serial is stable
 * for the life of an installation: gpg-agent 2.2 binds its stubs to it. */
#ifndef SIGNET_SERIAL_H
#define SIGNET_SERIAL_H

#include <stddef.h>
#include <stdint.h>
#include <gpg-error.h>

#define SERIAL_HEX_LEN 32
#define SERIAL_INSTANCE_LEN 4

/* Write the 32-hex-digit serial for INSTANCE into OUT (OUTLEN >= 33). */
gpg_error_t serial_format(const uint8_t instance[SERIAL_INSTANCE_LEN], char *out, size_t outlen);
/* Parse an instance id given as 8 hex digits. */
gpg_error_t serial_parse_instance(const char *hex8, uint8_t instance[SERIAL_INSTANCE_LEN]);
/* 1 if S is exactly 32 upper-case hex digits starting D27600012401. */
int serial_is_valid(const char *s);
/* The display serial gpg shows ("FFFE 1A2B3C4D") into OUT (OUTLEN >= 14). */
gpg_error_t serial_display(const char *serial, char *out, size_t outlen);

#endif
