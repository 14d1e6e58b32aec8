/* jobnetctl version: jobnet's version and the CNI versions it speaks. */
#include <stdio.h>

#include "base/cleanup.h"
#include "base/version.h"
#include "core/cniversion.h"
#include "ctl/ctl.h"
#include "ctl/ctlout.h"

int ctl_version(int argc, char **argv, struct ctl_options *opts)
{
	cleanup_json json_t *j = NULL;

	if (argc > 1)
		return ctl_usage_error("jobnetctl version [--json]", "unexpected argument \"%s\"", argv[1]);
	if (!opts->json) {
		printf("jobnet %s (CNI %s)\n", JOBNET_VERSION, cniversion_supported_text());
		return CTL_EXIT_OK;
	}
	j = json_pack("{s:s, s:o}", "version", JOBNET_VERSION, "cniVersions", cniversion_supported_list());
	if (j == NULL || ctlout_print_json(j, JSON_COMPACT) < 0)
		return ctl_out_of_memory();
	return CTL_EXIT_OK;
}
