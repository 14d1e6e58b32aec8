/* One attachment as jobnet records it: what ADD made, so that DEL, CHECK,
 * GC and jobnetctl know it without asking the kernel.
 */
#ifndef JOBNET_ATTACHMENT_H
#define JOBNET_ATTACHMENT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/addr.h"
#include "base/error.h"
#include "core/facts.h"
#include "base/names.h"
#include "base/portmap.h"
#include "kernel/netns.h"
#include "relay/relay.h"

#define JN_MAX_ADDRS 2

struct attachment {
	char container_id[JN_ID_MAX + 1];
	char ifname[JN_IFNAME_MAX + 1];
	char network[JN_ID_MAX + 1];
	char netns[PATH_MAX];
	/* The namespace netns named at ADD (0, 0 in a record written before
	 * jobnet kept it): later, the path may name another one. */
	struct netns_id netns_id;
	char mode[8]; /* what was made: "bridge" or "host" */
	char decision[8]; /* what the policy decided: "bridge" or "host" */
	char rule[32]; /* the decision rule's identifier */
	char reason[200]; /* the rule in words */
	struct jobfacts facts;
	char bridge[JN_IFNAME_MAX + 1];
	char host_veth[JN_IFNAME_MAX + 1];
	uint8_t mac[6];
	bool complete; /* false while ADD is still making it */
	long long created; /* unix seconds */
	size_t addr_count;
	struct jn_prefix addrs[JN_MAX_ADDRS];
	struct jn_addr gateways[JN_MAX_ADDRS];
	size_t map_count;
	struct portmap maps[JN_MAX_PORTMAPS]; /* with the host ports ADD chose */
	struct relay_handle relay; /* the loopback relay, pid 0 when none */
	json_t *extra; /* fields a later version adds; owned, may be NULL */
};

void attachment_init(struct attachment *a);
void attachment_free(struct attachment *a);

/* JSON form of a record (for state files and jobnetctl --json). */
json_t *attachment_to_json(const struct attachment *a);
int attachment_from_json(const json_t *j, struct attachment *out, struct jn_error *err);

/* The address of the given family, or NULL. */
const struct jn_prefix *attachment_addr(const struct attachment *a, int family);

#endif
