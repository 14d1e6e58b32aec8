#include "render.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "../cni/names.h"

/* libnftnl keeps at most 128 bytes of comment. */
#define COMMENT_MAX 120
#define KEY_MAX 160

/* One element: "<verb> element <table> <set> { <key> [comment "..."] }". */
static void element(struct strbuf *sb, enum render_op op, const char *table, const char *set, const char *key,
		    const char *comment)
{
	switch (op) {
	case RENDER_ADD:
		strbuf_printf(sb, "add element %s %s { %s comment \"%s\" }\n", table, set, key, comment);
		break;
	case RENDER_DELETE:
		strbuf_printf(sb, "add element %s %s { %s }\ndelete element %s %s { %s }\n", table, set, key, table,
			      set, key);
		break;
	case RENDER_GET:
		strbuf_printf(sb, "get element %s %s { %s }\n", table, set, key);
		break;
	}
}

/* A map element: the comment goes between key and value. */
static void map_element(struct strbuf *sb, enum render_op op, const char *set, const char *key, const char *value,
			const char *comment)
{
	switch (op) {
	case RENDER_ADD:
		strbuf_printf(sb, "add element %s %s { %s comment \"%s\" : %s }\n", RENDER_INET, set, key, comment,
			      value);
		break;
	case RENDER_DELETE:
		strbuf_printf(sb, "add element %s %s { %s : %s }\ndelete element %s %s { %s }\n", RENDER_INET, set, key,
			      value, RENDER_INET, set, key);
		break;
	case RENDER_GET:
		strbuf_printf(sb, "get element %s %s { %s }\n", RENDER_INET, set, key);
		break;
	}
}

static const char *family_set(const char *base, int family, char *out, size_t size)
{
	snprintf(out, size, "%s%s", base, family == AF_INET ? "4" : "6");
	return out;
}

