#include "kernel/link.h"

#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/names.h"
#include "kernel/netns.h"
#include "kernel/sysctl.h"

static void link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}
static void nl_addr_putp(struct nl_addr **a)
{
	if (*a)
		nl_addr_put(*a);
}
static void rtnl_addr_putp(struct rtnl_addr **a)
{
	if (*a)
		rtnl_addr_put(*a);
}
static void route_putp(struct rtnl_route **r)
{
	if (*r)
		rtnl_route_put(*r);
}
static void cache_freep(struct nl_cache **c)
{
	if (*c)
		nl_cache_free(*c);
}
#define cleanup_link __attribute__((cleanup(link_putp)))
#define cleanup_nladdr __attribute__((cleanup(nl_addr_putp)))
#define cleanup_rtaddr __attribute__((cleanup(rtnl_addr_putp)))
#define cleanup_route __attribute__((cleanup(route_putp)))
#define cleanup_cache __attribute__((cleanup(cache_freep)))

void link_socket_freep(struct nl_sock **sk)
{
	if (*sk)
		nl_socket_free(*sk);
	*sk = NULL;
}

int link_socket_open(struct nl_sock **out, struct jn_error *err)
{
	cleanup_nl_sock struct nl_sock *sk = nl_socket_alloc();
	int rc;

	if (sk == NULL)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory allocating a netlink socket");
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0)
		return jn_error_set(err, JN_ERR_KERNEL, "opening a netlink socket: %s", nl_geterror(rc));
	*out = take_ptr(sk);
	return 0;
}

static int open_socket_here(void *arg, struct jn_error *err)
{
	return link_socket_open(arg, err);
}

int link_socket_open_in(int netns_fd, struct nl_sock **out, struct jn_error *err)
{
	*out = NULL;
	return netns_run(netns_fd, open_socket_here, out, err);
}

int link_socket_netns_id(struct nl_sock *sk, int netns_fd, struct netns_id *out, struct jn_error *err)
{
	return netns_identify_by_socket(netns_fd, nl_socket_get_fd(sk), out, err);
}

static int nl_error(struct jn_error *err, int rc, const char *fmt, const char *name)
{
	jn_error_set(err, JN_ERR_KERNEL, fmt, name);
	jn_error_detail(err, "netlink: %s", nl_geterror(rc));
	return -1;
}

static bool is_absent(int rc)
{
	return rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV;
}

int link_find(struct nl_sock *sk, const char *name, int *ifindex, struct jn_error *err)
{
	cleanup_link struct rtnl_link *link = NULL;
	int rc = rtnl_link_get_kernel(sk, 0, name, &link);

	if (is_absent(rc))
		return 0;
	if (rc < 0)
		return nl_error(err, rc, "looking up interface \"%s\"", name);
	*ifindex = rtnl_link_get_ifindex(link);
	return 1;
}

/* Set or clear IFF_UP on the link named by ifindex (when > 0) or name;
 * an absent link is success when absent_ok. */
static int change_up(struct nl_sock *sk, int ifindex, const char *name, bool up, bool absent_ok, struct jn_error *err)
{
	cleanup_link struct rtnl_link *orig = rtnl_link_alloc();
	cleanup_link struct rtnl_link *change = rtnl_link_alloc();
	char label[32];
	int rc;

	if (orig == NULL || change == NULL)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	if (ifindex > 0)
		rtnl_link_set_ifindex(orig, ifindex);
	else
		rtnl_link_set_name(orig, name);
	if (up)
		rtnl_link_set_flags(change, IFF_UP);
	else
		rtnl_link_unset_flags(change, IFF_UP);
	rc = rtnl_link_change(sk, orig, change, 0);
	if (rc < 0 && !(absent_ok && is_absent(rc))) {
		if (ifindex > 0)
			snprintf(label, sizeof(label), "%d", ifindex);
		else
			snprintf(label, sizeof(label), "\"%.15s\"", name);
		return nl_error(err, rc, up ? "bringing up interface %s" : "taking down interface %s", label);
	}
	return 0;
}

int link_set_up(struct nl_sock *sk, int ifindex, struct jn_error *err)
{
	return change_up(sk, ifindex, NULL, true, false, err);
}

