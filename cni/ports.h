/* Host ports of port mappings: a node-wide registry under
 * <stateDir>/policy/ports/<proto>-<port>/<hostIP or "any"> (symlinks to the
 * owner "<network>:<cid>:<ifname>"), used under the policy lock, so two
 * jobs never map one port and hostPort 0 picks a port nobody holds.
 */
#ifndef JOBNET_PORTS_H
#define JOBNET_PORTS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "portmap.h"

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

/* Call fn for every claim: its owner and "tcp-8080/any". */
typedef void (*ports_claim_fn)(const char *owner, const char *claim, void *ctx);
int ports_each_claim(const char *state_dir, ports_claim_fn fn, void *ctx, struct jn_error *err);

/* Remove one claim given as ports_each_claim names it. */
int ports_drop_claim(const char *state_dir, const char *claim, struct jn_error *err);

#endif
