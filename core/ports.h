/* Host ports of port mappings: a node-wide registry under
 * <stateDir>/policy/ports/<proto>-<port>/<hostIP or "any"> (symlinks to the
 * owner "<network>:<cid>:<ifname>"), used under the policy lock, so two
 * jobs never map one port and hostPort 0 picks a port nobody holds.
 */
#ifndef JOBNET_PORTS_H
#define JOBNET_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/names.h"
#include "base/portmap.h"

/* "<network>:<cid>:<ifname>", the owner a claim names. */
#define PORTS_OWNER_MAX (2 * JN_ID_MAX + JN_IFNAME_MAX + 3)
void ports_owner(const char *network, const char *container_id, const char *ifname, char out[PORTS_OWNER_MAX]);

/* Claim every mapping's port, picking one from the ephemeral range where
 * host_port is 0 (and writing it back). A port another job maps, or a
 * process of the node binds, is error 107 naming it; an address that is not
 * the node's is error 7. On failure nothing stays claimed. has_v4/has_v6:
 * which families the job has. */
int ports_claim(const char *state_dir, const char *owner, struct portmap *maps, size_t count, bool has_v4, bool has_v6,
		struct jn_error *err);

/* Write the owner's claims that are missing, trusting the record (repair):
 * a port another owner holds now is error 107; nothing is bound or tested. */
int ports_reclaim(const char *state_dir, const char *owner, const struct portmap *maps, size_t count, size_t *restored,
		  struct jn_error *err);

/* Release the owner's claims; ports claimed by others are left alone. */
int ports_release(const char *state_dir, const char *owner, const struct portmap *maps, size_t count,
		  struct jn_error *err);

/* 1 when the owner holds the mapping's port, 0 when not, -1 on error. */
int ports_held_by(const char *state_dir, const char *owner, const struct portmap *m, struct jn_error *err);

/* Whether any mapping claims this protocol and port, on any address. */
bool ports_is_mapped(const char *state_dir, uint8_t proto, uint16_t port);

/* Call fn for every claim: its owner and "tcp-8080/any". */
typedef void (*ports_claim_fn)(const char *owner, const char *claim, void *ctx);
int ports_each_claim(const char *state_dir, ports_claim_fn fn, void *ctx, struct jn_error *err);

/* Remove one claim given as ports_each_claim names it. */
int ports_drop_claim(const char *state_dir, const char *claim, struct jn_error *err);

/* Remove every claim whose owner keep() does not keep; dropped() hears of
 * each, with failure set when it could not be removed. The one sweep of
 * leftovers for DEL without a record, CNI GC, jobnetctl gc and repair. */
typedef bool (*ports_keep_fn)(const char *owner, void *ctx);
typedef void (*ports_dropped_fn)(const char *owner, const char *claim, const struct jn_error *failure, void *ctx);
int ports_drop_claims_unless(const char *state_dir, ports_keep_fn keep, ports_dropped_fn dropped, void *ctx,
			     struct jn_error *err);

#endif
