/* Turning networks and jobs into nftables element text. Every value is
 * validated before it is printed, so no fact can inject syntax: addresses are
 * printed from their binary form, names must match their grammar.
 */
#ifndef JOBNET_RENDER_H
#define JOBNET_RENDER_H

#include "netpolicy.h"

#define RENDER_TABLE "inet jobnet"

enum render_op {
	RENDER_ADD,
	RENDER_DELETE, /* idempotent: add, then delete, in one transaction */
	RENDER_GET, /* fails when the element is absent: CHECK */
};

/* Validate what render_job would print; error 7 names the bad value. */
int render_validate_job(const struct netpolicy_job *job, struct jn_error *err);
int render_validate_network(const struct netpolicy_network *net, struct jn_error *err);

void render_network(struct strbuf *sb, enum render_op op, const struct netpolicy_network *net);
void render_job(struct strbuf *sb, enum render_op op, const struct netpolicy_job *job);

#endif