static int check_existing_bridge(struct rtnl_link *link, const char *name, int *ifindex, struct jn_error *err)
{
	const char *type = rtnl_link_get_type(link);

	if (type == NULL || strcmp(type, "bridge") != 0)
		return jn_error_set(err, JN_ERR_NOT_A_BRIDGE, "device \"%s\" exists and is not a bridge (it is %s)",
				    name, type ? type : "a plain device");
	*ifindex = rtnl_link_get_ifindex(link);
	return 0;
}

static int create_bridge(struct nl_sock *sk, const char *name, struct jn_error *err)
{
	cleanup_link struct rtnl_link *link = rtnl_link_alloc();
	cleanup_nladdr struct nl_addr *mac = NULL;
	uint8_t bytes[6];

	if (link == NULL)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	/* A fixed MAC: otherwise the bridge takes its lowest port's address and
	 * the gateway's MAC changes under the jobs as ports come and go. */
	names_bridge_mac(name, bytes);
	mac = nl_addr_build(AF_LLC, bytes, 6);
	if (mac == NULL || rtnl_link_set_type(link, "bridge") < 0)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	rtnl_link_set_name(link, name);
	rtnl_link_set_addr(link, mac);
	/* Created down: DAD is turned off before the link-local address
	 * appears (see disable_dad), then it comes up. */
	return rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
}

/* A tentative link-local address on the bridge slows neighbour discovery
 * for its first second; the gateway must answer at once. Without IPv6 in
 * the node there is nothing to turn off. */
static int disable_dad(const char *name, struct jn_error *err)
{
	char key[64];
	struct jn_error absent = { 0 };

	snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_dad", name);
	if (sysctl_ensure(key, "0", &absent) < 0 && !jn_error_absorb(&absent, ENOENT))
		return jn_error_keep_first(err, &absent);
	return 0;
}

int link_ensure_bridge(struct nl_sock *sk, const char *name, int *ifindex, bool *created, struct jn_error *err)
{
	cleanup_link struct rtnl_link *link = NULL;
	int rc = rtnl_link_get_kernel(sk, 0, name, &link);

	*created = false;
	if (rc == 0) {
		if (check_existing_bridge(link, name, ifindex, err) < 0)
			return -1;
		return (rtnl_link_get_flags(link) & IFF_UP) ? 0 : link_set_up(sk, *ifindex, err);
	}
	if (!is_absent(rc))
		return nl_error(err, rc, "looking up bridge \"%s\"", name);
	rc = create_bridge(sk, name, err);
	if (rc < 0 && rc != -NLE_EXIST)
		return jn_error_is_set(err) ? -1 : nl_error(err, rc, "creating bridge \"%s\"", name);
	*created = rc == 0;
	/* Created here or, concurrently, by another network: look again. */
	rc = rtnl_link_get_kernel(sk, 0, name, &link);
	if (rc < 0)
		return nl_error(err, rc, "looking up bridge \"%s\"", name);
	if (check_existing_bridge(link, name, ifindex, err) < 0 || disable_dad(name, err) < 0)
		return -1;
	return link_set_up(sk, *ifindex, err);
}

/* Hairpin mode on the job's port. Jobs never talk to each other at layer 2
 * (bridge jobnet's forward chain drops such frames), but with br_netfilter
 * on, a connection a DNAT sends back to a job on the same bridge, even to
 * the sender itself, is forwarded by the bridge after the IP rules judged
 * it; hairpin lets it leave through the port it came from. libnl has no
 * setter for the port flags. */
static int set_port_hairpin(struct nl_sock *sk, int ifindex, const char *name, struct jn_error *err)
{
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
	struct nlattr *protinfo;
	int rc;

	if (msg == NULL)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    (protinfo = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED)) == NULL ||
	    nla_put_u8(msg, IFLA_BRPORT_MODE, 1) < 0 || nla_nest_end(msg, protinfo) < 0) {
		nlmsg_free(msg);
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	}
	rc = nl_send_sync(sk, msg); /* frees msg */
	return rc < 0 ? nl_error(err, rc, "setting hairpin mode on bridge port \"%s\"", name) : 0;
}

