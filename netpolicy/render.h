/* Which elements a network, a job and a talk pair have, as nftables text or
 * into a netlink batch (nftwire.h). Every value is validated before it is
 * rendered (netpolicy_validate_*), so no fact can inject syntax: addresses
 * are printed from their binary form and names must match their grammar.
 */
#ifndef JOBNET_RENDER_H
#define JOBNET_RENDER_H

#include "netpolicy/element.h"
#include "netpolicy/netpolicy.h"

struct nftwire;

/* Where rendered elements go: text for libnftables (every op), or a
 * netlink batch (RENDER_ADD and RENDER_DELETE); the elements of a table
 * marked in skip go nowhere. */
struct render_sink {
	enum render_op op;
	struct strbuf *text;
	struct nftwire *wire;
	bool skip[2]; /* by enum element_table */
};

void render_network(struct strbuf *sb, enum render_op op, const struct netpolicy_network *net);
/* The job's own elements in both tables (not its pairs). */
void render_job(struct strbuf *sb, enum render_op op, const struct netpolicy_job *job);
void render_job_to(const struct render_sink *sink, const struct netpolicy_job *job);
/* Only the job's pairs with other nodes: its peers and routers. */
void render_job_remote_to(const struct render_sink *sink, const struct netpolicy_job *job);
void render_pair(struct strbuf *sb, enum render_op op, const struct jn_addr *src, const struct jn_addr *dst,
		 const char *comment);
void render_pair_to(const struct render_sink *sink, const struct jn_addr *src, const struct jn_addr *dst,
		    const char *comment);

/* A mapping's DNAT element towards one of the job's addresses, when it has
 * one there (not on loopback: the relay's; one per family on every
 * address, else the host address's family). */
#define RENDER_SET_MAX 32
bool render_map_targets(const struct portmap *m, const struct jn_addr *target);
void render_map_element(const struct portmap *m, const struct jn_addr *target, const char *comment, struct element *out,
			char set[RENDER_SET_MAX]);
/* A loopback mapping's element: the node's connections to its host port go
 * to its relay's port of the same address (loopback to loopback). False
 * for any other mapping, and for a loopback one whose record names no
 * relay port (its relay held the host port itself). */
bool render_relay_element(const struct portmap *m, const char *comment, struct element *out, char set[RENDER_SET_MAX]);

/* The element of the set "bridges" that names the network's bridge. */
void render_network_bridge(const struct netpolicy_network *net, struct element *out);

/* The link-local address the kernel gives an interface with this MAC (EUI-64). */
void render_link_local(const uint8_t mac[6], struct jn_addr *out);

#endif
