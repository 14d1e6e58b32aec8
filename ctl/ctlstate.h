/* Reading the plugin's state from jobnetctl, under the same locks. */
#ifndef JOBNET_CTLSTATE_H
#define JOBNET_CTLSTATE_H

#include <stdbool.h>

#include "core/attachment.h"

typedef int (*ctlstate_fn)(const struct attachment *a, void *ctx);

/* Call fn for every readable record of every network, each network under
 * its shared lock. Unreadable records are reported on stderr and skipped;
 * returns -1 if any was, or on a failure to read the state at all. */
int ctlstate_each(const char *state_dir, ctlstate_fn fn, void *ctx);

/* Call fn for every network directory, with the network's lock held
 * (exclusive or shared). Problems opening or locking are reported and the
 * network is skipped; returns -1 if any was. */
#include "core/state.h"
typedef int (*ctlstate_network_fn)(struct state_network *net, const char *name, void *ctx);
int ctlstate_each_network(const char *state_dir, bool exclusive, ctlstate_network_fn fn, void *ctx);

#endif
