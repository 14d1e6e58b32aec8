/* jobnet's isolation policy and its nftables programming: the only code
 * that talks to nftables. The ruleset is the template in nft-templates/;
 * networks and jobs are set elements added and removed in one transaction
 * per ADD or DEL. Callers hold the node-wide policy lock.
 */
#ifndef JOBNET_NETPOLICY_H
#define JOBNET_NETPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../cni/addr.h"
#include "../cni/error.h"
#include "../cni/strbuf.h"

struct netpolicy_network {
	const char *name;
	const char *bridge;
	struct jn_prefix subnets[2];
	size_t subnet_count;
	bool masquerade;
};

struct netpolicy_job {
	const char *container_id;
	const char *ifname;
	const char *network;
	const char *host_veth;
	uint8_t mac[6];
	struct jn_prefix addrs[2];
	size_t addr_count;
};

/* Fills batch with the elements of every network and job already recorded,
 * so a table rebuilt from the template gets them back. */
typedef int (*netpolicy_restore_fn)(struct strbuf *batch, void *ctx, struct jn_error *err);

struct netpolicy_restore {
	netpolicy_restore_fn fn;
	void *ctx;
};

/* Add the network's and the job's elements in one transaction; first
 * (re)build the table from the template, with every recorded element,
 * when it is missing or made by another version. */
int netpolicy_attach(const struct netpolicy_network *net, const struct netpolicy_job *job,
		     const struct netpolicy_restore *restore, struct jn_error *err);

/* Remove the job's elements in one transaction; absent ones are fine. */
int netpolicy_detach(const struct netpolicy_job *job, struct jn_error *err);

/* Error 108 naming the first of the job's elements that is missing. */
int netpolicy_check(const struct netpolicy_network *net, const struct netpolicy_job *job, struct jn_error *err);

/* Rebuild the table from the template and the restore callback. */
int netpolicy_repair(const struct netpolicy_restore *restore, struct jn_error *err);

/* Whether jobnet's table exists and was made by this version's template. */
int netpolicy_table_is_current(bool *current, struct jn_error *err);

/* Whether the kernel takes the ruleset (STATUS): a dry run of the template. */
int netpolicy_probe(struct jn_error *err);

/* Element text for the restore callback. */
void netpolicy_render_network(struct strbuf *sb, const struct netpolicy_network *net);
void netpolicy_render_job(struct strbuf *sb, const struct netpolicy_job *job);

#endif
