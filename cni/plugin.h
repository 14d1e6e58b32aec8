/* One plugin run: the invocation, the parsed configuration and CNI_ARGS.
 * Each command lives in its own cmd_*.c and is dispatched by main().
 */
#ifndef JOBNET_PLUGIN_H
#define JOBNET_PLUGIN_H

#include <jansson.h>

#include "core/cniargs.h"
#include "base/error.h"
#include "core/facts.h"
#include "cni/invocation.h"
#include "core/netconf.h"

struct plugin {
	struct invocation inv;
	struct netconf conf;
	struct cniargs args;
	struct jobfacts facts; /* ADD only: the job's facts from every channel */
};

/* Each command returns < 0 and fills err on failure; on success *result is
 * what goes to stdout (NULL for nothing). */
int cmd_add(struct plugin *p, json_t **result, struct jn_error *err);
int cmd_del(struct plugin *p, json_t **result, struct jn_error *err);
int cmd_check(struct plugin *p, json_t **result, struct jn_error *err);
int cmd_status(struct plugin *p, json_t **result, struct jn_error *err);
int cmd_gc(struct plugin *p, json_t **result, struct jn_error *err);

/* CNI_ARGS keys the plugin consumes (NULL-terminated). */
extern const char *const plugin_known_args[];

#endif
