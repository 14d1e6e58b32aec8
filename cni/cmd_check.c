/* CHECK: compare what ADD made (prevResult and the record) with the kernel:
 * the job's interface, addresses and routes, the host veth on its bridge,
 * the gateway, the reservations and the nftables elements. The first
 * difference is error 108 and the message names it.
 */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "cniversion.h"
#include "ipam.h"
#include "link.h"
#include "mappings.h"
#include "netrecord.h"
#include "plugin.h"
#include "policy.h"
#include "sandbox.h"
#include "state.h"

static int check_prev_result(const json_t *prev, const struct attachment *a, struct jn_error *err)
{
	json_t *ips = json_object_get(prev, "ips"), *ip;
	size_t i;

	if (!json_is_array(ips))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"prevResult\": no \"ips\" array");
	json_array_foreach (ips, i, ip) {
		const char *text = json_string_value(json_object_get(ip, "address"));
		struct jn_prefix p;
		bool known = false;
		if (!prefix_parse(text, true, &p))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"prevResult\": ips[%zu].address", i);
		for (size_t k = 0; k < a->addr_count; k++)
			known = known || (addr_equal(&p.addr, &a->addrs[k].addr) && p.len == a->addrs[k].len);
		if (!known)
			return jn_error_set(err, JN_ERR_CHECK_FAILED,
					    "prevResult address %s is not the one jobnet recorded", text);
	}
	return 0;
}

static int check_reservations(struct state_network *net, const struct attachment *a, struct jn_error *err)
{
	char owner[JN_ATTACHMENT_KEY_MAX], key[JN_ATTACHMENT_KEY_MAX], text[JN_ADDR_STRLEN];

	names_attachment_key(a->container_id, a->ifname, key);
	for (size_t i = 0; i < a->addr_count; i++) {
		int rc = ipam_owner(net, &a->addrs[i].addr, owner, err);
		if (rc < 0)
			return -1;
		if (rc == 0 || strcmp(owner, key) != 0)
			return jn_error_set(err, JN_ERR_CHECK_FAILED, "address %s is not reserved for this attachment",
					    addr_format(&a->addrs[i].addr, text));
	}
	return 0;
}

static int check_node_side(const struct attachment *a, const struct netrecord *rec, struct jn_error *err)
{
	cleanup_nl_sock struct nl_sock *sk = NULL;
	struct link_facts bridge, veth;
	char text[JN_ADDR_STRLEN];

	if (link_socket_open(&sk, err) < 0)
		return -1;
	if (link_inspect(sk, a->bridge, &bridge, err) != 1)
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "bridge \"%s\" is missing", a->bridge);
	if (link_inspect(sk, a->host_veth, &veth, err) != 1)
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "host veth \"%s\" is missing", a->host_veth);
	if (veth.master != bridge.ifindex || !veth.up)
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "host veth \"%s\" is down or not on bridge \"%s\"",
				    a->host_veth, a->bridge);
	for (size_t i = 0; i < rec->subnet_count; i++) {
		struct jn_prefix gw = { .addr = rec->gateways[i], .len = rec->subnets[i].len };
		int rc = link_has_address(sk, bridge.ifindex, &gw, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return jn_error_set(err, JN_ERR_CHECK_FAILED, "gateway %s is missing from bridge \"%s\"",
					    prefix_format(&gw, text), a->bridge);
	}
	return 0;
}

static int check_job_side(struct plugin *p, const struct attachment *a, struct jn_error *err)
{
	struct sandbox sb;
	int rc = sandbox_open(p->inv.netns, &sb, err);

	if (rc == -ENOENT)
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "network namespace \"%s\" is gone", p->inv.netns);
	if (rc < 0)
		return -1;
	rc = sandbox_check(&sb, a, p->conf.mtu, err);
	sandbox_close(&sb);
	return rc;
}

static int check_attachment(struct plugin *p, struct state_network *net, const struct attachment *a,
			    struct jn_error *err)
{
	struct netrecord rec;
	bool found;

	if (check_prev_result(p->conf.prev_result, a, err) < 0 || check_reservations(net, a, err) < 0)
		return -1;
	if (strcmp(a->mode, "host") == 0)
		return 0; /* nothing was made in the kernel */
	if (netrecord_read(net, &rec, &found, err) < 0)
		return -1;
	if (!found)
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "network record of %s is missing", p->conf.name);
	if (check_node_side(a, &rec, err) < 0 || check_job_side(p, a, err) < 0 ||
	    mappings_check(p->conf.state_dir, a, err) < 0)
		return -1;
	return policy_check(p->conf.state_dir, &rec, a, err);
}

int cmd_check(struct plugin *p, json_t **result, struct jn_error *err)
{
	struct state_network net;
	struct attachment a;
	bool found = false;
	int rc;

	*result = NULL;
	attachment_init(&a);
	if (!cniversion_at_least(p->conf.cni_version, "0.4.0"))
		return jn_error_set(err, JN_ERR_INCOMPATIBLE_VERSION, "CHECK needs cniVersion 0.4.0 or later, got %s",
				    p->conf.cni_version);
	if (p->conf.prev_result == NULL)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "missing \"prevResult\": CHECK needs the result of ADD");
	if (state_open(p->conf.state_dir, p->conf.name, false, &net, err) < 0)
		return -1;
	net.lock_timeout = p->conf.lock_timeout;
	rc = net.dir_fd >= 0 ? state_lock_shared(&net, err) : 0;
	if (rc == 0)
		rc = state_read_attachment(&net, p->inv.container_id, p->inv.ifname, &a, &found, err);
	if (rc == 0 && !found)
		rc = jn_error_set(err, JN_ERR_UNKNOWN_CONTAINER,
				  "container %s has no attachment as \"%s\" in network %s", p->inv.container_id,
				  p->inv.ifname, p->conf.name);
	if (rc == 0 && !a.complete)
		rc = jn_error_set(err, JN_ERR_CHECK_FAILED, "the ADD of %s as \"%s\" never finished",
				  p->inv.container_id, p->inv.ifname);
	if (rc == 0)
		rc = check_attachment(p, &net, &a, err);
	attachment_free(&a);
	state_close(&net);
	return rc;
}
