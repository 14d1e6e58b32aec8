/* The mode levels and the decision between host and bridge networking. The
 * plugin and `jobnetctl decide` share this one implementation.
 *
 *   level 1 HOST_FOR_MULTINODE_ONLY  host only for a multinode job
 *   level 2 HOST_WHEN_POSSIBLE       host (the default)
 *   level 3 FORCED_BRIDGE            bridge, always
 *
 * A job that holds only part of the instance gets bridge at every level.
 */
#ifndef JOBNET_MODE_H
#define JOBNET_MODE_H

#include <stdbool.h>

#include <jansson.h>

#include "base/error.h"
#include "core/facts.h"

#define JN_DEFAULT_LEVEL 2

enum jn_mode {
	JN_MODE_BRIDGE,
	JN_MODE_HOST,
};

struct decision {
	enum jn_mode mode;
	const char *rule; /* a stable identifier, e.g. "partial-instance" */
	char reason[200]; /* the rule in words, with the facts it used */
};

/* 1, 2, 3 or a level name in any case; error 7 naming the allowed values. */
int mode_parse_level(const json_t *value, int *level, struct jn_error *err);
const char *mode_level_name(int level);
const char *mode_name(enum jn_mode mode);

void mode_decide(int level, const struct jobfacts *facts, struct decision *out);

#endif
