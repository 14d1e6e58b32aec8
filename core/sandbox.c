#include "core/sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "kernel/link.h"
#include "kernel/netns.h"
#include "kernel/sysctl.h"

/* With id known, the identity is told by the socket made inside: no
 * thread of its own. */
static int open_in(const char *netns_path, const struct netns_id *id, struct sandbox *out, struct jn_error *err)
{
	struct netns_id now;

	out->netns_fd = -1;
	out->sk = NULL;
	if (netns_open(netns_path, &out->netns_fd, err) < 0)
		return -1;
	if (link_socket_open_in(out->netns_fd, &out->sk, err) < 0 ||
	    (netns_id_is_known(id) &&
	     (sandbox_identify(out, &now, err) < 0 || netns_expect_same(netns_path, id, &now, err) < 0))) {
		sandbox_close(out);
		return -1;
	}
	return 0;
}

int sandbox_open(const char *netns_path, struct sandbox *out, struct jn_error *err)
{
	return open_in(netns_path, NULL, out, err);
}

int sandbox_open_job(const char *netns_path, const struct attachment *a, struct sandbox *out, struct jn_error *err)
{
	return open_in(netns_path, &a->netns_id, out, err);
}

int sandbox_identify(const struct sandbox *sb, struct netns_id *out, struct jn_error *err)
{
	return link_socket_netns_id(sb->sk, sb->netns_fd, out, err);
}

void sandbox_close(struct sandbox *sb)
{
	link_socket_freep(&sb->sk);
	if (sb->netns_fd >= 0)
		close(sb->netns_fd);
	sb->netns_fd = -1;
}

int sandbox_require_absent(struct sandbox *sb, const char *ifname, struct jn_error *err)
{
	int ifindex;
	int rc = link_find(sb->sk, ifname, &ifindex, err);

	if (rc < 0)
		return -1;
	if (rc == 1)
		return jn_error_set(err, JN_ERR_IFNAME_EXISTS, "interface \"%s\" already exists in the container",
				    ifname);
	return 0;
}

static int disable_dad(void *arg, struct jn_error *err)
{
	const char *ifname = arg;
	char key[96];

	snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_dad", ifname);
	return sysctl_ensure(key, "0", err);
}

static int add_addresses(struct sandbox *sb, int ifindex, const struct attachment *a, struct jn_error *err)
{
	for (size_t i = 0; i < a->addr_count; i++) {
		bool added;
		/* No subnet route: traffic to a neighbouring job also goes
		 * through the gateway, where the node's rules see it. */
		if (link_add_address(sb->sk, ifindex, &a->addrs[i], true, &added, err) < 0)
			return -1;
	}
	return 0;
}

int sandbox_configure(struct sandbox *sb, const struct attachment *a, struct jn_error *err)
{
	int ifindex;

	if (link_find(sb->sk, a->ifname, &ifindex, err) != 1)
		return jn_error_set(err, JN_ERR_KERNEL, "interface \"%s\" did not appear in the container", a->ifname);
	if (attachment_addr(a, AF_INET6) != NULL && netns_run(sb->netns_fd, disable_dad, (void *)a->ifname, err) < 0)
		return -1;
	if (add_addresses(sb, ifindex, a, err) < 0 || link_set_up(sb->sk, ifindex, err) < 0)
		return -1;
	for (size_t i = 0; i < a->addr_count; i++)
		if (link_add_default_route(sb->sk, ifindex, &a->gateways[i], err) < 0)
			return -1;
	return 0;
}

int sandbox_delete_link(struct sandbox *sb, const char *ifname, struct jn_error *err)
{
	return link_delete(sb->sk, ifname, err);
}

static int check_addresses(struct sandbox *sb, const struct link_facts *facts, const struct attachment *a,
			   struct jn_error *err)
{
	char text[JN_ADDR_STRLEN];

	for (size_t i = 0; i < a->addr_count; i++) {
		int rc = link_has_address(sb->sk, facts->ifindex, &a->addrs[i], err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return jn_error_set(err, JN_ERR_CHECK_FAILED, "address %s is missing from \"%s\"",
					    prefix_format(&a->addrs[i], text), a->ifname);
		rc = link_has_default_route(sb->sk, facts->ifindex, &a->gateways[i], err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return jn_error_set(err, JN_ERR_CHECK_FAILED,
					    "default route via %s is missing in the container",
					    addr_format(&a->gateways[i], text));
	}
	return 0;
}

int sandbox_check(struct sandbox *sb, const struct attachment *a, unsigned mtu, struct jn_error *err)
{
	struct link_facts facts;
	int rc = link_inspect(sb->sk, a->ifname, &facts, err);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "interface \"%s\" is missing from the container",
				    a->ifname);
	if (!facts.up)
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "interface \"%s\" is down", a->ifname);
	if (memcmp(facts.mac, a->mac, 6) != 0)
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "interface \"%s\" has another MAC address", a->ifname);
	if (facts.mtu != mtu)
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "interface \"%s\" has MTU %u, want %u", a->ifname,
				    facts.mtu, mtu);
	return check_addresses(sb, &facts, a, err);
}