static int build_veth(const struct veth_spec *spec, struct rtnl_link *link, struct jn_error *err)
{
	cleanup_link struct rtnl_link *peer = rtnl_link_veth_get_peer(link);
	cleanup_nladdr struct nl_addr *mac = nl_addr_build(AF_LLC, spec->peer_mac, 6);

	if (peer == NULL || mac == NULL)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	rtnl_link_set_name(link, spec->host_name);
	rtnl_link_set_mtu(link, spec->mtu);
	rtnl_link_set_master(link, spec->master_ifindex);
	rtnl_link_set_name(peer, spec->peer_name);
	rtnl_link_set_mtu(peer, spec->mtu);
	rtnl_link_set_addr(peer, mac);
	rtnl_link_set_ns_fd(peer, spec->peer_netns_fd);
	return 0;
}

/* A bridge port needs no address of its own. Without an IPv6 link-local
 * one (set before the port goes up) the kernel does no duplicate address
 * detection and adds no routes for it, which every port's ADD and DEL
 * would otherwise pay for, the more the more ports the node has. */
static int no_link_local(struct nl_sock *sk, int ifindex, const char *name, struct jn_error *err)
{
	cleanup_link struct rtnl_link *orig = rtnl_link_alloc();
	cleanup_link struct rtnl_link *change = rtnl_link_alloc();
	int rc;

	if (orig == NULL || change == NULL || rtnl_link_inet6_set_addr_gen_mode(change, IN6_ADDR_GEN_MODE_NONE) < 0)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	rtnl_link_set_ifindex(orig, ifindex);
	rc = rtnl_link_change(sk, orig, change, 0);
	/* A kernel without IPv6 gives the port no such address anyway. */
	if (rc < 0 && rc != -NLE_AF_NOSUPPORT)
		return nl_error(err, rc, "turning off IPv6 addresses of \"%s\"", name);
	return 0;
}

/* The kernel numbers a bridge's ports 1 to 1023 (BR_MAX_PORTS is 1024, port
 * 0 unused); one more is refused with an error libnl cannot name. */
#define BRIDGE_MAX_PORTS 1023

static int count_ports(struct nl_sock *sk, int master_ifindex)
{
	cleanup_cache struct nl_cache *cache = NULL;
	int count = 0;

	if (rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) < 0)
		return -1;
	for (struct nl_object *o = nl_cache_get_first(cache); o != NULL; o = nl_cache_get_next(o))
		count += rtnl_link_get_master((struct rtnl_link *)o) == master_ifindex;
	return count;
}

int link_create_veth(struct nl_sock *sk, const struct veth_spec *spec, int *host_ifindex, struct jn_error *err)
{
	struct rtnl_link *link = rtnl_link_veth_alloc();
	int rc;

	if (link == NULL)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	if (build_veth(spec, link, err) < 0) {
		rtnl_link_veth_release(link);
		return -1;
	}
	rc = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_veth_release(link);
	if (rc == -NLE_EXIST)
		return jn_error_set(err, JN_ERR_IFNAME_EXISTS,
				    "host interface \"%s\" already exists (an earlier attachment of this container "
				    "was not deleted)",
				    spec->host_name);
	if (rc < 0 && count_ports(sk, spec->master_ifindex) >= BRIDGE_MAX_PORTS)
		return jn_error_set(err, JN_ERR_POOL_EXHAUSTED,
				    "the bridge has %d ports, the kernel's limit for one bridge: attach further jobs "
				    "through another jobnet network (another bridge)",
				    BRIDGE_MAX_PORTS);
	if (rc < 0)
		return nl_error(err, rc, "creating veth pair \"%s\"", spec->host_name);
	if (link_find(sk, spec->host_name, host_ifindex, err) != 1)
		return jn_error_set(err, JN_ERR_KERNEL, "veth \"%s\" vanished after creation", spec->host_name);
	if (set_port_hairpin(sk, *host_ifindex, spec->host_name, err) < 0 ||
	    no_link_local(sk, *host_ifindex, spec->host_name, err) < 0)
		return -1;
	return link_set_up(sk, *host_ifindex, err);
}

