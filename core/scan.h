/* What the state knows of the whole node: every attachment owner and host
 * veth of every network of one or more state directories. gc, repair and
 * verify tell leftovers (a link, a port claim no record owns) from live
 * pieces with it, and judge nothing when part of the state did not read.
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
	size_t unreadable; /* networks or records that did not read */
	struct jn_error first_unreadable; /* what the first of them said */
};

/* Add every record of every network of state_dir to k (without the
 * networks' locks: records are replaced by rename). What does not read is
 * counted in k->unreadable. Returns -1 with err set when state_dir cannot
 * be listed or memory runs out. */
int known_scan(const char *state_dir, struct known *k, struct jn_error *err);
void known_free(struct known *k);

#endif
