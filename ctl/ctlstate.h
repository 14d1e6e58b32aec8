/* Reading the plugin's state from jobnetctl, under the same locks. */
#ifndef JOBNET_CTLSTATE_H
#define JOBNET_CTLSTATE_H

#include "../cni/attachment.h"

typedef int (*ctlstate_fn)(const struct attachment *a, void *ctx);

/* Call fn for every readable record of every network, each network under
 * its shared lock. Unreadable records are reported on stderr and skipped;
 * returns -1 if any was, or on a failure to read the state at all. */
int ctlstate_each(const char *state_dir, ctlstate_fn fn, void *ctx);

#endif
