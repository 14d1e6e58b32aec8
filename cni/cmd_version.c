/* VERSION: answered before any configuration is parsed. */
#include "base/cleanup.h"
#include "cni/plugin.h"
#include "cni/result.h"
#include "core/cniversion.h"

int cmd_version(const char *cni_version, struct jn_error *err)
{
	cleanup_json json_t *j =
		json_pack("{s:s, s:o}", "cniVersion", cni_version, "supportedVersions", cniversion_supported_list());

	return result_print(j, err);
}
