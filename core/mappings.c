#include "core/mappings.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/ports.h"

/* The relay's listeners: one per mapping on 127.0.0.1 or ::1, listening
 * on the mapping's relay port of the same address (0: a new one), with
 * which[] the mapping of each. An every-address mapping gets no relay: the
 * kernel serves every other address. */
struct relay_plan {
	struct relay_listener listeners[JN_RELAY_MAX_LISTENERS];
	size_t which[JN_RELAY_MAX_LISTENERS];
	size_t count;
};

static void plan(const struct attachment *a, struct relay_plan *p)
{
	p->count = 0;
	for (size_t i = 0; i < a->map_count && p->count < JN_RELAY_MAX_LISTENERS; i++) {
		const struct portmap *m = &a->maps[i];
		const struct jn_prefix *target;
		struct relay_listener *l = &p->listeners[p->count];
		if (m->proto == IPPROTO_SCTP || !portmap_is_loopback(m))
			continue;
		target = attachment_addr(a, m->host_ip.family);
		if (target == NULL)
			continue;
		l->proto = m->proto;
		l->listen_len = addr_to_sockaddr(&m->host_ip, m->relay_port, &l->listen);
		l->target_len = addr_to_sockaddr(&target->addr, m->container_port, &l->target);
		p->which[p->count++] = i;
	}
}

/* A relay port the kernel picked that some mapping claims (nobody need
 * bind a mapped loopback port: the redirect serves it) would one day
 * collide with that mapping's runtime: pick again. */
static bool clashes(const char *state_dir, const struct attachment *a, const struct relay_plan *p)
{
	for (size_t i = 0; i < p->count; i++) {
		uint16_t port = sockaddr_port(&p->listeners[i].listen);
		for (size_t k = 0; k < a->map_count; k++)
			if (a->maps[k].host_port == port)
				return true;
		if (ports_is_mapped(state_dir, (uint8_t)p->listeners[i].proto, port))
			return true;
	}
	return false;
}

#define RELAY_TRIES 8

/* Start the relay on the ports the plan names (0: new ones) and record the
 * ports it bound in the mappings. */
static int start_relay(const char *state_dir, struct attachment *a, struct relay_plan *p, int *commit_fd,
		       struct jn_error *err)
{
	for (int tries = 0;; tries++) {
		if (relay_spawn(p->listeners, p->count, a->host_veth, &a->relay, commit_fd, err) < 0)
			return -1;
		if (!clashes(state_dir, a, p))
			break;
		relay_abandon(commit_fd);
		if (tries == RELAY_TRIES)
			return jn_error_set(err, JN_ERR_KERNEL,
					    "the loopback relay found no port of its own in %d tries", RELAY_TRIES);
		for (size_t i = 0; i < p->count; i++)
			sockaddr_set_port(&p->listeners[i].listen, 0);
	}
	for (size_t i = 0; i < p->count; i++)
		a->maps[p->which[i]].relay_port = sockaddr_port(&p->listeners[i].listen);
	return 0;
}

int mappings_install(const char *state_dir, struct attachment *a, int *relay_commit_fd, struct jn_error *err)
{
	struct relay_plan p;
	char owner[PORTS_OWNER_MAX];

	*relay_commit_fd = -1;
	if (a->map_count == 0)
		return 0;
	ports_owner(a->network, a->container_id, a->ifname, owner);
	if (ports_claim(state_dir, owner, a->maps, a->map_count, attachment_addr(a, AF_INET) != NULL,
			attachment_addr(a, AF_INET6) != NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < a->map_count; i++)
		a->maps[i].relay_port = 0;
	plan(a, &p);
	if (start_relay(state_dir, a, &p, relay_commit_fd, err) < 0) {
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
	struct relay_plan p;
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
	plan(a, &p);
	if (p.count > 0 && !relay_is_alive(&a->relay))
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "the loopback relay (pid %d) is not running",
				    a->relay.pid);
	return 0;
}

/* The relay of a record listens on the ports the record names; 0: new ones. */
static bool has_relay_ports(const struct attachment *a, const struct relay_plan *p)
{
	for (size_t i = 0; i < p->count; i++)
		if (a->maps[p->which[i]].relay_port == 0)
			return false;
	return true;
}

int mappings_revive(const char *state_dir, struct attachment *a, bool *revived, int *relay_commit_fd,
		    struct jn_error *err)
{
	struct relay_plan p;
	struct jn_error taken = { 0 };

	*revived = false;
	*relay_commit_fd = -1;
	plan(a, &p);
	if (p.count == 0 || relay_is_alive(&a->relay))
		return 0;
	/* The ports it had, so the redirect elements stay right; new ones when
	 * another process took them meanwhile, or the record names none (the
	 * caller rewrites the record, and the tables are rebuilt from it). */
	if (has_relay_ports(a, &p) &&
	    relay_spawn(p.listeners, p.count, a->host_veth, &a->relay, relay_commit_fd, &taken) == 0) {
		*revived = true;
		return 0;
	}
	if (jn_error_is_set(&taken) && taken.code != JN_ERR_PORT_CONFLICT)
		return jn_error_keep_first(err, &taken);
	for (size_t i = 0; i < p.count; i++)
		sockaddr_set_port(&p.listeners[i].listen, 0);
	if (start_relay(state_dir, a, &p, relay_commit_fd, err) < 0)
		return -1;
	*revived = true;
	return 0;
}
