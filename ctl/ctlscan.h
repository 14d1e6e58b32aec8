/* What jobnetctl verify, repair and gc share: the set of attachments the
 * state knows, to tell leftovers (a reservation, a link, a port claim that
 * no record owns) from live pieces. */
#ifndef JOBNET_CTLSCAN_H
#define JOBNET_CTLSCAN_H

#include <stdbool.h>
#include <stddef.h>

struct namelist {
	char **items;
	size_t count, cap;
};

void namelist_add(struct namelist *l, const char *name);
bool namelist_has(const struct namelist *l, const char *name);
void namelist_free(struct namelist *l);

struct known {
	struct namelist owners; /* "<network>:<cid>:<ifname>" */
	struct namelist veths;
	size_t unreadable; /* records that did not read: leftovers are not judged */
};

/* Read every record of every network (without locks: records are replaced
 * by rename) into k. */
int known_scan(const char *state_dir, struct known *k);
void known_free(struct known *k);

#endif
