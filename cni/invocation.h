/* The CNI_* environment of one plugin run, validated per command. An empty
 * variable counts as unset. Errors are code 4 and name every bad variable.
 */
#ifndef JOBNET_INVOCATION_H
#define JOBNET_INVOCATION_H

#include <limits.h>

#include "base/error.h"
#include "base/names.h"

enum jn_command {
	JN_CMD_ADD,
	JN_CMD_DEL,
	JN_CMD_CHECK,
	JN_CMD_STATUS,
	JN_CMD_GC,
	JN_CMD_VERSION,
};

struct command;

struct invocation {
	const struct command *cmd; /* CNI_COMMAND: its entry in the table of command.c */
	char container_id[JN_ID_MAX + 1]; /* "" when not given */
	char ifname[JN_IFNAME_MAX + 1];
	char netns[PATH_MAX]; /* "" when not given */
	const char *args; /* CNI_ARGS or NULL */
};

/* Read CNI_COMMAND only. */
int invocation_read_command(struct invocation *inv, struct jn_error *err);

/* Read and check the other variables that inv->cmd needs. */
int invocation_read_env(struct invocation *inv, struct jn_error *err);

#endif
