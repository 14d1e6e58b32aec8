/* The configuration parser: any bytes on stdin. A configuration it accepts
 * must be self-consistent; what DEL parses (only the keys that name the
 * attachment) is accepted whenever the whole is, with the same name and
 * state directory, and always names a network and an absolute path. */
#include <string.h>

#include "core/netconf.h"
#include "fuzz.h"

static const char *const del_needs[] = { "name", "stateDir", NULL };

static void check_needed(const char *text, const struct netconf *whole, bool whole_ok)
{
	struct netconf conf;
	struct jn_error err = { 0 };

	if (netconf_parse_needed(text, del_needs, &conf, &err) < 0) {
		FUZZ_ASSERT(!whole_ok && err.code != 0);
		return;
	}
	FUZZ_ASSERT(names_is_valid_id(conf.name) && conf.state_dir != NULL && conf.state_dir[0] == '/');
	FUZZ_ASSERT(!whole_ok ||
		    (strcmp(conf.name, whole->name) == 0 && strcmp(conf.state_dir, whole->state_dir) == 0));
	netconf_free(&conf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct netconf conf;
	struct jn_error err = { 0 };

	if (text == NULL)
		return 0;
	if (netconf_parse(text, &conf, &err) == 0) {
		check_needed(text, &conf, true);
		FUZZ_ASSERT(conf.v4.enabled || conf.v6.enabled);
		FUZZ_ASSERT(names_is_valid_id(conf.name));
		FUZZ_ASSERT(names_is_plain_ifname(conf.bridge));
		FUZZ_ASSERT(!conf.v4.enabled || prefix_contains(&conf.v4.subnet, &conf.v4.gateway));
		FUZZ_ASSERT(!conf.v6.enabled || prefix_contains(&conf.v6.subnet, &conf.v6.gateway));
		FUZZ_ASSERT(conf.mtu >= 68 && conf.mtu <= 65535);
		/* A cluster holds this node's subnets; its routes go elsewhere in it. */
		for (size_t i = 0; i < conf.cluster.subnet_count; i++) {
			const struct jn_prefix *c = &conf.cluster.subnets[i];
			const struct netconf_family *f = netconf_family(&conf, c->addr.family);
			FUZZ_ASSERT(f->enabled && prefix_covers(c, &f->subnet));
		}
		for (size_t i = 0; i < conf.cluster.route_count; i++) {
			const struct route_spec *r = &conf.cluster.routes[i];
			const struct jn_prefix *c = cluster_subnet(&conf.cluster, r->dst.addr.family);
			FUZZ_ASSERT(c != NULL && prefix_covers(c, &r->dst) && r->via.family == r->dst.addr.family);
			FUZZ_ASSERT(!prefix_overlaps(&r->dst, &netconf_family(&conf, r->dst.addr.family)->subnet));
		}
		netconf_request_ip(&conf, "10.0.0.1", &err);
		netconf_free(&conf);
	} else {
		FUZZ_ASSERT(err.code != 0 && err.msg[0] != '\0');
		check_needed(text, NULL, false);
	}
	free(text);
	return 0;
}
