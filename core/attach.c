#include "core/attach.h"

#include "kernel/link.h"
#include "base/log.h"
#include "kernel/sysctl.h"

static int enable_forwarding(const struct netrecord *rec, struct jn_error *err)
{
	for (size_t i = 0; i < rec->subnet_count; i++) {
		const char *key =
			rec->subnets[i].addr.family == AF_INET ? "net/ipv4/ip_forward" : "net/ipv6/conf/all/forwarding";
		if (sysctl_ensure(key, "1", err) < 0)
			return -1;
	}
	return 0;
}

int attach_bridge(struct nl_sock *node, const struct netrecord *rec, const struct attachment *a,
		  struct attach_undo *undo, struct jn_error *err)
{
	if (enable_forwarding(rec, err) < 0)
		return -1;
	if (link_ensure_bridge(node, a->bridge, &undo->bridge_ifindex, &undo->bridge_created, err) < 0)
		return -1;
	for (size_t i = 0; i < rec->subnet_count; i++) {
		struct jn_prefix gw = { .addr = rec->gateways[i], .len = rec->subnets[i].len };
		if (link_add_address(node, undo->bridge_ifindex, &gw, false, &undo->gateway_added[i], err) < 0)
			return -1;
	}
	return 0;
}

static int create_link(struct nl_sock *node, const struct attachment *a, unsigned mtu, struct sandbox *sb,
		       struct attach_undo *undo, struct jn_error *err)
{
	struct veth_spec spec = {
		.host_name = a->host_veth,
		.peer_name = a->ifname,
		.peer_netns_fd = sb->netns_fd,
		.mtu = mtu,
		.peer_mac = a->mac,
		.master_ifindex = undo->bridge_ifindex,
	};
	int host_ifindex;

	undo->veth_created = true; /* a failure part-way may leave it */
	if (link_create_veth(node, &spec, &host_ifindex, err) < 0) {
		/* EEXIST means the name belongs to something we did not make. */
		if (err->code == JN_ERR_IFNAME_EXISTS)
			undo->veth_created = false;
		return -1;
	}
	return sandbox_configure(sb, a, err);
}

int attach_kernel(struct nl_sock *node, const struct netrecord *rec, const struct attachment *a, unsigned mtu,
		  struct sandbox *sb, struct attach_undo *undo, struct jn_error *err)
{
	if (attach_bridge(node, rec, a, undo, err) < 0)
		return -1;
	return create_link(node, a, mtu, sb, undo, err);
}

void attach_kernel_undo(struct nl_sock *node, const struct netrecord *rec, const struct attachment *a,
			const struct attach_undo *undo)
{
	struct jn_error ignored = { 0 };

	if (undo->veth_created)
		link_delete(node, a->host_veth, &ignored);
	for (size_t i = 0; i < JN_MAX_ADDRS && i < rec->subnet_count; i++) {
		struct jn_prefix gw = { .addr = rec->gateways[i], .len = rec->subnets[i].len };
		if (undo->gateway_added[i] && !undo->bridge_created)
			link_delete_address(node, undo->bridge_ifindex, &gw, &ignored);
	}
	if (undo->bridge_created)
		link_delete(node, a->bridge, &ignored);
	if (jn_error_is_set(&ignored))
		log_warn("undoing the kernel side of %s/%s: %s", a->container_id, a->ifname, ignored.msg);
}
