/* One plugin run: the invocation, the parsed configuration and CNI_ARGS.
 * Each command lives in its own cmd_*.c and is listed in the table of
 * command.c, whose prelude opens and locks the network for it.
 */
#ifndef JOBNET_PLUGIN_H
#define JOBNET_PLUGIN_H

#include <jansson.h>

#include "core/cniargs.h"
#include "base/error.h"
#include "core/facts.h"
#include "cni/invocation.h"
#include "core/netconf.h"
#include "core/state.h"

struct plugin {
	struct invocation inv;
	struct netconf conf;
	struct cniargs args;
	struct jobfacts facts; /* ADD only: the job's facts from every channel */
};

/* Each command gets its network open and locked (see command.h), returns
 * < 0 and fills err on failure; on success *result is what goes to stdout
 * (NULL for nothing). */
int cmd_add(struct plugin *p, struct state_network *net, json_t **result, struct jn_error *err);
int cmd_del(struct plugin *p, struct state_network *net, json_t **result, struct jn_error *err);
int cmd_check(struct plugin *p, struct state_network *net, json_t **result, struct jn_error *err);
int cmd_status(struct plugin *p, struct state_network *net, json_t **result, struct jn_error *err);
int cmd_gc(struct plugin *p, struct state_network *net, json_t **result, struct jn_error *err);

/* What ADD, CHECK and GC need of the invocation and configuration, checked
 * before the state (ADD: that CNI_NETNS is a network namespace). */
int cmd_add_input(const struct plugin *p, struct jn_error *err);
int cmd_check_input(const struct plugin *p, struct jn_error *err);
int cmd_gc_input(const struct plugin *p, struct jn_error *err);
/* STATUS's meaning of every failure but 51: error 50, cannot serve ADD. */
int cmd_status_unavailable(struct jn_error *err);

/* VERSION: the versions the plugin speaks, with cniVersion as given (when
 * supported) or the latest. */
int cmd_version(const char *cni_version, struct jn_error *err);

/* CNI_ARGS keys the plugin consumes (NULL-terminated). */
extern const char *const plugin_known_args[];

#endif
