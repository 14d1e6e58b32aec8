/* jobnet's isolation policy and its nftables programming: the only code
 * that talks to nftables and conntrack.
 *
 * The ruleset is nft-templates/ (tables `inet jobnet` and `bridge jobnet`);
 * networks and jobs are set elements, added and removed in one transaction
 * per ADD or DEL. Who may talk to whom is spelled out as "talk" pairs of
 * addresses, derived from groups and routes through a small index kept under
 * policy_dir. Callers hold the node-wide policy lock for every call.
 */
#ifndef JOBNET_NETPOLICY_H
#define JOBNET_NETPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "base/error.h"
#include "base/names.h"
#include "base/portmap.h"
#include "base/service.h"
#include "base/strbuf.h"

struct netpolicy_network {
	const char *name;
	const char *bridge;
	struct jn_prefix subnets[2];
	size_t subnet_count;
	bool masquerade;
	const struct jn_prefix *protect;
	size_t protect_count;
	const struct jn_service *services; /* hostServices.allow */
	size_t service_count;
	const struct jn_prefix *cluster; /* the job address space of every node */
	size_t cluster_count;
};

struct netpolicy_job {
	const char *container_id;
	const char *ifname;
	const char *network;
	const char *host_veth;
	uint8_t mac[6];
	struct jn_prefix addrs[2];
	size_t addr_count;
	const char *group; /* "" when none */
	bool router;
	const char (*routes)[JN_ID_MAX + 1];
	size_t route_count;
	/* Peers: the group's members on other nodes (a router: the members of
	 * its routed groups there), reached through protected networks too.
	 * A worker's peers inside the cluster talk with it both ways,
	 * untracked; its peers outside every cluster subnet may also open
	 * connections to it. A router only opens connections to its peers. */
	const struct jn_prefix *peers;
	size_t peer_count;
	/* Routers on other nodes that may open connections to the job. */
	const struct jn_prefix *routers;
	size_t router_count;
	/* The cluster subnets of the job's network, which say which peers are
	 * members on other nodes; deleting needs none (every kind goes). */
	const struct jn_prefix *cluster;
	size_t cluster_count;
	const struct portmap *maps; /* a loopback mapping's element redirects to its relay_port */
	size_t map_count;
};

/* netpolicy calls these for every recorded network and job when it rebuilds
 * the table or its index. */
struct netpolicy_visitor {
	int (*network)(void *ctx, const struct netpolicy_network *net, struct jn_error *err);
	int (*job)(void *ctx, const struct netpolicy_job *job, struct jn_error *err);
	/* A record that does not read, so its job is not visited (may be NULL). */
	void (*unreadable)(void *ctx);
	void *ctx;
};

struct netpolicy_restore {
	/* Visit every recorded network, then every finished bridged job. */
	int (*each)(void *ctx, const struct netpolicy_visitor *visitor, struct jn_error *err);
	void *ctx;
};

/* Add the network's and the job's elements, the job's talk pairs and its
 * index entries, in one transaction. When the tables are missing or from
 * another version, rebuild them first (from restore). old_net, when not
 * NULL, is what the network looked like before: its elements go. */
int netpolicy_attach(const char *policy_dir, const struct netpolicy_network *net,
		     const struct netpolicy_network *old_net, const struct netpolicy_job *job,
		     const struct netpolicy_restore *restore, struct jn_error *err);

/* Remove the job's elements and talk pairs in one transaction (absent ones
 * are fine) and its index entries. */
int netpolicy_detach(const char *policy_dir, const struct netpolicy_job *job, struct jn_error *err);

/* Change the peers and routers of jobs in one transaction: for each of
 * count jobs, remove the pairs of gone[i] and add those of added[i] (both
 * carry the job's addresses; only their peers and routers are used). When
 * jobnet's tables are missing or from another version nothing is sent and
 * *sent is false: the caller rebuilds them from its records. */
int netpolicy_change_remote(const struct netpolicy_job *gone, const struct netpolicy_job *added, size_t count,
			    bool *sent, struct jn_error *err);

/* Delete the conntrack entries between the job's addresses and any address
 * inside others (peers it no longer has). */
int netpolicy_forget_peer_flows(const struct netpolicy_job *job, const struct jn_prefix *others, size_t count,
				struct jn_error *err);

/* Delete the conntrack entries of the job's addresses and of its UDP
 * mappings' host ports. Needs no lock while the addresses are reserved. */
int netpolicy_forget_flows(const struct netpolicy_job *job, struct jn_error *err);

/* Report each of the network's and the job's elements (its own, the pairs
 * it opens, its mappings) that the kernel does not list, as the nft text
 * that would look it up; a missing or outdated table is one report. */
typedef void (*netpolicy_missing_fn)(void *ctx, const char *what);
int netpolicy_verify(const char *policy_dir, const struct netpolicy_network *net, const struct netpolicy_job *job,
		     netpolicy_missing_fn missing, void *ctx, struct jn_error *err);

/* The "get element" commands for the job's elements (its own, the pairs it
 * opens, its mappings), one per line (jobnetctl show). */
int netpolicy_job_lookups(const char *policy_dir, const struct netpolicy_job *job, struct strbuf *out,
			  struct jn_error *err);

/* Report each chain of jobnet's tables whose rules differ from those the
 * templates made when they were last loaded (a deleted masquerade rule, an
 * added accept). */
int netpolicy_verify_rules(const char *policy_dir, netpolicy_missing_fn report, void *ctx, struct jn_error *err);

/* Report each element of the per-job sets and maps that no record
 * explains (see orphans.h); with a network (remove_in not NULL), only those
 * naming an address of its subnets, deleted in one transaction. *judged is
 * false when nothing could be judged: jobnet's tables are missing or
 * outdated, or a record does not read. */
int netpolicy_orphans(const struct netpolicy_restore *restore, const struct netpolicy_network *remove_in,
		      netpolicy_missing_fn report, void *ctx, bool *judged, struct jn_error *err);

/* Run nft text that lists something (jobnetctl show); *out is malloc'd. */
int netpolicy_list(const char *command, char **out, struct jn_error *err);

/* Rebuild both tables and the index from restore, in one transaction. */
int netpolicy_repair(const char *policy_dir, const struct netpolicy_restore *restore, struct jn_error *err);

/* Whether both tables exist and were made by this version's templates. */
int netpolicy_tables_are_current(bool *current, struct jn_error *err);

/* Call fn with each bridge the table inet jobnet holds (one per network
 * whose elements it holds: its set "bridges"). A missing table is error
 * 106. */
typedef void (*netpolicy_bridge_fn)(const char *bridge, void *ctx);
int netpolicy_each_bridge(netpolicy_bridge_fn fn, void *ctx, struct jn_error *err);

/* Whether the kernel takes the ruleset (STATUS): a dry run of the templates. */
int netpolicy_probe(struct jn_error *err);

/* Validate what would be printed into nftables text; error 7 names it. */
int netpolicy_validate_job(const struct netpolicy_job *job, struct jn_error *err);
int netpolicy_validate_network(const struct netpolicy_network *net, struct jn_error *err);

#endif
