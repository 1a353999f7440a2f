/* cmd_approval.c — see cmdutil.h. */
#include "cmdutil.h"

const struct cmdtable_entry cmd_approval_table[] = {
	{ NULL, NULL, NULL },
};
const size_t cmd_approval_ntable = 0;