int link_delete(struct nl_sock *sk, const char *name, struct jn_error *err)
{
	cleanup_link struct rtnl_link *link = rtnl_link_alloc();
	int rc;

	if (link == NULL)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	rtnl_link_set_name(link, name);
	rc = rtnl_link_delete(sk, link);
	if (rc < 0 && !is_absent(rc))
		return nl_error(err, rc, "deleting interface \"%s\"", name);
	return 0;
}

int link_set_down(struct nl_sock *sk, const char *name, struct jn_error *err)
{
	return change_up(sk, 0, name, false, true, err);
}

static struct rtnl_addr *build_address(int ifindex, const struct jn_prefix *prefix, bool no_prefix_route)
{
	cleanup_rtaddr struct rtnl_addr *addr = rtnl_addr_alloc();
	cleanup_nladdr struct nl_addr *local = NULL;
	unsigned flags = prefix->addr.family == AF_INET6 ? IFA_F_NODAD : 0;

	local = nl_addr_build(prefix->addr.family, prefix->addr.bytes, (size_t)addr_size(prefix->addr.family));
	if (addr == NULL || local == NULL)
		return NULL;
	nl_addr_set_prefixlen(local, prefix->len);
	rtnl_addr_set_ifindex(addr, ifindex);
	if (rtnl_addr_set_local(addr, local) < 0)
		return NULL;
	rtnl_addr_set_prefixlen(addr, prefix->len);
	if (prefix->addr.family == AF_INET && prefix->len < 31) {
		struct jn_addr last;
		cleanup_nladdr struct nl_addr *brd = NULL;
		prefix_last(prefix, &last);
		brd = nl_addr_build(AF_INET, last.bytes, 4);
		if (brd == NULL || rtnl_addr_set_broadcast(addr, brd) < 0)
			return NULL;
	}
	rtnl_addr_set_flags(addr, flags | (no_prefix_route ? IFA_F_NOPREFIXROUTE : 0));
	return take_ptr(addr);
}

int link_add_address(struct nl_sock *sk, int ifindex, const struct jn_prefix *prefix, bool no_prefix_route, bool *added,
		     struct jn_error *err)
{
	cleanup_rtaddr struct rtnl_addr *addr = build_address(ifindex, prefix, no_prefix_route);
	char text[JN_ADDR_STRLEN];
	int rc;

	*added = false;
	if (addr == NULL)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	rc = rtnl_addr_add(sk, addr, NLM_F_EXCL);
	if (rc == -NLE_EXIST)
		return 0;
	if (rc < 0)
		return nl_error(err, rc, "adding address %s", prefix_format(prefix, text));
	*added = true;
	return 0;
}

int link_delete_address(struct nl_sock *sk, int ifindex, const struct jn_prefix *prefix, struct jn_error *err)
{
	cleanup_rtaddr struct rtnl_addr *addr = build_address(ifindex, prefix, false);
	char text[JN_ADDR_STRLEN];
	int rc;

	if (addr == NULL)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	rc = rtnl_addr_delete(sk, addr, 0);
	if (rc < 0 && rc != -NLE_NOADDR && !is_absent(rc))
		return nl_error(err, rc, "deleting address %s", prefix_format(prefix, text));
	return 0;
}

int link_add_default_route(struct nl_sock *sk, int ifindex, const struct jn_addr *gateway, struct jn_error *err)
{
	static const uint8_t zero[16];
	cleanup_route struct rtnl_route *route = rtnl_route_alloc();
	cleanup_nladdr struct nl_addr *dst = nl_addr_build(gateway->family, zero, (size_t)addr_size(gateway->family));
	cleanup_nladdr struct nl_addr *gw =
		nl_addr_build(gateway->family, gateway->bytes, (size_t)addr_size(gateway->family));
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	char text[JN_ADDR_STRLEN];
	int rc;

	if (route == NULL || dst == NULL || gw == NULL || nh == NULL) {
		if (nh)
			rtnl_route_nh_free(nh);
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	}
	nl_addr_set_prefixlen(dst, 0);
	rtnl_route_set_family(route, (uint8_t)gateway->family);
	rtnl_route_set_dst(route, dst);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_protocol(route, RTPROT_BOOT);
	rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, gw);
	/* The job's address carries no subnet route, so the gateway is
	 * declared on-link: every packet, even to a neighbour, goes to it. */
	rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
	rtnl_route_add_nexthop(route, nh); /* route owns nh now */
	rc = rtnl_route_add(sk, route, NLM_F_EXCL);
	if (rc < 0 && rc != -NLE_EXIST)
		return nl_error(err, rc, "adding default route via %s", addr_format(gateway, text));
	return 0;
}

