/* Running a CNI plugin as a runtime runs it: found by its type in the
 * plugin directories, the network configuration on stdin, the CNI_*
 * variables in its environment (with jobnetctl's own environment, CNI_*
 * removed), its stdout read as the result or the error object. Its stderr
 * is jobnetctl's. */
#ifndef JOBNET_CTLPLUGIN_H
#define JOBNET_CTLPLUGIN_H

#include <limits.h>

#include <jansson.h>

#include "base/error.h"

#define CTL_DEFAULT_CNI_BIN_DIR "/opt/cni/bin"

/* The first executable named type in the ':'-separated directories. */
int ctlplugin_find(const char *dirs, const char *type, char out[PATH_MAX], struct jn_error *err);

struct ctlplugin_call {
	const char *path;
	const char *command; /* "ADD", "DEL" */
	const char *container_id;
	const char *netns; /* NULL: CNI_NETNS unset */
	const char *ifname;
	const char *cni_path; /* the plugin directories */
	const json_t *config;
};

struct ctlplugin_reply {
	int status; /* exit status, or 128 + the signal that killed it */
	char *out; /* stdout, NUL-terminated */
	json_t *json; /* stdout as a JSON object; NULL when it is not one */
};

/* Run the plugin and wait for it. 0 when it ran (whatever its status);
 * -1 with err when it could not be started or its output read. */
int ctlplugin_exec(const struct ctlplugin_call *call, struct ctlplugin_reply *reply, struct jn_error *err);

void ctlplugin_reply_free(struct ctlplugin_reply *reply);

#endif
