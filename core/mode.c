#include "core/mode.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/jsonutil.h"

static const char *const level_names[] = {
	[1] = "HOST_FOR_MULTINODE_ONLY",
	[2] = "HOST_WHEN_POSSIBLE",
	[3] = "FORCED_BRIDGE",
};

int mode_parse_level(const json_t *value, int *level, struct jn_error *err)
{
	char quoted[JN_JSON_QUOTE_MAX];

	if (json_is_integer(value) && json_integer_value(value) >= 1 && json_integer_value(value) <= 3) {
		*level = (int)json_integer_value(value);
		return 0;
	}
	for (int i = 1; json_is_string(value) && i <= 3; i++) {
		if (strcasecmp(json_string_value(value), level_names[i]) == 0) {
			*level = i;
			return 0;
		}
	}
	return jn_error_set(err, JN_ERR_INVALID_CONFIG,
			    "invalid \"networkMode\": %s is not 1, 2, 3, HOST_FOR_MULTINODE_ONLY, HOST_WHEN_POSSIBLE "
			    "or FORCED_BRIDGE",
			    jsonutil_quote(value, quoted));
}

const char *mode_level_name(int level)
{
	return level >= 1 && level <= 3 ? level_names[level] : "?";
}

const char *mode_name(enum jn_mode mode)
{
	return mode == JN_MODE_HOST ? "host" : "bridge";
}

static void decide(struct decision *out, enum jn_mode mode, const char *rule, int level, const char *why)
{
	out->mode = mode;
	out->rule = rule;
	snprintf(out->reason, sizeof(out->reason), "level %d %s: %s", level, mode_level_name(level), why);
}

void mode_decide(int level, const struct jobfacts *facts, struct decision *out)
{
	char why[96];

	if (facts_is_partial(facts)) {
		snprintf(why, sizeof(why), "the job holds %u of %u blocks, and part of an instance is always bridged",
			 facts->blocks, facts->total_blocks);
		decide(out, JN_MODE_BRIDGE, "partial-instance", level, why);
	} else if (level == 3) {
		decide(out, JN_MODE_BRIDGE, "forced-bridge", level, "every job is bridged");
	} else if (level == 2) {
		decide(out, JN_MODE_HOST, "host-when-possible", level, "the job holds the whole instance");
	} else if (facts->multinode) {
		decide(out, JN_MODE_HOST, "multinode-host", level, "a multinode job on a whole instance");
	} else {
		decide(out, JN_MODE_BRIDGE, "single-node-bridge", level, "only multinode jobs get host networking");
	}
}
