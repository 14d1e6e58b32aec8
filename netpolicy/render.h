/* Turning networks, jobs and talk pairs into nftables element text. Every
 * value is validated before it is printed (netpolicy_validate_*), so no fact
 * can inject syntax: addresses are printed from their binary form and names
 * must match their grammar.
 */
#ifndef JOBNET_RENDER_H
#define JOBNET_RENDER_H

#include "netpolicy.h"

#define RENDER_INET "inet jobnet"
#define RENDER_BRIDGE "bridge jobnet"

enum render_op {
	RENDER_ADD,
	RENDER_DELETE, /* idempotent: add, then delete, in one transaction */
	RENDER_GET, /* fails when the element is absent: CHECK */
};

void render_network(struct strbuf *sb, enum render_op op, const struct netpolicy_network *net);
/* The job's own elements in both tables (not its pairs). */
void render_job(struct strbuf *sb, enum render_op op, const struct netpolicy_job *job);
void render_pair(struct strbuf *sb, enum render_op op, const struct jn_addr *src, const struct jn_addr *dst,
		 const char *comment);

/* The link-local address the kernel gives an interface with this MAC (EUI-64). */
void render_link_local(const uint8_t mac[6], struct jn_addr *out);

#endif
