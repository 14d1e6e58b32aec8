/* A job's facts: what the scheduler says about it, from four channels in
 * this order of precedence, per fact:
 *
 *   1. runtimeConfig.jobnet                      (capability "jobnet")
 *   2. args.cni.jobnet
 *   3. runtimeConfig["io.kubernetes.cri.pod-annotations"]["jobnet.dev/<fact>"]
 *   4. CNI_ARGS JOBNET_<FACT>
 *
 * A malformed fact is error 7 naming the fact, the channel and the value.
 */
#ifndef JOBNET_FACTS_H
#define JOBNET_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/addr.h"
#include "core/cniargs.h"
#include "base/error.h"
#include "base/names.h"

#define JN_FACTS_MAX_ROUTES 32
#define JN_FACTS_MAX_PEERS 64

enum jobrole {
	JN_ROLE_WORKER,
	JN_ROLE_ROUTER,
};

struct jobfacts {
	char group[JN_ID_MAX + 1]; /* "" when the job belongs to no group */
	bool multinode;
	unsigned blocks; /* 0 and 0: the whole instance */
	unsigned total_blocks;
	enum jobrole role;
	size_t route_count;
	char routes[JN_FACTS_MAX_ROUTES][JN_ID_MAX + 1];
	size_t peer_count;
	struct jn_prefix peers[JN_FACTS_MAX_PEERS];
	/* Routers on other nodes that may open connections to the job. */
	size_t router_count;
	struct jn_prefix routers[JN_FACTS_MAX_PEERS];
};

/* The channels, as the configuration and environment carry them; any may be
 * NULL. */
struct facts_sources {
	const json_t *runtime_config; /* runtimeConfig.jobnet */
	const json_t *args; /* args.cni.jobnet */
	const json_t *annotations; /* the pod annotations object */
	const struct cniargs *cni_args;
	bool record; /* runtime_config is a record's facts: groups may be scoped */
};

void facts_init(struct jobfacts *f);

/* Merge the channels fact by fact and validate the result. */
int facts_collect(const struct facts_sources *src, struct jobfacts *out, struct jn_error *err);

/* Parse one fact from text, as jobnetctl's flags and the string channels
 * give it ("group", "multinode", "blocks", "total-blocks", "role", "routes",
 * "peers", "routers"). */
int facts_set_text(struct jobfacts *f, const char *fact, const char *value, const char *channel, struct jn_error *err);

/* groupScope "namespace": the group and the routes become "<scope>:<name>"
 * (names_is_valid_group), so the same name in two scopes is two groups.
 * Error 7 when scope is not an ID or a scoped name is too long. */
int facts_scope_groups(struct jobfacts *f, const char *scope, struct jn_error *err);

/* Check facts that depend on each other (blocks <= total-blocks, no two
 * peers or routers overlapping, ...). */
int facts_validate(const struct jobfacts *f, struct jn_error *err);

/* True when the job holds only part of the instance. */
bool facts_is_partial(const struct jobfacts *f);

const char *facts_role_name(enum jobrole role);

json_t *facts_to_json(const struct jobfacts *f);
/* ["10.0.2.11/32", ...] */
json_t *facts_prefixes_to_json(const struct jn_prefix *list, size_t count);
int facts_from_json(const json_t *j, struct jobfacts *out, struct jn_error *err);

/* CNI_ARGS keys of the facts, for the list of keys the plugin consumes. */
extern const char *const facts_cni_arg_keys[];

#endif
