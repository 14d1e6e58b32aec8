/* Reading the plugin's state from jobnetctl, under the same locks, in
 * every state directory the options name (see ctl_state_dirs). What does
 * not open, lock or read is printed on stderr and makes the walk fail. */
#ifndef JOBNET_CTLSTATE_H
#define JOBNET_CTLSTATE_H

#include <stdbool.h>

#include "core/attachment.h"
#include "core/state.h"
#include "ctl/ctl.h"

/* Call fn for every readable record of every network, each network under
 * its shared lock; state_dir is the directory it came from. Returns -1 if
 * any record or network did not read, or fn failed. */
typedef int (*ctlstate_fn)(const char *state_dir, const struct attachment *a, void *ctx);
int ctlstate_each(const struct ctl_options *opts, ctlstate_fn fn, void *ctx);

/* Call fn for every network of every state directory with the network's
 * lock held (exclusive or shared); returns -1 if any network did not open
 * or lock, or fn failed. */
typedef int (*ctlstate_network_fn)(const char *state_dir, struct state_network *net, const char *name, void *ctx);
int ctlstate_each_network(const struct ctl_options *opts, bool exclusive, ctlstate_network_fn fn, void *ctx);

#endif
