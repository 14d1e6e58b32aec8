/* The process's one nfnetlink socket, for nf_tables and conntrack
 * requests (nftwire.c, nfquery.c, conntrack.c).
 *
 * Closing a netfilter netlink socket right after a transaction that deleted
 * elements waits for an RCU grace period (the kernel finishes the deferred
 * destruction first): 15-20 ms here. Kept open, the socket goes at
 * nfsock_release(), after the rest of the work, by when the grace period
 * has passed alongside it.
 */
#ifndef JOBNET_NFSOCK_H
#define JOBNET_NFSOCK_H

#include <libmnl/libmnl.h>

#include "../cni/error.h"

/* The socket, opened on first use, with nothing left to read from an
 * earlier request. NULL with err filled when it cannot be opened. */
struct mnl_socket *nfsock_get(struct jn_error *err);

/* Close it; call last. A later nfsock_get opens a new one. */
void nfsock_release(void);

#endif
