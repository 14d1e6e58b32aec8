/* Comparing what jobnet recorded with what the kernel has: every drift of
 * an attachment, as a line a person can act on. CHECK reports the first as
 * error 108; jobnetctl verify prints them all.
 */
#ifndef JOBNET_VERIFY_H
#define JOBNET_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/attachment.h"
#include "base/error.h"
#include "core/netrecord.h"
#include "core/state.h"

#define JN_MAX_DRIFTS 64

struct drifts {
	size_t count;
	char items[JN_MAX_DRIFTS][320];
};

void drifts_add(struct drifts *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Compare one attachment (its reservations, bridge, veth, gateway, the
 * job's interface in netns_path, its port mappings and its nftables
 * elements) and add each difference to d. Returns -1 only when it could not
 * look at all. */
int verify_attachment(const char *state_dir, struct state_network *net, const struct netrecord *rec,
		      const struct attachment *a, const char *netns_path, struct drifts *d, struct jn_error *err);

#endif
