/* The plugin's commands, in one table: each command's name, handler,
 * lowest CNI version and what it needs of its network's state. The table
 * also names the commands in the error for an unknown CNI_COMMAND.
 *
 * One prelude runs every command that needs state: it checks the version
 * and the command's own input, opens the network's state directory
 * (creating it, or not: a missing one is then dir_fd == -1 and no lock),
 * takes the network's lock (exclusive or shared) and hands the open,
 * locked network to the handler; it closes the network after the handler.
 */
#ifndef JOBNET_COMMAND_H
#define JOBNET_COMMAND_H

#include <stdbool.h>

#include <jansson.h>

#include "base/error.h"
#include "cni/invocation.h"
#include "cni/plugin.h"
#include "core/state.h"

struct command {
	const char *name;
	enum jn_command id;
	/* NULL for VERSION, which main answers before any configuration. */
	int (*run)(struct plugin *p, struct state_network *net, json_t **result, struct jn_error *err);
	const char *min_version; /* lowest cniVersion, NULL for any */
	/* Checks of the configuration before the state is touched; NULL: none. */
	int (*check)(const struct plugin *p, struct jn_error *err);
	/* Gives an error of the prelude (open, lock) the command's meaning;
	 * NULL: as it is. */
	int (*prelude_failed)(struct jn_error *err);
	/* The configuration keys the command needs, NULL-terminated; NULL: all
	 * of them. A command with a list works whatever the other keys,
	 * CNI_ARGS and the facts say: their problems are warnings (DEL and GC
	 * must remove what ADD made, whatever ADD would refuse now). */
	const char *const *needs;
	bool create; /* create the network's state directory */
	bool exclusive; /* the network's lock: exclusive, else shared */
};

/* The command named name, or NULL. */
const struct command *command_find(const char *name);

/* Error 4 for a CNI_COMMAND that names no command (quoting it, cut short),
 * listing the commands. */
int command_unknown(const char *given, struct jn_error *err);

/* Gate the version, run check, open and lock the network, run the handler. */
int command_run(const struct command *c, struct plugin *p, json_t **result, struct jn_error *err);

#endif
