/* STATUS: can the plugin serve ADD right now? Error 50 names what is
 * missing: a usable state directory, a kernel that takes the ruleset, or a
 * free address in each pool.
 */
#include "netpolicy/netpolicy.h"
#include "core/cniversion.h"
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

int cmd_status(struct plugin *p, json_t **result, struct jn_error *err)
{
	struct state_network net;
	int rc;

	*result = NULL;
	if (!cniversion_at_least(p->conf.cni_version, "1.1.0"))
		return jn_error_set(err, JN_ERR_INCOMPATIBLE_VERSION, "STATUS needs cniVersion 1.1.0 or later, got %s",
				    p->conf.cni_version);
	rc = state_open(p->conf.state_dir, p->conf.name, true, &net, err);
	net.lock_timeout = p->conf.lock_timeout;
	if (rc == 0) {
		rc = state_lock_shared(&net, err);
		if (rc == 0)
			rc = netpolicy_probe(err);
		/* 51 first: it says more than "no new ADD" does. */
		if (rc == 0 && check_policy(&net, err) < 0) {
			state_close(&net);
			return -1;
		}
		if (rc == 0)
			rc = check_pools(p, &net, err);
		state_close(&net);
	}
	if (rc < 0) {
		jn_error_recode(err, JN_ERR_NOT_AVAILABLE);
		return jn_error_wrap(err, "jobnet cannot serve ADD");
	}
	return 0;
}
