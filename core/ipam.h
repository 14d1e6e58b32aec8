/* Built-in address management: a file-backed allocator per network.
 *
 * A reservation is a symlink ipam/<address> whose target is the owner key
 * "<container ID>:<ifname>". The caller holds the network lock, picks an
 * address, records it in the attachment record, and only then claims it: so
 * the record always lists every address the attachment may hold, and a
 * crash leaves nothing DEL cannot find.
 */
#ifndef JOBNET_IPAM_H
#define JOBNET_IPAM_H

#include "base/addr.h"
#include "base/error.h"
#include "core/state.h"

struct ipam_pool {
	struct jn_prefix subnet;
	struct jn_addr gateway;
};

/* Choose an address: the requested one (family != 0) if it is free and not
 * the network, gateway or broadcast address (else error 103), or the next
 * free one after the last reservation (error 102 when none is left). */
int ipam_pick(struct state_network *net, const struct ipam_pool *pool, const struct jn_addr *requested,
	      struct jn_addr *out, struct jn_error *err);

/* Create the reservation of addr for owner. */
int ipam_claim(struct state_network *net, const struct jn_addr *addr, const char *owner, struct jn_error *err);

/* Remove the reservation of addr if owner holds it; absent is success. */
int ipam_release(struct state_network *net, const struct jn_addr *addr, const char *owner, struct jn_error *err);

/* Owner of a reservation into owner (JN_ATTACHMENT_KEY_MAX bytes): 1 when
 * reserved, 0 when free, -1 on error. */
int ipam_owner(struct state_network *net, const struct jn_addr *addr, char *owner, struct jn_error *err);

/* Remove every reservation whose owner has no record in the network and
 * which keep() (NULL: none) does not keep; dropped() hears of each, with
 * failure set when it could not be removed. The caller holds the lock. */
typedef bool (*ipam_keep_fn)(const char *owner, void *ctx);
typedef void (*ipam_dropped_fn)(const char *address, const char *owner, const struct jn_error *failure, void *ctx);
int ipam_release_orphans(struct state_network *net, ipam_keep_fn keep, ipam_dropped_fn dropped, void *ctx,
			 struct jn_error *err);

/* Call fn for every reservation (address text, owner). */
typedef int (*ipam_entry_fn)(struct state_network *net, const char *address, const char *owner, void *ctx);
int ipam_each(struct state_network *net, ipam_entry_fn fn, void *ctx, struct jn_error *err);

#endif
