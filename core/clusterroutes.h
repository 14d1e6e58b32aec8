/* The routes of a network's "cluster.routes" in the node's namespace: ADD
 * puts them in place, jobnetctl verify reports a missing or different one,
 * repair restores it. jobnet only ever adds, moves or deletes routes that
 * carry its protocol number (kernel/route.h); a route someone else made to
 * the same destination another way is reported, never touched.
 */
#ifndef JOBNET_CLUSTERROUTES_H
#define JOBNET_CLUSTERROUTES_H

#include <stdbool.h>

#include "base/error.h"
#include "core/cluster.h"
#include "core/netrecord.h"

struct nl_sock;

/* What clusterroutes_ensure changed, by index into rec->cluster.routes. */
struct clusterroutes_undo {
	bool added[JN_CLUSTER_MAX_ROUTES];
	bool moved[JN_CLUSTER_MAX_ROUTES];
	struct jn_addr moved_from[JN_CLUSTER_MAX_ROUTES];
};

/* Add each missing route, move jobnet's own one that goes another way;
 * a foreign route to one of the destinations another way is error 7.
 * undo may be NULL. */
int clusterroutes_ensure(struct nl_sock *node, const struct netrecord *rec, struct clusterroutes_undo *undo,
			 struct jn_error *err);
/* Put back what ensure changed; failures are only logged. */
void clusterroutes_undo(struct nl_sock *node, const struct netrecord *rec, const struct clusterroutes_undo *undo);

/* Delete jobnet's routes that old lists and neither rec nor the record of
 * another network under state_dir does (a configuration that dropped one). */
int clusterroutes_drop_stale(const char *state_dir, struct nl_sock *node, const struct netrecord *old,
			     const struct netrecord *rec, struct jn_error *err);

/* Call report with each route of rec that is missing or goes another way. */
typedef void (*clusterroutes_report_fn)(void *ctx, const char *what);
int clusterroutes_verify(struct nl_sock *node, const struct netrecord *rec, clusterroutes_report_fn report, void *ctx,
			 struct jn_error *err);

/* Call fn with each of jobnet's routes that no network record under any of
 * the count state_dirs lists; with remove, after deleting it (failure says
 * how that went: unset when it went). */
typedef void (*clusterroutes_orphan_fn)(void *ctx, const struct route_spec *route, const struct jn_error *failure);
int clusterroutes_orphans(char *const *state_dirs, size_t count, struct nl_sock *node, bool remove,
			  clusterroutes_orphan_fn fn, void *ctx, struct jn_error *err);

#endif
