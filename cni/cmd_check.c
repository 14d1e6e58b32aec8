/* CHECK: compare what ADD made (prevResult and the record) with the kernel:
 * the job's interface, addresses and routes, the host veth on its bridge,
 * the gateway, the reservations and the nftables elements. The first
 * difference is error 108 and the message names it.
 */
#include <errno.h>
#include <string.h>

#include "base/cleanup.h"
#include "core/ipam.h"
#include "kernel/link.h"
#include "core/mappings.h"
#include "core/netrecord.h"
#include "cni/plugin.h"
#include "core/policy.h"
#include "core/state.h"
#include "core/verify.h"

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

static int check_attachment(struct plugin *p, struct state_network *net, const struct attachment *a,
			    struct jn_error *err)
{
	struct drifts drifts = { .count = 0 };
	struct netrecord rec;
	bool found = false;

	if (check_prev_result(p->conf.prev_result, a, err) < 0)
		return -1;
	if (strcmp(a->mode, "bridge") == 0) {
		if (netrecord_read(net, &rec, &found, err) < 0)
			return -1;
		if (!found)
			return jn_error_set(err, JN_ERR_CHECK_FAILED, "network record of %s is missing", p->conf.name);
	}
	if (verify_attachment(p->conf.state_dir, net, &rec, a, p->inv.netns, &drifts, err) < 0)
		return -1;
	if (drifts.count == 0)
		return 0;
	jn_error_set(err, JN_ERR_CHECK_FAILED, "%s", drifts.items[0]);
	jn_error_detail(err, "%zu difference(s) in all; jobnetctl verify lists them", drifts.count);
	return -1;
}

int cmd_check_input(const struct plugin *p, struct jn_error *err)
{
	if (p->conf.prev_result == NULL)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "missing \"prevResult\": CHECK needs the result of ADD");
	return 0;
}

int cmd_check(struct plugin *p, struct state_network *net, json_t **result, struct jn_error *err)
{
	struct attachment a;
	bool found = false;
	int rc;

	(void)result;
	rc = state_read_attachment(net, p->inv.container_id, p->inv.ifname, &a, &found, err);
	if (rc == 0 && !found)
		rc = jn_error_set(err, JN_ERR_UNKNOWN_CONTAINER,
				  "container %s has no attachment as \"%s\" in network %s", p->inv.container_id,
				  p->inv.ifname, p->conf.name);
	if (rc == 0 && !a.complete)
		rc = jn_error_set(err, JN_ERR_CHECK_FAILED, "the ADD of %s as \"%s\" never finished",
				  p->inv.container_id, p->inv.ifname);
	if (rc == 0)
		rc = check_attachment(p, net, &a, err);
	attachment_free(&a);
	return rc;
}
