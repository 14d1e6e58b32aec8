#include "netpolicy/render.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "netpolicy/nftwire.h"

/* libnftnl keeps at most 128 bytes of comment. */
#define COMMENT_MAX 120

static void emit(const struct render_sink *sink, const struct element *e)
{
	if (sink->skip[e->table])
		return;
	if (sink->wire != NULL)
		nftwire_element(sink->wire, sink->op, e);
	else
		element_text(sink->text, sink->op, e);
}

static struct element_value ifname(const char *name)
{
	return (struct element_value){ .kind = ELEMENT_IFNAME, .ifname = name };
}

static struct element_value address(const struct jn_addr *a)
{
	return (struct element_value){ .kind = ELEMENT_ADDR, .prefix = { .addr = *a } };
}

static struct element_value prefix(const struct jn_prefix *p)
{
	return (struct element_value){ .kind = ELEMENT_PREFIX, .prefix = *p };
}

static struct element_value number(enum element_kind kind, uint16_t n)
{
	return (struct element_value){ .kind = kind, .number = n };
}

static const char *family_set(const char *base, int family, char *out, size_t size)
{
	snprintf(out, size, "%s%s", base, family == AF_INET ? "4" : "6");
	return out;
}

void render_network_bridge(const struct netpolicy_network *net, struct element *out)
{
	*out = (struct element){
		.table = ELEMENT_INET, .set = "bridges", .key = { ifname(net->bridge) }, .key_count = 1
	};
}

void render_network(struct strbuf *sb, enum render_op op, const struct netpolicy_network *net)
{
	const struct render_sink sink = { .op = op, .text = sb };
	char comment[COMMENT_MAX], set[32];
	struct element e;

	snprintf(comment, sizeof(comment), "network %.100s", net->name);
	render_network_bridge(net, &e);
	e.comment = comment;
	emit(&sink, &e);
	e = (struct element){ .table = ELEMENT_INET, .key_count = 1, .comment = comment };
	for (size_t i = 0; i < net->subnet_count; i++) {
		e.key[0] = prefix(&net->subnets[i]);
		e.set = family_set("subnets", net->subnets[i].addr.family, set, sizeof(set));
		emit(&sink, &e);
		if (net->masquerade) {
			e.set = family_set("masq_subnets", net->subnets[i].addr.family, set, sizeof(set));
			emit(&sink, &e);
		}
	}
	e.key[0] = ifname(net->bridge);
	e.key_count = 2;
	for (size_t i = 0; i < net->protect_count; i++) {
		e.key[1] = prefix(&net->protect[i]);
		e.set = family_set("protect", net->protect[i].addr.family, set, sizeof(set));
		emit(&sink, &e);
	}
	for (size_t i = 0; i < net->cluster_count; i++) {
		e.key[1] = prefix(&net->cluster[i]);
		e.set = family_set("cluster", net->cluster[i].addr.family, set, sizeof(set));
		emit(&sink, &e);
	}
	e.key_count = 3;
	e.set = "host_allow";
	for (size_t i = 0; i < net->service_count; i++) {
		e.key[1] = number(ELEMENT_PROTO, net->services[i].proto);
		e.key[2] = number(ELEMENT_PORT, net->services[i].port);
		emit(&sink, &e);
	}
}

void render_link_local(const uint8_t mac[6], struct jn_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = AF_INET6;
	out->bytes[0] = 0xfe;
	out->bytes[1] = 0x80;
	out->bytes[8] = mac[0] ^ 0x02;
	out->bytes[9] = mac[1];
	out->bytes[10] = mac[2];
	out->bytes[11] = 0xff;
	out->bytes[12] = 0xfe;
	out->bytes[13] = mac[3];
	out->bytes[14] = mac[4];
	out->bytes[15] = mac[5];
}

/* An IPv6 address of the port, and the same as the 128-bit number the
 * neighbour discovery check uses. */
static void render_port_ip6(const struct render_sink *sink, const struct netpolicy_job *job, const struct jn_addr *a,
			    const char *comment)
{
	struct element e = { .table = ELEMENT_BRIDGE,
			     .set = "port_ip6",
			     .key = { ifname(job->host_veth), address(a) },
			     .key_count = 2,
			     .comment = comment };

	emit(sink, &e);
	e.set = "port_nd_target";
	e.key[1].kind = ELEMENT_NUMBER128;
	emit(sink, &e);
}

