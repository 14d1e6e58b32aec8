/* Finding jobnet's configuration the way a runtime does: a conflist or a
 * single config, or the first file in the configuration directory (sorted,
 * *.conflist, *.conf, *.json) whose plugins include one of type "jobnet".
 */
#ifndef JOBNET_CTLCONF_H
#define JOBNET_CTLCONF_H

#include <limits.h>

#include "base/error.h"
#include "core/netconf.h"
#include "core/scan.h"

#define CTL_DEFAULT_CONF_DIR "/etc/cni/net.d"

/* Parse the jobnet plugin's configuration, with "name" and "cniVersion"
 * taken from the list as a runtime passes them. used receives the file. */
int ctlconf_load(const char *path, const char *conf_dir, struct netconf *conf, char used[PATH_MAX],
		 struct jn_error *err);

/* Add to dirs the stateDir of every jobnet plugin configured in conf_dir
 * (NULL: the default), each once; jobnet's default for a plugin that sets
 * none, and for a node whose conf_dir is missing or names no jobnet plugin. */
int ctlconf_state_dirs(const char *conf_dir, struct namelist *dirs, struct jn_error *err);

#endif
