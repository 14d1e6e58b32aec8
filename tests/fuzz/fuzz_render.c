/* The nft value renderer. The input is split at NUL bytes into the fields
 * of a job (container ID, network, veth, group, route, addresses, peer,
 * router, cluster subnet);
 * whatever passes validation must render into element commands that cannot
 * carry anything but one element each, and encode for the kernel as one
 * netlink message per element (two per deleted one). */
#include <linux/netlink.h>
#include <stdio.h>

#include "netpolicy/nftwire.h"
#include "netpolicy/render.h"
#include "fuzz.h"

#define FIELDS 10

static void split(const uint8_t *data, size_t size, char fields[FIELDS][300])
{
	size_t f = 0, n = 0;

	memset(fields, 0, FIELDS * 300);
	for (size_t i = 0; i < size && f < FIELDS; i++) {
		if (data[i] == '\0' || n == 299) {
			f++;
			n = 0;
			continue;
		}
		fields[f][n++] = (char)data[i];
	}
}

/* Every line is one element command: one "{", one "}" at the end, quotes
 * paired, no statement separator. Returns the number of lines. */
static size_t check_lines(const char *text)
{
	const char *line = text;
	size_t lines = 0;

	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line), quotes = 0, open = 0, close = 0;
		for (size_t i = 0; i < len; i++) {
			quotes += line[i] == '"';
			open += line[i] == '{';
			close += line[i] == '}';
			FUZZ_ASSERT(line[i] != ';' && line[i] != '#' && line[i] != '$');
		}
		FUZZ_ASSERT(quotes % 2 == 0 && open == 1 && close == 1 && line[len - 1] == '}');
		FUZZ_ASSERT(strncmp(line, "add element ", 12) == 0 || strncmp(line, "delete element ", 15) == 0 ||
			    strncmp(line, "get element ", 12) == 0);
		line += len + (end != NULL);
		lines++;
	}
	return lines;
}

/* The port's MAC, as the 48-bit number neighbour discovery's option check
 * looks up, is the MAC the port_mac element names. */
static void check_lladdr(const char *text, const uint8_t mac[6])
{
	const char *line = strstr(text, " port_lladdr { ");
	char want[16];

	FUZZ_ASSERT(line != NULL && strstr(line + 1, " port_lladdr { ") == NULL);
	snprintf(want, sizeof(want), "0x%02x%02x%02x%02x%02x%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	line = strstr(line, "\" . ");
	FUZZ_ASSERT(line != NULL && strncmp(line + 4, want, 14) == 0 && (line[18] == ' ' || line[18] == '}'));
}

/* The same elements, encoded: as many messages as text commands, each a
 * whole netlink message. */
static void check_wire(const struct netpolicy_job *job, enum render_op op, size_t commands)
{
	struct nftwire wire;
	struct render_sink sink = { .op = op, .wire = &wire };
	size_t seen = 0;

	nftwire_init(&wire);
	render_job_to(&sink, job);
	FUZZ_ASSERT(!wire.failed && nftwire_messages(&wire) == commands);
	for (size_t at = 0; at < wire.len; seen++) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(wire.buf + at);
		FUZZ_ASSERT(nlh->nlmsg_len >= sizeof(*nlh) && at + nlh->nlmsg_len <= wire.len);
		at += nlh->nlmsg_len;
	}
	FUZZ_ASSERT(seen == commands);
	nftwire_free(&wire);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char f[FIELDS][300];
	char routes[1][JN_ID_MAX + 1];
	struct jn_prefix peer, router, cluster;
	struct netpolicy_job job = { 0 };
	struct jn_error err = { 0 };
	struct strbuf sb = STRBUF_INIT;

	split(data, size, f);
	job.container_id = f[0];
	job.network = f[1];
	job.host_veth = f[2];
	job.ifname = "eth0";
	job.group = f[3];
	if (strlen(f[4]) > JN_ID_MAX)
		return 0; /* a route is held in JN_ID_MAX + 1 bytes: no such job */
	memcpy(routes[0], f[4], strlen(f[4]) + 1);
	job.routes = routes;
	job.route_count = f[4][0] ? 1 : 0;
	job.router = true;
	memcpy(job.mac, f[2], sizeof(job.mac));
	for (int i = 5; i <= 6; i++)
		if (prefix_parse(f[i], false, &job.addrs[job.addr_count]))
			job.addr_count++;
	if (prefix_parse(f[7], false, &peer)) {
		job.peers = &peer;
		job.peer_count = 1;
	}
	if (prefix_parse(f[8], false, &router)) {
		job.routers = &router;
		job.router_count = 1;
	}
	if (prefix_parse(f[9], false, &cluster)) {
		job.cluster = &cluster;
		job.cluster_count = 1;
		job.router = f[4][0] != '\0';
	}
	if (netpolicy_validate_job(&job, &err) < 0)
		return 0;
	render_job(&sb, RENDER_ADD, &job);
	if (!strbuf_failed(&sb)) {
		check_wire(&job, RENDER_ADD, check_lines(strbuf_text(&sb)));
		check_lladdr(strbuf_text(&sb), job.mac);
	}
	strbuf_reset(&sb);
	render_job(&sb, RENDER_DELETE, &job);
	if (!strbuf_failed(&sb))
		check_wire(&job, RENDER_DELETE, check_lines(strbuf_text(&sb)));
	strbuf_reset(&sb);
	render_job(&sb, RENDER_GET, &job);
	if (!strbuf_failed(&sb))
		check_lines(strbuf_text(&sb));
	strbuf_free(&sb);
	return 0;
}
