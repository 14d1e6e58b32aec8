/* What a network looked like at its last ADD (<stateDir>/<network>/network.json):
 * enough to restore its nftables elements and to show it, without the
 * configuration file.
 */
#ifndef JOBNET_NETRECORD_H
#define JOBNET_NETRECORD_H

#include <stdbool.h>

#include "base/addr.h"
#include "base/error.h"
#include "base/names.h"
#include "core/netconf.h"
#include "core/state.h"

struct netrecord {
	char name[JN_ID_MAX + 1];
	char bridge[JN_IFNAME_MAX + 1];
	struct jn_prefix subnets[2];
	struct jn_addr gateways[2];
	size_t subnet_count;
	bool ip_masq;
	unsigned mtu;
	size_t protect_count;
	struct jn_prefix protect[JN_MAX_PROTECT + 2];
	size_t service_count;
	struct jn_service services[JN_MAX_SERVICES];
	struct cluster_conf cluster; /* none in records from before "cluster" */
};

void netrecord_from_conf(const struct netconf *conf, struct netrecord *out);

bool netrecord_equal(const struct netrecord *a, const struct netrecord *b);

/* Write unless the file already says the same. */
int netrecord_write(struct state_network *net, const struct netrecord *rec, struct jn_error *err);
/* A missing file is success with *found false. */
int netrecord_read(struct state_network *net, struct netrecord *out, bool *found, struct jn_error *err);

#endif
