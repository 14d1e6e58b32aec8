/* Talk pairs: (source job, destination job) addresses between which new
 * connections are allowed. A job talks to the other members of its group
 * both ways; a router opens connections to the members of each group its
 * routes name (replies flow back through conntrack). A job without a group
 * and without routes has no pair: it reaches no other job.
 */
#ifndef JOBNET_PAIRS_H
#define JOBNET_PAIRS_H

#include <stdbool.h>

#include "netpolicy/netpolicy.h"

#define PAIR_COMMENT_MAX 120

typedef void (*pair_fn)(const struct jn_addr *src, const struct jn_addr *dst, const char *comment, void *ctx);

/* Call fn for every pair the job opens and, with both_ways, every pair that
 * opens towards it. Each directed pair is reported once. */
int pairs_each(int groups_fd, const struct netpolicy_job *job, bool both_ways, pair_fn fn, void *ctx,
	       struct jn_error *err);

#endif
