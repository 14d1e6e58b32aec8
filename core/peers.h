/* Changing the peers and routers of a group's members on this node after
 * their ADD (jobnetctl peers): a launcher starts the master first and the
 * workers after, so the master's peers are known only later.
 *
 * Every member's record and every pair change of a state directory in one
 * nftables transaction, under the locks ADD takes (each network's, then the
 * policy lock), every directory checked before any changes; the
 * conntrack entries between a member and a peer or router it lost are
 * deleted, so an evicted peer's open connections end.
 */
#ifndef JOBNET_PEERS_H
#define JOBNET_PEERS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/addr.h"
#include "base/error.h"
#include "core/attachment.h"
#include "core/facts.h"
#include "core/scan.h"

enum peers_op {
	PEERS_KEEP, /* peers stay as they are */
	PEERS_SET,
	PEERS_ADD,
	PEERS_REMOVE,
};

struct peers_change {
	const char *group;
	const char *network; /* NULL: every network of the node */
	enum peers_op op;
	size_t count;
	struct jn_prefix list[JN_FACTS_MAX_PEERS];
	bool set_routers;
	size_t router_count;
	struct jn_prefix routers[JN_FACTS_MAX_PEERS];
};

/* Whether the change changes anything (otherwise peers_apply only lists). */
bool peers_change_is_empty(const struct peers_change *c);

/* Apply the change to every finished attachment whose group is c->group
 * in every state directory of state_dirs, then call fn with each as it is
 * now (in records). Everything is checked before anything changes, with
 * every network of every directory locked until the end: the group has a
 * member in some directory (one without any, or without the network asked
 * for, is passed over), every record of every network reads, and each
 * member's resulting list passes the facts' and its network's checks;
 * otherwise it is an error and nothing changes. The directories then
 * change one after the other (each one's members in one nftables
 * transaction); when one fails, those changed before it are put back
 * (records and elements), and any that cannot be is named in err's
 * details and a warning. The flows of lost peers are deleted only once
 * every directory changed. */
typedef void (*peers_member_fn)(const struct attachment *a, void *ctx);
int peers_apply(const struct namelist *state_dirs, const struct peers_change *c, peers_member_fn fn, void *ctx,
		struct jn_error *err);

#endif
