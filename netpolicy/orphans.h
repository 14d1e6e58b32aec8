/* Elements of jobnet's per-job sets and maps that no record explains.
 *
 * What the records explain is worked out from the records alone: each
 * finished bridged job's own elements, and the talk pairs its group and
 * routes give with every other such job (not from the group index, which a
 * crash or a hand may have left short). Every element the kernel lists in
 * a per-job set (addresses, pairs, peers, hairpin, mappings, the bridge
 * table's ports and their MACs and addresses) that is not among them is an
 * orphan: jobnetctl verify reports them, CNI GC and jobnetctl gc remove
 * them. Callers hold the policy lock.
 */
#ifndef JOBNET_ORPHANS_H
#define JOBNET_ORPHANS_H

#include <stdbool.h>

#include "netpolicy/netpolicy.h"

/* Which orphans to remove: those whose key names an address of one of
 * these subnets (a network's: its jobs' records are all in the state the
 * restore walks, where another state directory's jobs, which share the
 * tables, are not). NULL: remove nothing, report every orphan. */
struct orphans_scope {
	const struct jn_prefix *subnets;
	size_t subnet_count;
};

/* Call report for each orphan (as "<table> <set> { <key> }") and, with a
 * scope, delete those of the scope in one transaction (reporting only
 * them). Nothing is judged (and *judged is false) while a record does not
 * read: what it owns cannot be told from leftovers, or when jobnet's tables
 * are missing or outdated. */
int orphans_find(const struct netpolicy_restore *restore, const struct orphans_scope *scope,
		 netpolicy_missing_fn report, void *ctx, bool *judged, struct jn_error *err);

#endif
