/* Links, addresses and routes through libnl-route-3. Every function works on
 * the namespace its socket was opened in: a socket from link_socket_open()
 * in the main thread talks to the node, one opened through netns_run() to a
 * job's namespace.
 */
#ifndef JOBNET_LINK_H
#define JOBNET_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/addr.h"
#include "base/error.h"
#include "kernel/netns.h"

struct nl_sock;

int link_socket_open(struct nl_sock **out, struct jn_error *err);
void link_socket_freep(struct nl_sock **sk);
#define cleanup_nl_sock __attribute__((cleanup(link_socket_freep)))

/* Open a socket in the namespace fd refers to. */
int link_socket_open_in(int netns_fd, struct nl_sock **out, struct jn_error *err);

/* The identity of that namespace (netns_identify), told by sk, a socket
 * link_socket_open_in opened in it: no thread of its own. */
int link_socket_netns_id(struct nl_sock *sk, int netns_fd, struct netns_id *out, struct jn_error *err);

/* ifindex of a link by name: 1 found, 0 absent, -1 error. */
int link_find(struct nl_sock *sk, const char *name, int *ifindex, struct jn_error *err);

/* Create the bridge unless it exists (refusing a non-bridge device of that
 * name with error 101), and bring it up. */
int link_ensure_bridge(struct nl_sock *sk, const char *name, int *ifindex, bool *created, struct jn_error *err);

struct veth_spec {
	const char *host_name;
	const char *peer_name;
	int peer_netns_fd;
	unsigned mtu;
	const uint8_t *peer_mac;
	int master_ifindex;
};

/* Create the pair with the peer directly in its namespace and the host end
 * enslaved to the bridge in hairpin mode, and up. */
int link_create_veth(struct nl_sock *sk, const struct veth_spec *spec, int *host_ifindex, struct jn_error *err);

/* Delete a link by name; an absent link is success. */
int link_delete(struct nl_sock *sk, const char *name, struct jn_error *err);

/* Take a link down by name; an absent link is success. */
int link_set_down(struct nl_sock *sk, const char *name, struct jn_error *err);

int link_set_up(struct nl_sock *sk, int ifindex, struct jn_error *err);

/* Add an address (IPv6 without duplicate address detection). With
 * no_prefix_route the kernel adds no subnet route for it. EEXIST counts as
 * success, with *added false. */
int link_add_address(struct nl_sock *sk, int ifindex, const struct jn_prefix *addr, bool no_prefix_route, bool *added,
		     struct jn_error *err);
int link_delete_address(struct nl_sock *sk, int ifindex, const struct jn_prefix *addr, struct jn_error *err);

/* Default route of the family through gateway, marked onlink. */
int link_add_default_route(struct nl_sock *sk, int ifindex, const struct jn_addr *gateway, struct jn_error *err);

/* What CHECK compares. */
struct link_facts {
	int ifindex;
	bool up;
	unsigned mtu;
	uint8_t mac[6];
	int master;
	char kind[16];
};
/* 1 found, 0 absent, -1 error. */
int link_inspect(struct nl_sock *sk, const char *name, struct link_facts *out, struct jn_error *err);
/* Call fn with the name of every link of the socket's namespace and the
 * ifindex of its master (a bridge it is a port of; 0: none). */
typedef void (*link_each_fn)(const char *name, int master_ifindex, void *ctx);
int link_each(struct nl_sock *sk, link_each_fn fn, void *ctx, struct jn_error *err);

/* 1 when ifindex carries addr with its prefix length, else 0. */
int link_has_address(struct nl_sock *sk, int ifindex, const struct jn_prefix *addr, struct jn_error *err);
/* 1 when a default route of the family goes through gateway on ifindex. */
int link_has_default_route(struct nl_sock *sk, int ifindex, const struct jn_addr *gateway, struct jn_error *err);

#endif
