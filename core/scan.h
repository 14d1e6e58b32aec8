/* What the state knows of the whole node: every attachment owner, host
 * veth and bridge of every network of one or more state directories. gc,
 * repair and verify tell leftovers (a link, a port claim no record owns)
 * from live pieces with it, and judge nothing when part of the state did
 * not read. The bridges bound what gc may take for a leftover: a state
 * directory that is not the node's (an empty one, another network's) names
 * none of the live jobs' bridges.
 */
#ifndef JOBNET_SCAN_H
#define JOBNET_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct namelist {
	char **items;
	size_t count, cap;
};

/* Add a copy of name; -1 when out of memory. */
int namelist_add(struct namelist *l, const char *name);
/* Add name unless the list has it already. */
int namelist_add_unique(struct namelist *l, const char *name);
bool namelist_has(const struct namelist *l, const char *name);
void namelist_free(struct namelist *l);

struct known {
	struct namelist owners; /* "<network>:<cid>:<ifname>" */
	struct namelist veths;
	/* Each network's bridge, as its network.json or any of its records
	 * names it; a network.json that does not read adds none. */
	struct namelist bridges;
	size_t unreadable; /* networks or records that did not read */
	struct jn_error first_unreadable; /* what the first of them said */
};

/* Add every record of every network of state_dir to k (without the
 * networks' locks: records are replaced by rename). What does not read is
 * counted in k->unreadable. Returns -1 with err set when state_dir cannot
 * be listed or memory runs out. */
int known_scan(const char *state_dir, struct known *k, struct jn_error *err);
void known_free(struct known *k);

/* Add to bridges the bridge of every network of state_dir whose
 * network.json reads (a rebuild of the tables restores those networks and
 * no other). Returns -1 with err set when state_dir cannot be listed or
 * memory runs out. */
int known_network_bridges(const char *state_dir, struct namelist *bridges, struct jn_error *err);

#endif
