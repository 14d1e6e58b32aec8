/* STATUS: can the plugin serve ADD right now? Error 50 names what is
 * missing: a usable state directory, a kernel that takes the ruleset, or a
 * free address in each pool.
 */
#include "netpolicy/netpolicy.h"
#include "core/ipam.h"
#include "cni/plugin.h"
#include "core/state.h"

static int check_pools(struct plugin *p, struct state_network *net, struct jn_error *err)
{
	const struct netconf_family *fams[] = { &p->conf.v4, &p->conf.v6 };
	struct jn_addr none = { 0 }, free_addr;

	for (size_t i = 0; i < 2; i++) {
		struct ipam_pool pool;
		if (!fams[i]->enabled)
			continue;
		pool.subnet = fams[i]->subnet;
		pool.gateway = fams[i]->gateway;
		if (ipam_pick(net, &pool, &none, &free_addr, err) < 0)
			return -1;
	}
	return 0;
}

static int count_record(struct state_network *net, const char *key, void *data)
{
	(void)net;
	(void)key;
	(*(size_t *)data)++;
	return 0;
}

/* Attachments exist but jobnet's table is gone or outdated: their
 * isolation and masquerade are not enforced (51). */
static int check_policy(struct state_network *net, struct jn_error *err)
{
	size_t records = 0;
	bool current;

	if (state_each_attachment(net, count_record, &records, err) < 0)
		return -1;
	if (records == 0)
		return 0;
	if (netpolicy_tables_are_current(&current, err) < 0)
		return -1;
	if (!current)
		return jn_error_set(err, JN_ERR_NOT_AVAILABLE_DAMAGED,
				    "jobnet's nftables table is missing or outdated while %zu attachment(s) exist; "
				    "run \"jobnetctl repair\"",
				    records);
	return 0;
}

int cmd_status_unavailable(struct jn_error *err)
{
	jn_error_recode(err, JN_ERR_NOT_AVAILABLE);
	return jn_error_wrap(err, "jobnet cannot serve ADD");
}

int cmd_status(struct plugin *p, struct state_network *net, json_t **result, struct jn_error *err)
{
	(void)result;
	if (netpolicy_probe(err) < 0)
		return cmd_status_unavailable(err);
	/* 51 first: it says more than "no new ADD" does. */
	if (check_policy(net, err) < 0)
		return -1;
	if (check_pools(p, net, err) < 0)
		return cmd_status_unavailable(err);
	return 0;
}
