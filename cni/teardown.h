/* Removing an attachment: shared by DEL, GC and ADD's recovery from an
 * earlier ADD that died half-way. Every step treats "already gone" as done.
 */
#ifndef JOBNET_TEARDOWN_H
#define JOBNET_TEARDOWN_H

#include "attachment.h"
#include "error.h"
#include "state.h"

/* Remove the attachment's nftables elements, host veth, reservations and
 * record, in that order. Goes on past a failing step and returns the first
 * error, so one broken piece never keeps the rest alive. */
int teardown_attachment(const char *state_dir, struct state_network *net, const struct attachment *a,
			struct jn_error *err);

/* Build a stand-in record for an attachment whose record is missing or
 * unreadable: the derived veth name and the reservations it owns. */
int teardown_reconstruct(struct state_network *net, const char *network, const char *container_id, const char *ifname,
			 struct attachment *out, struct jn_error *err);

#endif
