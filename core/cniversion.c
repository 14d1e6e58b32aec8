#include "core/cniversion.h"

#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"

static const char *const supported_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };

bool cniversion_is_supported(const char *version)
{
	for (size_t i = 0; i < JN_ARRAY_SIZE(supported_versions); i++)
		if (strcmp(version, supported_versions[i]) == 0)
			return true;
	return false;
}

static bool parse_version(const char *text, unsigned parts[3])
{
	int consumed = 0;

	if (sscanf(text, "%3u.%3u.%3u%n", &parts[0], &parts[1], &parts[2], &consumed) != 3)
		return false;
	return text[consumed] == '\0';
}

bool cniversion_at_least(const char *version, const char *minimum)
{
	unsigned v[3], m[3];

	if (!parse_version(version, v) || !parse_version(minimum, m))
		return false;
	for (int i = 0; i < 3; i++)
		if (v[i] != m[i])
			return v[i] > m[i];
	return true;
}

json_t *cniversion_supported_list(void)
{
	json_t *list = json_array();

	for (size_t i = 0; list != NULL && i < JN_ARRAY_SIZE(supported_versions); i++)
		json_array_append_new(list, json_string(supported_versions[i]));
	return list;
}

/* Built once from the table, so the two never disagree. */
const char *cniversion_supported_text(void)
{
	static char text[JN_ARRAY_SIZE(supported_versions) * sizeof("99.99.99, ")];

	if (text[0] == '\0') {
		size_t used = 0;
		for (size_t i = 0; i < JN_ARRAY_SIZE(supported_versions); i++) {
			int n = snprintf(text + used, sizeof(text) - used, "%s%s", i ? ", " : "",
					 supported_versions[i]);
			if (n < 0 || (size_t)n >= sizeof(text) - used)
				break;
			used += (size_t)n;
		}
	}
	return text;
}
