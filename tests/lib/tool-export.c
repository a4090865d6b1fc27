/*
 * tool-export: prints the canonical export of a warehouse (bf-load(1),
 * "CANONICAL EXPORT"): `tool-export TARGET`. A test tool ($BF_TOOLS) until
 * bf-ledger export --canonical exists; both call bf_load_export.
 */
#include <stdio.h>

#include "err.h"
#include "load.h"
#include "warehouse.h"

int
main(int argc, char *argv[])
{
	struct bf_err e = { 0 };
	struct bf_wh *w;
	int rc;

	bf_setprogname(argv[0]);
	if (argc != 2) {
		fprintf(stderr, "usage: %s TARGET\n", bf_progname);
		return BF_EXIT_USAGE;
	}
	if ((w = bf_wh_open(argv[1], 0, &e)) == NULL)
		return bf_err_print(&e);
	rc = bf_load_export(w, stdout, &e);
	bf_wh_close(w);
	if (rc == -1)
		return bf_err_print(&e);
	return bf_close_stdout();
}
