/* jobnetctl gc: the sweep of core/gc.c over every network, judging by
 * namespace (see gc_node), one line per removal or failure. */
#include <stdio.h>

#include "core/gc.h"
#include "ctl/ctl.h"

int ctl_gc(int argc, char **argv, struct ctl_options *opts)
{
	struct report r = { .line = ctl_report_line, .ctx = (void *)"removed" };
	struct jn_error err = { 0 };
	int rc;

	if (argc > 1)
		return ctl_usage_error("jobnetctl gc", "unexpected argument \"%s\"", argv[1]);
	rc = gc_node(&opts->state_dirs, &r, &err);
	printf("%zu removed, %zu failure(s)", r.count[REPORT_DONE], r.count[REPORT_FAILED]);
	if (r.count[REPORT_UNREADABLE] > 0)
		printf(", %zu part(s) of the state unreadable", r.count[REPORT_UNREADABLE]);
	printf("\n");
	return rc < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
