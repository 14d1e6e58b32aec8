/* Forgetting connections (ctnetlink through libmnl): a job's, so an address
 * handed out again inherits no flow, and a mapped UDP port's, so datagrams
 * of a flow seen before the mapping existed do not bypass it. */
#ifndef JOBNET_CONNTRACK_H
#define JOBNET_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "base/error.h"

/* Delete every conntrack entry of the node's namespace whose original or
 * reply tuple has one of addrs as source or destination. */
int conntrack_forget(const struct jn_addr *addrs, size_t count, size_t *deleted, struct jn_error *err);

/* Delete every entry between one of addrs and an address inside one of
 * others, in either tuple and either direction: the flows of jobs with
 * peers they no longer have. */
int conntrack_forget_between(const struct jn_addr *addrs, size_t count, const struct jn_prefix *others,
			     size_t other_count, size_t *deleted, struct jn_error *err);

/* Delete every entry of protocol proto whose original destination port is
 * port and whose original destination is dst (or, with dst NULL, any
 * address of the node). */
int conntrack_forget_port(uint8_t proto, uint16_t port, const struct jn_addr *dst, size_t *deleted,
			  struct jn_error *err);

#endif
