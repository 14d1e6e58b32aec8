/* A network's "cluster" key: the job address space of every node together,
 * and the routes to the other nodes' job subnets.
 *
 *   "cluster": {"subnet": "10.70.0.0/16", "subnet6": "fd70::/48",
 *               "routes": [{"dst": "10.70.2.0/24", "via": "192.168.77.2"}]}
 *
 * This node's subnets lie inside the cluster subnets; traffic between a job
 * and a cluster address is never masqueraded, and only a job's peers and
 * routers cross the node's edge in either direction (netpolicy).
 */
#ifndef JOBNET_CLUSTER_H
#define JOBNET_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/addr.h"
#include "base/error.h"
#include "core/facts.h"
#include "kernel/route.h"

#define JN_CLUSTER_MAX_ROUTES 128

struct cluster_conf {
	size_t subnet_count; /* at most one per family */
	struct jn_prefix subnets[2];
	size_t route_count;
	struct route_spec routes[JN_CLUSTER_MAX_ROUTES];
};

/* The "cluster" object: its own values (error 7 naming the key, error 2
 * for an unknown field). */
int cluster_parse(const json_t *value, struct cluster_conf *out, struct jn_error *err);

/* Against this node's subnets (count of them): each inside the cluster
 * subnet of its family, no route to one of them, no gateway in one. */
int cluster_check_node(const struct cluster_conf *c, const struct jn_prefix *node, size_t count, struct jn_error *err);

/* The cluster subnet of the family, or NULL. */
const struct jn_prefix *cluster_subnet(const struct cluster_conf *c, int family);

/* Whether both say the same cluster subnets (routes aside). */
bool cluster_same_subnets(const struct cluster_conf *a, const struct cluster_conf *b);

/* The JSON form a network record keeps ({"subnets": [...], "routes": [...]}),
 * and back; a record without it has no cluster. */
json_t *cluster_to_json(const struct cluster_conf *c);
int cluster_from_json(const json_t *j, struct cluster_conf *out, struct jn_error *err);

/* A job's peers and routers against the cluster (error 7): a peer lies
 * inside a cluster subnet or outside every one, and none of them is this
 * node's own subnet (members here are found through the group). */
int cluster_check_facts(const struct cluster_conf *c, const struct jn_prefix *node, size_t count,
			const struct jobfacts *f, struct jn_error *err);

#endif
