/* Forgetting a job's connections (ctnetlink through libmnl), so that an
 * address handed out again inherits no flow. */
#ifndef JOBNET_CONNTRACK_H
#define JOBNET_CONNTRACK_H

#include <stddef.h>

#include "../cni/addr.h"
#include "../cni/error.h"

/* Delete every conntrack entry of the node's namespace whose original or
 * reply tuple has addr as source or destination. *deleted counts them. */
int conntrack_forget(const struct jn_addr *addrs, size_t count, size_t *deleted, struct jn_error *err);

#endif
