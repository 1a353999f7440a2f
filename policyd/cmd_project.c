/* cmd_project.c — see cmdutil.h. */
#include "cmdutil.h"

const struct cmdtable_entry cmd_project_table[] = {
	{ NULL, NULL, NULL },
};
const size_t cmd_project_ntable = 0;
