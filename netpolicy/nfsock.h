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
#include <stdint.h>

#include "base/error.h"

/* The socket, opened on first use, with nothing left to read from an
 * earlier request. NULL with err filled when it cannot be opened. */
struct mnl_socket *nfsock_get(struct jn_error *err);

/* Close it; call last. A later nfsock_get opens a new one. */
void nfsock_release(void);

/* A request's header in buf: type is (subsystem << 8) | message, flags
 * are added to NLM_F_REQUEST, res_id is host order. */
struct nlmsghdr *nfsock_header(void *buf, uint16_t type, uint16_t flags, uint8_t family, unsigned seq, uint16_t res_id);

/* The next sequence number for a request (they increase from a time-based
 * start, so a reply to an earlier process is not taken for one). */
unsigned nfsock_seq(void);

#endif
