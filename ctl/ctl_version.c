#include <stdio.h>

#include "core/cniversion.h"
#include "base/version.h"
#include "ctl/ctl.h"

int ctl_version(int argc, char **argv, struct ctl_options *opts)
{
	(void)argv;
	if (argc > 1)
		return ctl_usage_error("jobnetctl version", "unexpected argument \"%s\"", argv[1]);
	if (opts->json)
		printf("{\"version\":\"%s\",\"cniVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}\n",
		       JOBNET_VERSION);
	else
		printf("jobnet %s (CNI %s)\n", JOBNET_VERSION, cniversion_supported_text());
	return CTL_EXIT_OK;
}
