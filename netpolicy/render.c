#include "render.h"

#include <stdio.h>
#include <string.h>

#include "../cni/names.h"

/* libnftnl keeps at most 128 bytes of comment. */
#define COMMENT_MAX 120

/* One element: "<verb> element inet jobnet <set> { <key> [comment "..."] }". */
static void element(struct strbuf *sb, enum render_op op, const char *set, const char *key, const char *comment)
{
	switch (op) {
	case RENDER_ADD:
		strbuf_printf(sb, "add element %s %s { %s comment \"%s\" }\n", RENDER_TABLE, set, key, comment);
		break;
	case RENDER_DELETE:
		strbuf_printf(sb, "add element %s %s { %s }\ndelete element %s %s { %s }\n", RENDER_TABLE, set, key,
			      RENDER_TABLE, set, key);
		break;
	case RENDER_GET:
		strbuf_printf(sb, "get element %s %s { %s }\n", RENDER_TABLE, set, key);
		break;
	}
}

int render_validate_job(const struct netpolicy_job *job, struct jn_error *err)
{
	if (!names_is_valid_id(job->container_id) || !names_is_valid_id(job->network))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "container ID or network name unfit for nftables");
	if (!names_is_plain_ifname(job->host_veth))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "host interface name \"%.32s\" unfit for nftables",
				    job->host_veth);
	for (size_t i = 0; i < job->addr_count; i++)
		if (job->addrs[i].addr.family != AF_INET && job->addrs[i].addr.family != AF_INET6)
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "job address %zu has no family", i);
	return 0;
}

int render_validate_network(const struct netpolicy_network *net, struct jn_error *err)
{
	if (!names_is_valid_id(net->name) || !names_is_plain_ifname(net->bridge))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "network or bridge name unfit for nftables");
	for (size_t i = 0; i < net->subnet_count; i++)
		if (net->subnets[i].addr.family != AF_INET && net->subnets[i].addr.family != AF_INET6)
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "subnet %zu has no family", i);
	return 0;
}

void render_network(struct strbuf *sb, enum render_op op, const struct netpolicy_network *net)
{
	char comment[COMMENT_MAX], key[JN_ADDR_STRLEN + 4];

	snprintf(comment, sizeof(comment), "network %s", net->name);
	snprintf(key, sizeof(key), "\"%s\"", net->bridge);
	element(sb, op, "bridges", key, comment);
	for (size_t i = 0; i < net->subnet_count; i++) {
		bool v4 = net->subnets[i].addr.family == AF_INET;
		prefix_format(&net->subnets[i], key);
		element(sb, op, v4 ? "subnets4" : "subnets6", key, comment);
		if (net->masquerade)
			element(sb, op, v4 ? "masq_subnets4" : "masq_subnets6", key, comment);
	}
}

void render_job(struct strbuf *sb, enum render_op op, const struct netpolicy_job *job)
{
	char comment[COMMENT_MAX], key[JN_ADDR_STRLEN + 4];

	/* Validated names only contain [a-zA-Z0-9_.-]: cutting them is safe. */
	snprintf(comment, sizeof(comment), "job %s network %s", job->container_id, job->network);
	snprintf(key, sizeof(key), "\"%s\"", job->host_veth);
	element(sb, op, "job_ports", key, comment);
	for (size_t i = 0; i < job->addr_count; i++) {
		bool v4 = job->addrs[i].addr.family == AF_INET;
		addr_format(&job->addrs[i].addr, key);
		element(sb, op, v4 ? "job_addrs4" : "job_addrs6", key, comment);
	}
}
