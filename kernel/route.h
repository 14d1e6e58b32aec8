/* jobnet's own routes in the node's main table (libnl-route-3): the routes
 * to the other nodes' job subnets that a network's "cluster.routes" names.
 * Every route jobnet adds carries the routing protocol number
 * ROUTE_PROTOCOL_JOBNET, so `ip route show proto 74` lists them and jobnet
 * never changes or deletes a route it did not make.
 */
#ifndef JOBNET_ROUTE_H
#define JOBNET_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/addr.h"
#include "base/error.h"

struct nl_sock;

/* rtm_protocol of jobnet's routes ('J'); no other routing daemon uses it. */
#define ROUTE_PROTOCOL_JOBNET 74

struct route_spec {
	struct jn_prefix dst;
	struct jn_addr via;
};

/* What the main table holds for one destination. */
enum route_state {
	ROUTE_MISSING, /* no route to exactly that prefix */
	ROUTE_AS_WANTED, /* a route via the wanted address (jobnet's or not) */
	ROUTE_OURS_ELSEWHERE, /* jobnet's, via another address */
	ROUTE_FOREIGN, /* someone else's, another way */
};

struct route_found {
	enum route_state state;
	struct jn_addr via; /* the route's gateway; family 0 when it has none */
	int protocol;
};

/* A snapshot of the node's main routing table, both families. */
struct route_table;

int route_table_read(struct nl_sock *sk, struct route_table **out, struct jn_error *err);
void route_table_free(struct route_table *t);
static inline void route_table_freep(struct route_table **t)
{
	route_table_free(*t);
	*t = NULL;
}
#define cleanup_route_table __attribute__((cleanup(route_table_freep)))

void route_table_find(const struct route_table *t, const struct route_spec *want, struct route_found *out);

/* Call fn for each of jobnet's routes in the snapshot. */
typedef void (*route_spec_fn)(const struct route_spec *route, void *ctx);
void route_table_each_ours(const struct route_table *t, route_spec_fn fn, void *ctx);

/* Add the route, tagged as jobnet's (error 105 naming it when the kernel
 * refuses, for example a gateway that is not on a connected network). */
int route_add(struct nl_sock *sk, const struct route_spec *route, struct jn_error *err);

/* Delete jobnet's route to route->dst via route->via (only one that carries
 * jobnet's protocol number); an absent one is success. */
int route_delete_ours(struct nl_sock *sk, const struct route_spec *route, struct jn_error *err);

/* "10.0.2.0/24 via 192.168.0.12" into buf of ROUTE_TEXT_MAX bytes. */
#define ROUTE_TEXT_MAX (2 * JN_ADDR_STRLEN + 8)
const char *route_format(const struct route_spec *route, char *buf);

#endif
