/* jobnetctl repair: the repair of core/repair.c over every network, one
 * line per repair or failure. */
#include <stdio.h>

#include "core/repair.h"
#include "ctl/ctl.h"

int ctl_repair(int argc, char **argv, struct ctl_options *opts)
{
	struct report r = { .line = ctl_report_line, .ctx = (void *)"repaired" };
	struct jn_error err = { 0 };
	int rc;

	if (argc > 1)
		return ctl_usage_error("jobnetctl repair", "unexpected argument \"%s\"", argv[1]);
	rc = repair_node(&opts->state_dirs, &r, &err);
	if (rc < 0 && !report_has_problems(&r))
		ctl_error_record(&err); /* nothing was reported: it did not start */
	printf("%zu repair(s), %zu failure(s), %zu left for gc", r.count[REPORT_DONE], r.count[REPORT_FAILED],
	       r.count[REPORT_LEFT]);
	if (r.count[REPORT_UNREADABLE] > 0)
		printf(", %zu part(s) of the state unreadable", r.count[REPORT_UNREADABLE]);
	printf("\n");
	return rc < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
