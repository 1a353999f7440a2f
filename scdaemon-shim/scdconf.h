/* scdconf.h — $GNUPGHOME/signet-scd.conf, written by `signet setup`.
 *
 * INI without sections (libinih), strict like common/config.c: an unknown
 * key, a bad value, a duplicate or a missing required key is an error
 * "FILE:LINE: reason" (or "FILE: reason").
 *
 *   policyd_socket = /abs/path/policyd.sock    (required)
 *   serial = D276000124010304FFFE1A2B3C4D0000  (required; serial_is_valid)
 *   log_file = /abs/path/signet-scd.log        (optional; default
 *                                               $GNUPGHOME/signet-scd.log)
 *   debug = yes | no                           (optional; default no)
 *   desktop_notice = yes | no                  (optional; default no: while
 *                                               a signature waits for
 *                                               approvers, show a pinentry
 *                                               message through gpg-agent;
 *                                               `signet setup --desktop`)
 */
#ifndef SIGNET_SCD_SCDCONF_H
#define SIGNET_SCD_SCDCONF_H

#include <stddef.h>
#include <gpg-error.h>

#include "serial.h"

#define SCDCONF_NAME      "signet-scd.conf"
#define SCDCONF_MAX_FILE  (64 * 1024)
#define SCDCONF_MAX_LINE  199      /* libinih's INI_MAX_LINE is 200 */
#define SCDCONF_MAX_PATH  4095
#define SCDCONF_ERR_MAX   512

struct scd_conf {
	char *policyd_socket;
	char serial[SERIAL_HEX_LEN + 1];
	char *log_file;          /* NULL: the default */
	int debug;
	int desktop_notice;      /* opt-in: in loopback mode gpg-agent 2.2 cancels the popup */
};

/* Load PATH.  On error *CONF is NULL and ERR holds "PATH:LINE: reason"; the
 * return value is GPG_ERR_INV_VALUE for content errors or the errno-based
 * error of reading (GPG_ERR_ENOENT for a missing file). */
gpg_error_t scdconf_load(const char *path, struct scd_conf **conf, char *err, size_t errlen);
/* Same for a buffer of LEN bytes (need not be NUL-terminated); NAME is used
 * in messages.  This is the fuzzed entry point (fuzz/scdconf.c). */
gpg_error_t scdconf_parse_buffer(const char *name, const char *buf, size_t len,
                                 struct scd_conf **conf, char *err, size_t errlen);
void scdconf_free(struct scd_conf *conf);

#endif