/* Anti-spoofing: the port, its MAC and addresses (link-local included). */
static void render_bridge_side(const struct render_sink *sink, const struct netpolicy_job *job, const char *comment)
{
	struct element e = { .table = ELEMENT_BRIDGE,
			     .set = "ports",
			     .key = { ifname(job->host_veth) },
			     .key_count = 1,
			     .comment = comment };
	struct jn_addr link_local;

	emit(sink, &e);
	e.set = "port_mac";
	e.key[1] = (struct element_value){ .kind = ELEMENT_ETHER };
	memcpy(e.key[1].ether, job->mac, 6);
	e.key_count = 2;
	emit(sink, &e);
	e.set = "port_lladdr";
	e.key[1].kind = ELEMENT_NUMBER48;
	emit(sink, &e);
	e.set = "port_ip4";
	for (size_t i = 0; i < job->addr_count; i++) {
		const struct jn_addr *a = &job->addrs[i].addr;
		if (a->family == AF_INET6) {
			render_port_ip6(sink, job, a, comment);
			continue;
		}
		e.key[1] = address(a);
		emit(sink, &e);
	}
	render_link_local(job->mac, &link_local);
	render_port_ip6(sink, job, &link_local, comment);
}

bool render_map_targets(const struct portmap *m, const struct jn_addr *target)
{
	return !portmap_is_loopback(m) && (portmap_is_any(m) || m->host_ip.family == target->family);
}

void render_map_element(const struct portmap *m, const struct jn_addr *target, const char *comment, struct element *out,
			char set[RENDER_SET_MAX])
{
	*out = (struct element){ .table = ELEMENT_INET,
				 .data = { address(target), number(ELEMENT_PORT, m->container_port) },
				 .data_count = 2,
				 .comment = comment };
	if (portmap_is_any(m)) {
		out->set = family_set("portmap_any", target->family, set, RENDER_SET_MAX);
		out->key[0] = number(ELEMENT_PROTO, m->proto);
		out->key[1] = number(ELEMENT_PORT, m->host_port);
		out->key_count = 2;
	} else {
		out->set = family_set("portmap", target->family, set, RENDER_SET_MAX);
		out->key[0] = address(&m->host_ip);
		out->key[1] = number(ELEMENT_PROTO, m->proto);
		out->key[2] = number(ELEMENT_PORT, m->host_port);
		out->key_count = 3;
	}
}

bool render_relay_element(const struct portmap *m, const char *comment, struct element *out, char set[RENDER_SET_MAX])
{
	if (!portmap_is_loopback(m) || m->relay_port == 0)
		return false;
	*out = (struct element){ .table = ELEMENT_INET,
				 .set = family_set("portmap_lo", m->host_ip.family, set, RENDER_SET_MAX),
				 .key = { address(&m->host_ip), number(ELEMENT_PROTO, m->proto),
					  number(ELEMENT_PORT, m->host_port) },
				 .key_count = 3,
				 .data = { address(&m->host_ip), number(ELEMENT_PORT, m->relay_port) },
				 .data_count = 2,
				 .comment = comment };
	return true;
}

/* DNAT map elements: to the job, or for a loopback mapping to its relay. */
static void render_maps(const struct render_sink *sink, const struct netpolicy_job *job, const char *comment)
{
	for (size_t i = 0; i < job->map_count; i++) {
		struct element e;
		char set[RENDER_SET_MAX];
		if (render_relay_element(&job->maps[i], comment, &e, set))
			emit(sink, &e);
		for (size_t a = 0; a < job->addr_count; a++) {
			if (!render_map_targets(&job->maps[i], &job->addrs[a].addr))
				continue;
			render_map_element(&job->maps[i], &job->addrs[a].addr, comment, &e, set);
			emit(sink, &e);
		}
	}
}

/* Where a peer's pair goes besides job_peers (see netpolicy.h). */
enum peer_kind {
	PEER_OUTBOUND, /* the job opens connections to it, nothing more */
	PEER_MEMBER, /* both ways, untracked: job_mutual */
	PEER_CALLER, /* may open connections to the job too: job_inbound */
};

static enum peer_kind peer_kind(const struct netpolicy_job *job, const struct jn_prefix *peer)
{
	if (job->router)
		return PEER_OUTBOUND;
	for (size_t i = 0; i < job->cluster_count; i++)
		if (prefix_covers(&job->cluster[i], peer))
			return PEER_MEMBER;
	return PEER_CALLER;
}