int link_inspect(struct nl_sock *sk, const char *name, struct link_facts *out, struct jn_error *err)
{
	cleanup_link struct rtnl_link *link = NULL;
	struct nl_addr *mac;
	const char *kind;
	int rc = rtnl_link_get_kernel(sk, 0, name, &link);

	memset(out, 0, sizeof(*out));
	if (is_absent(rc))
		return 0;
	if (rc < 0)
		return nl_error(err, rc, "looking up interface \"%s\"", name);
	out->ifindex = rtnl_link_get_ifindex(link);
	out->up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
	out->mtu = rtnl_link_get_mtu(link);
	out->master = rtnl_link_get_master(link);
	mac = rtnl_link_get_addr(link);
	if (mac != NULL && nl_addr_get_len(mac) == 6)
		memcpy(out->mac, nl_addr_get_binary_addr(mac), 6);
	kind = rtnl_link_get_type(link);
	snprintf(out->kind, sizeof(out->kind), "%s", kind ? kind : "");
	return 1;
}

int link_each(struct nl_sock *sk, link_each_fn fn, void *ctx, struct jn_error *err)
{
	cleanup_cache struct nl_cache *cache = NULL;
	int rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);

	if (rc < 0)
		return nl_error(err, rc, "listing links%s", "");
	for (struct nl_object *o = nl_cache_get_first(cache); o != NULL; o = nl_cache_get_next(o)) {
		struct rtnl_link *link = (struct rtnl_link *)o;
		const char *name = rtnl_link_get_name(link);
		if (name != NULL)
			fn(name, rtnl_link_get_master(link), ctx);
	}
	return 0;
}

static bool nl_addr_is(struct nl_addr *a, const struct jn_addr *want)
{
	return a != NULL && nl_addr_get_family(a) == want->family &&
		nl_addr_get_len(a) == (unsigned)addr_size(want->family) &&
		memcmp(nl_addr_get_binary_addr(a), want->bytes, (size_t)addr_size(want->family)) == 0;
}

int link_has_address(struct nl_sock *sk, int ifindex, const struct jn_prefix *prefix, struct jn_error *err)
{
	cleanup_cache struct nl_cache *cache = NULL;
	int rc = rtnl_addr_alloc_cache(sk, &cache);

	if (rc < 0)
		return nl_error(err, rc, "listing addresses%s", "");
	for (struct nl_object *o = nl_cache_get_first(cache); o != NULL; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		if (rtnl_addr_get_ifindex(a) == ifindex && rtnl_addr_get_prefixlen(a) == prefix->len &&
		    nl_addr_is(rtnl_addr_get_local(a), &prefix->addr))
			return 1;
	}
	return 0;
}

static bool route_matches(struct rtnl_route *r, int ifindex, const struct jn_addr *gateway)
{
	struct nl_addr *dst = rtnl_route_get_dst(r);

	if (rtnl_route_get_table(r) != RT_TABLE_MAIN || dst == NULL || nl_addr_get_prefixlen(dst) != 0 ||
	    rtnl_route_get_nnexthops(r) != 1)
		return false;
	struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, 0);
	return rtnl_route_nh_get_ifindex(nh) == ifindex && nl_addr_is(rtnl_route_nh_get_gateway(nh), gateway);
}

int link_has_default_route(struct nl_sock *sk, int ifindex, const struct jn_addr *gateway, struct jn_error *err)
{
	cleanup_cache struct nl_cache *cache = NULL;
	int rc = rtnl_route_alloc_cache(sk, gateway->family, 0, &cache);

	if (rc < 0)
		return nl_error(err, rc, "listing routes%s", "");
	for (struct nl_object *o = nl_cache_get_first(cache); o != NULL; o = nl_cache_get_next(o))
		if (route_matches((struct rtnl_route *)o, ifindex, gateway))
			return 1;
	return 0;
}
