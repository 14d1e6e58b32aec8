#include "kernel/route.h"

#include <errno.h>
#include <netlink/netlink.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

struct route_table {
	struct nl_cache *cache;
};

static void route_putp(struct rtnl_route **r)
{
	if (*r)
		rtnl_route_put(*r);
}
static void nl_addr_putp(struct nl_addr **a)
{
	if (*a)
		nl_addr_put(*a);
}
#define cleanup_route __attribute__((cleanup(route_putp)))
#define cleanup_nladdr __attribute__((cleanup(nl_addr_putp)))

const char *route_format(const struct route_spec *route, char *buf)
{
	char dst[JN_ADDR_STRLEN], via[JN_ADDR_STRLEN];

	snprintf(buf, ROUTE_TEXT_MAX, "%s via %s", prefix_format(&route->dst, dst), addr_format(&route->via, via));
	return buf;
}

static int nl_failed(struct jn_error *err, int rc, const char *what, const struct route_spec *route)
{
	char text[ROUTE_TEXT_MAX];

	jn_error_set(err, JN_ERR_KERNEL, "%s route %s", what, route ? route_format(route, text) : "table");
	jn_error_detail(err, "netlink: %s", nl_geterror(rc));
	return -1;
}

int route_table_read(struct nl_sock *sk, struct route_table **out, struct jn_error *err)
{
	struct route_table *t = calloc(1, sizeof(*t));
	int rc;

	*out = NULL;
	if (t == NULL)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	rc = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &t->cache);
	if (rc < 0) {
		free(t);
		return nl_failed(err, rc, "reading the routing", NULL);
	}
	*out = t;
	return 0;
}

void route_table_free(struct route_table *t)
{
	if (t == NULL)
		return;
	nl_cache_free(t->cache);
	free(t);
}

static bool nl_addr_to(struct nl_addr *a, struct jn_addr *out)
{
	int family = a ? nl_addr_get_family(a) : 0;

	memset(out, 0, sizeof(*out));
	if ((family != AF_INET && family != AF_INET6) || nl_addr_get_len(a) != (unsigned)addr_size(family))
		return false;
	out->family = family;
	memcpy(out->bytes, nl_addr_get_binary_addr(a), (size_t)addr_size(family));
	return true;
}

/* The route's destination and its one gateway (none when it has several
 * next hops, or none); false for anything but a unicast route of main. */
static bool describe(struct rtnl_route *r, struct route_spec *out)
{
	struct nl_addr *dst = rtnl_route_get_dst(r);

	memset(out, 0, sizeof(*out));
	if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST ||
	    !nl_addr_to(dst, &out->dst.addr))
		return false;
	out->dst.len = (int)nl_addr_get_prefixlen(dst);
	if (rtnl_route_get_nnexthops(r) == 1)
		nl_addr_to(rtnl_route_nh_get_gateway(rtnl_route_nexthop_n(r, 0)), &out->via);
	return true;
}

static bool same_prefix(const struct jn_prefix *a, const struct jn_prefix *b)
{
	return a->len == b->len && addr_equal(&a->addr, &b->addr);
}

/* Of several routes to one prefix, the one that says most: one via the
 * wanted address, else jobnet's, else any. */
static int rank(const struct route_found *f)
{
	return f->state == ROUTE_AS_WANTED ? 3 : f->state == ROUTE_OURS_ELSEWHERE ? 2 : 1;
}

void route_table_find(const struct route_table *t, const struct route_spec *want, struct route_found *out)
{
	memset(out, 0, sizeof(*out));
	out->state = ROUTE_MISSING;
	for (struct nl_object *o = nl_cache_get_first(t->cache); o != NULL; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct route_spec have;
		struct route_found f = { .protocol = rtnl_route_get_protocol(r) };
		if (!describe(r, &have) || !same_prefix(&have.dst, &want->dst))
			continue;
		f.via = have.via;
		if (addr_equal(&have.via, &want->via))
			f.state = ROUTE_AS_WANTED;
		else
			f.state = f.protocol == ROUTE_PROTOCOL_JOBNET ? ROUTE_OURS_ELSEWHERE : ROUTE_FOREIGN;
		if (out->state == ROUTE_MISSING || rank(&f) > rank(out))
			*out = f;
	}
}

void route_table_each_ours(const struct route_table *t, route_spec_fn fn, void *ctx)
{
	for (struct nl_object *o = nl_cache_get_first(t->cache); o != NULL; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct route_spec have;
		if (rtnl_route_get_protocol(r) == ROUTE_PROTOCOL_JOBNET && describe(r, &have))
			fn(&have, ctx);
	}
}

static struct rtnl_route *build(const struct route_spec *route)
{
	cleanup_route struct rtnl_route *r = rtnl_route_alloc();
	cleanup_nladdr struct nl_addr *dst = NULL;
	cleanup_nladdr struct nl_addr *gw = NULL;
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	int family = route->dst.addr.family;

	dst = nl_addr_build(family, route->dst.addr.bytes, (size_t)addr_size(family));
	gw = nl_addr_build(family, route->via.bytes, (size_t)addr_size(family));
	if (r == NULL || dst == NULL || gw == NULL || nh == NULL) {
		if (nh != NULL)
			rtnl_route_nh_free(nh);
		return NULL;
	}
	nl_addr_set_prefixlen(dst, route->dst.len);
	rtnl_route_set_family(r, (uint8_t)family);
	rtnl_route_set_dst(r, dst);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, ROUTE_PROTOCOL_JOBNET);
	rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
	rtnl_route_set_type(r, RTN_UNICAST);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(r, nh); /* r owns nh now */
	return take_ptr(r);
}

int route_add(struct nl_sock *sk, const struct route_spec *route, struct jn_error *err)
{
	cleanup_route struct rtnl_route *r = build(route);
	int rc;

	if (r == NULL)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	rc = rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_EXCL);
	return rc < 0 ? nl_failed(err, rc, "adding", route) : 0;
}

int route_delete_ours(struct nl_sock *sk, const struct route_spec *route, struct jn_error *err)
{
	cleanup_route struct rtnl_route *r = build(route);
	int rc;

	if (r == NULL)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	/* The kernel deletes only a route with every attribute given: the
	 * protocol number keeps other programs' routes out of reach. */
	rc = rtnl_route_delete(sk, r, 0);
	if (rc < 0 && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NOADDR)
		return nl_failed(err, rc, "deleting", route);
	return 0;
}
