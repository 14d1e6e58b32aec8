/* The kernel side of a bridge attachment: forwarding, the bridge and its
 * gateway addresses, the veth pair and the job's interface. ADD makes it;
 * jobnetctl repair makes it again for a job whose veth was deleted.
 */
#ifndef JOBNET_ATTACH_H
#define JOBNET_ATTACH_H

#include <stdbool.h>

#include "core/attachment.h"
#include "base/error.h"
#include "core/netrecord.h"
#include "core/sandbox.h"

struct nl_sock;

/* What attach_kernel made, for attach_kernel_undo. */
struct attach_undo {
	bool bridge_created;
	bool gateway_added[JN_MAX_ADDRS];
	int bridge_ifindex;
	bool veth_created;
};

/* Only the node's side of the network: forwarding, bridge, gateways. */
int attach_bridge(struct nl_sock *node, const struct netrecord *rec, const struct attachment *a,
		  struct attach_undo *undo, struct jn_error *err);

int attach_kernel(struct nl_sock *node, const struct netrecord *rec, const struct attachment *a, unsigned mtu,
		  struct sandbox *sb, struct attach_undo *undo, struct jn_error *err);

/* Undo what undo records, in reverse order; failures are only logged. */
void attach_kernel_undo(struct nl_sock *node, const struct netrecord *rec, const struct attachment *a,
			const struct attach_undo *undo);

#endif
