/* cmd_totp.c — see cmdutil.h. */
#include "cmdutil.h"

const struct cmdtable_entry cmd_totp_table[] = {
	{ NULL, NULL, NULL },
};
const size_t cmd_totp_ntable = 0;
