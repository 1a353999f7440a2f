/* cmdtable.c — see cmdtable.h. */
#include "cmdtable.h"

gpg_error_t
cmdtable_register(assuan_context_t ctx, const struct cmdtable_entry *table, size_t n)
{
	gpg_error_t r;
	size_t i;

	for (i = 0; i < n; i++)
		if ((r = assuan_register_command(ctx, table[i].name, table[i].handler, table[i].help)) != 0)
			return r;
	return 0;
}
