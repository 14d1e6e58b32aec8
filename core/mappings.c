#include "core/mappings.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/ports.h"

static void fill_sockaddr(struct sockaddr_storage *ss, socklen_t *len, const struct jn_addr *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (addr->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr->bytes, 4);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, addr->bytes, 16);
		*len = sizeof(*sin6);
	}
}

static void add_listener(struct relay_listener *out, size_t *count, const struct portmap *m,
			 const struct jn_addr *listen, const struct jn_addr *target)
{
	struct relay_listener *l = &out[(*count)++];

	l->proto = m->proto;
	fill_sockaddr(&l->listen, &l->listen_len, listen, m->host_port);
	fill_sockaddr(&l->target, &l->target_len, target, m->container_port);
}

/* Mappings on 127.0.0.1 or ::1. An every-address mapping gets no relay: a
 * runtime that reserves the port itself (podman binds it after ADD) would
 * find it taken, and the kernel serves every other address. */
static size_t plan(const struct attachment *a, struct relay_listener *out)
{
	size_t count = 0;

	for (size_t i = 0; i < a->map_count && count < JN_RELAY_MAX_LISTENERS; i++) {
		const struct portmap *m = &a->maps[i];
		const struct jn_prefix *target;
		if (m->proto == IPPROTO_SCTP || !portmap_is_loopback(m))
			continue;
		target = attachment_addr(a, m->host_ip.family);
		if (target != NULL)
			add_listener(out, &count, m, &m->host_ip, &target->addr);
	}
	return count;
}

int mappings_install(const char *state_dir, struct attachment *a, int *relay_commit_fd, struct jn_error *err)
{
	struct relay_listener listeners[JN_RELAY_MAX_LISTENERS];
	char owner[PORTS_OWNER_MAX];
	size_t count;

	*relay_commit_fd = -1;
	if (a->map_count == 0)
		return 0;
	ports_owner(a->network, a->container_id, a->ifname, owner);
	if (ports_claim(state_dir, owner, a->maps, a->map_count, attachment_addr(a, AF_INET) != NULL,
			attachment_addr(a, AF_INET6) != NULL, err) < 0)
		return -1;
	count = plan(a, listeners);
	if (relay_spawn(listeners, count, a->host_veth, &a->relay, relay_commit_fd, err) < 0) {
		ports_release(state_dir, owner, a->maps, a->map_count, NULL);
		return -1;
	}
	return 0;
}

int mappings_stop_relay(const struct attachment *a, struct jn_error *err)
{
	return relay_stop(&a->relay, err);
}

int mappings_release_ports(const char *state_dir, const struct attachment *a, struct jn_error *err)
{
	char owner[PORTS_OWNER_MAX];

	ports_owner(a->network, a->container_id, a->ifname, owner);
	return ports_release(state_dir, owner, a->maps, a->map_count, err);
}

int mappings_remove(const char *state_dir, const struct attachment *a, struct jn_error *err)
{
	int rc = mappings_stop_relay(a, err);

	if (mappings_release_ports(state_dir, a, err) < 0)
		rc = -1;
	return rc;
}

int mappings_check(const char *state_dir, const struct attachment *a, struct jn_error *err)
{
	struct relay_listener listeners[JN_RELAY_MAX_LISTENERS];
	char owner[PORTS_OWNER_MAX], text[96];

	ports_owner(a->network, a->container_id, a->ifname, owner);
	for (size_t i = 0; i < a->map_count; i++) {
		int rc = ports_held_by(state_dir, owner, &a->maps[i], err);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			portmap_describe(&a->maps[i], text, sizeof(text));
			return jn_error_set(err, JN_ERR_CHECK_FAILED, "host port %s is no longer held by this job",
					    text);
		}
	}
	if (plan(a, listeners) > 0 && !relay_is_alive(&a->relay))
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "the loopback relay (pid %d) is not running",
				    a->relay.pid);
	return 0;
}

int mappings_revive(struct attachment *a, bool *revived, int *relay_commit_fd, struct jn_error *err)
{
	struct relay_listener listeners[JN_RELAY_MAX_LISTENERS];
	size_t count = plan(a, listeners);

	*revived = false;
	*relay_commit_fd = -1;
	if (count == 0 || relay_is_alive(&a->relay))
		return 0;
	if (relay_spawn(listeners, count, a->host_veth, &a->relay, relay_commit_fd, err) < 0)
		return -1;
	*revived = true;
	return 0;
}