/* A member given as one address goes in job_mutual, whose exact lookup
 * costs every packet between the two less than job_mutual_ranges's. */
static void render_member(const struct render_sink *sink, const struct element *pair, const struct jn_prefix *peer)
{
	struct element e = *pair;
	char set[32];

	if (peer->len == addr_bits(peer->addr.family)) {
		e.key[1] = address(&peer->addr);
		e.set = family_set("job_mutual", peer->addr.family, set, sizeof(set));
	} else {
		e.set = family_set("job_mutual_ranges", peer->addr.family, set, sizeof(set));
	}
	emit(sink, &e);
}

/* base holds the job's address as its first key field and the comment.
 * Deleting removes a pair from every set it could be in: the cluster may
 * have changed since it went in, and an absent element is fine. */
static void render_remote(const struct render_sink *sink, const struct netpolicy_job *job, const struct element *base,
			  int family)
{
	struct element e = *base;
	char set[32];

	e.key_count = 2;
	for (size_t p = 0; p < job->peer_count; p++) {
		enum peer_kind kind = peer_kind(job, &job->peers[p]);
		if (job->peers[p].addr.family != family)
			continue;
		e.key[1] = prefix(&job->peers[p]);
		e.set = family_set("job_peers", family, set, sizeof(set));
		emit(sink, &e);
		if (kind == PEER_MEMBER || sink->op == RENDER_DELETE)
			render_member(sink, &e, &job->peers[p]);
		if (kind == PEER_CALLER || sink->op == RENDER_DELETE) {
			e.set = family_set("job_inbound", family, set, sizeof(set));
			emit(sink, &e);
		}
	}
	e.set = family_set("job_inbound", family, set, sizeof(set));
	for (size_t r = 0; r < job->router_count; r++) {
		if (job->routers[r].addr.family != family)
			continue;
		e.key[1] = prefix(&job->routers[r]);
		emit(sink, &e);
	}
}

static void job_comment(const struct netpolicy_job *job, char comment[COMMENT_MAX])
{
	/* Validated names only contain [a-zA-Z0-9_.-] (and a group its scope's
	 * ":"): cutting them is safe. */
	snprintf(comment, COMMENT_MAX, "job %.12s group %.40s network %.40s", job->container_id,
		 job->group[0] ? job->group : "-", job->network);
}

void render_job_remote_to(const struct render_sink *sink, const struct netpolicy_job *job)
{
	char comment[COMMENT_MAX];
	struct element e = { .table = ELEMENT_INET, .key_count = 2, .comment = comment };

	job_comment(job, comment);
	for (size_t i = 0; i < job->addr_count; i++) {
		e.key[0] = address(&job->addrs[i].addr);
		render_remote(sink, job, &e, job->addrs[i].addr.family);
	}
}

void render_job_to(const struct render_sink *sink, const struct netpolicy_job *job)
{
	struct element e = { .table = ELEMENT_INET };
	char comment[COMMENT_MAX], set[32];

	job_comment(job, comment);
	e.comment = comment;
	for (size_t i = 0; i < job->addr_count; i++) {
		const struct jn_addr *a = &job->addrs[i].addr;
		e.key[0] = address(a);
		e.key_count = 1;
		e.set = family_set("job_addrs", a->family, set, sizeof(set));
		emit(sink, &e);
		e.key[1] = address(a);
		e.key_count = 2;
		e.set = family_set("job_self", a->family, set, sizeof(set));
		emit(sink, &e);
		render_remote(sink, job, &e, a->family);
	}
	render_maps(sink, job, comment);
	render_bridge_side(sink, job, comment);
}

void render_job(struct strbuf *sb, enum render_op op, const struct netpolicy_job *job)
{
	const struct render_sink sink = { .op = op, .text = sb };

	render_job_to(&sink, job);
}

void render_pair_to(const struct render_sink *sink, const struct jn_addr *src, const struct jn_addr *dst,
		    const char *comment)
{
	char set[32];
	struct element e = { .table = ELEMENT_INET,
			     .set = family_set("job_talk", src->family, set, sizeof(set)),
			     .key = { address(src), address(dst) },
			     .key_count = 2,
			     .comment = comment };

	emit(sink, &e);
}

void render_pair(struct strbuf *sb, enum render_op op, const struct jn_addr *src, const struct jn_addr *dst,
		 const char *comment)
{
	const struct render_sink sink = { .op = op, .text = sb };

	render_pair_to(&sink, src, dst, comment);
}