void render_network(struct strbuf *sb, enum render_op op, const struct netpolicy_network *net)
{
	char comment[COMMENT_MAX], key[KEY_MAX], text[JN_ADDR_STRLEN], set[32];

	snprintf(comment, sizeof(comment), "network %.100s", net->name);
	snprintf(key, sizeof(key), "\"%s\"", net->bridge);
	element(sb, op, RENDER_INET, "bridges", key, comment);
	for (size_t i = 0; i < net->subnet_count; i++) {
		int family = net->subnets[i].addr.family;
		prefix_format(&net->subnets[i], key);
		element(sb, op, RENDER_INET, family_set("subnets", family, set, sizeof(set)), key, comment);
		if (net->masquerade)
			element(sb, op, RENDER_INET, family_set("masq_subnets", family, set, sizeof(set)), key,
				comment);
	}
	for (size_t i = 0; i < net->protect_count; i++) {
		snprintf(key, sizeof(key), "\"%s\" . %s", net->bridge, prefix_format(&net->protect[i], text));
		element(sb, op, RENDER_INET, family_set("protect", net->protect[i].addr.family, set, sizeof(set)), key,
			comment);
	}
	for (size_t i = 0; i < net->service_count; i++) {
		snprintf(key, sizeof(key), "\"%s\" . %s . %u", net->bridge, service_proto_name(net->services[i].proto),
			 net->services[i].port);
		element(sb, op, RENDER_INET, "host_allow", key, comment);
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

/* An IPv6 address as the 128-bit number the neighbour discovery check uses. */
static void hex128(const struct jn_addr *a, char out[35])
{
	strcpy(out, "0x");
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", a->bytes[i]);
}

static void render_port_ip6(struct strbuf *sb, enum render_op op, const struct netpolicy_job *job,
			    const struct jn_addr *a, const char *comment)
{
	char key[KEY_MAX], text[JN_ADDR_STRLEN], hex[35];

	snprintf(key, sizeof(key), "\"%s\" . %s", job->host_veth, addr_format(a, text));
	element(sb, op, RENDER_BRIDGE, "port_ip6", key, comment);
	hex128(a, hex);
	snprintf(key, sizeof(key), "\"%s\" . %s", job->host_veth, hex);
	element(sb, op, RENDER_BRIDGE, "port_nd_target", key, comment);
}

/* Anti-spoofing: the port, its MAC and addresses (link-local included). */
static void render_bridge_side(struct strbuf *sb, enum render_op op, const struct netpolicy_job *job,
			       const char *comment)
{
	char key[KEY_MAX], text[JN_ADDR_STRLEN], mac[18];
	struct jn_addr link_local;

	snprintf(key, sizeof(key), "\"%s\"", job->host_veth);
	element(sb, op, RENDER_BRIDGE, "ports", key, comment);
	names_format_mac(job->mac, mac);
	snprintf(key, sizeof(key), "\"%s\" . %s", job->host_veth, mac);
	element(sb, op, RENDER_BRIDGE, "port_mac", key, comment);
	for (size_t i = 0; i < job->addr_count; i++) {
		const struct jn_addr *a = &job->addrs[i].addr;
		if (a->family == AF_INET6) {
			render_port_ip6(sb, op, job, a, comment);
			continue;
		}
		snprintf(key, sizeof(key), "\"%s\" . %s", job->host_veth, addr_format(a, text));
		element(sb, op, RENDER_BRIDGE, "port_ip4", key, comment);
	}
	render_link_local(job->mac, &link_local);
	render_port_ip6(sb, op, job, &link_local, comment);
}

static void render_map(struct strbuf *sb, enum render_op op, const struct netpolicy_job *job, const struct portmap *m,
		       const struct jn_addr *target, const char *comment)
{
	char key[KEY_MAX], value[KEY_MAX], ip[JN_ADDR_STRLEN], text[JN_ADDR_STRLEN], set[32];
	const char *proto = service_proto_name(m->proto);

	(void)job;
	snprintf(value, sizeof(value), "%s . %u", addr_format(target, text), m->container_port);
	if (portmap_is_any(m)) {
		snprintf(key, sizeof(key), "%s . %u", proto, m->host_port);
		map_element(sb, op, family_set("portmap_any", target->family, set, sizeof(set)), key, value, comment);
		return;
	}
	snprintf(key, sizeof(key), "%s . %s . %u", addr_format(&m->host_ip, ip), proto, m->host_port);
	map_element(sb, op, family_set("portmap", target->family, set, sizeof(set)), key, value, comment);
}

/* DNAT map elements for every mapping but loopback ones (the relay's). */
static void render_maps(struct strbuf *sb, enum render_op op, const struct netpolicy_job *job, const char *comment)
{
	for (size_t i = 0; i < job->map_count; i++) {
		const struct portmap *m = &job->maps[i];
		if (portmap_is_loopback(m))
			continue;
		for (size_t a = 0; a < job->addr_count; a++) {
			const struct jn_addr *target = &job->addrs[a].addr;
			if (portmap_is_any(m) || m->host_ip.family == target->family)
				render_map(sb, op, job, m, target, comment);
		}
	}
}

void render_job(struct strbuf *sb, enum render_op op, const struct netpolicy_job *job)
{
	char comment[COMMENT_MAX], key[KEY_MAX], text[JN_ADDR_STRLEN], set[32];

	/* Validated names only contain [a-zA-Z0-9_.-]: cutting them is safe. */
	snprintf(comment, sizeof(comment), "job %.12s group %.40s network %.40s", job->container_id,
		 job->group[0] ? job->group : "-", job->network);
	for (size_t i = 0; i < job->addr_count; i++) {
		const struct jn_addr *a = &job->addrs[i].addr;
		element(sb, op, RENDER_INET, family_set("job_addrs", a->family, set, sizeof(set)), addr_format(a, text),
			comment);
		snprintf(key, sizeof(key), "%s . %s", text, text);
		element(sb, op, RENDER_INET, family_set("job_self", a->family, set, sizeof(set)), key, comment);
		for (size_t p = 0; p < job->peer_count; p++) {
			char peer[JN_ADDR_STRLEN];
			if (job->peers[p].addr.family != a->family)
				continue;
			snprintf(key, sizeof(key), "%s . %s", text, prefix_format(&job->peers[p], peer));
			element(sb, op, RENDER_INET, family_set("job_peers", a->family, set, sizeof(set)), key,
				comment);
		}
	}
	render_maps(sb, op, job, comment);
	render_bridge_side(sb, op, job, comment);
}

void render_pair(struct strbuf *sb, enum render_op op, const struct jn_addr *src, const struct jn_addr *dst,
		 const char *comment)
{
	char key[KEY_MAX], a[JN_ADDR_STRLEN], b[JN_ADDR_STRLEN], set[32];

	snprintf(key, sizeof(key), "%s . %s", addr_format(src, a), addr_format(dst, b));
	element(sb, op, RENDER_INET, family_set("job_talk", src->family, set, sizeof(set)), key, comment);
}
