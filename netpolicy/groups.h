/* The index of groups and routes netpolicy derives talk pairs from, kept
 * under <policy_dir>:
 *
 *   members/<group>/<key>   a job of the group
 *   routers/<group>/<key>   a router whose routes name the group
 *
 * <key> is "<network>:<container ID>:<ifname>" (no part can hold ':'); each
 * entry is a symlink whose target "<IPv4|->|<IPv6|->|<its own group>" says
 * what the pairs need, in one readlink. An entry is written before the
 * job's pairs go in and removed after they go out, under the policy lock:
 * whatever moment a process dies at, every job that has pairs is listed.
 */
#ifndef JOBNET_GROUPS_H
#define JOBNET_GROUPS_H

#include <stdbool.h>

#include "netpolicy/netpolicy.h"

struct group_entry {
	char network[JN_ID_MAX + 1];
	char container_id[JN_ID_MAX + 1];
	char ifname[JN_IFNAME_MAX + 1];
	struct jn_addr addr4; /* family 0 when none */
	struct jn_addr addr6;
	char group[JN_ID_MAX + 1]; /* the entry's own group, "" when none */
};

/* Open <policy_dir>, creating it when create is true; a missing directory
 * without create is success with *fd -1 (an empty index). */
int groups_open(const char *policy_dir, bool create, int *fd, struct jn_error *err);

int groups_add(int fd, const struct netpolicy_job *job, struct jn_error *err);
int groups_remove(int fd, const struct netpolicy_job *job, struct jn_error *err);

/* Remove every entry (before a rebuild). */
int groups_clear(int fd, struct jn_error *err);

typedef int (*group_entry_fn)(const struct group_entry *entry, void *ctx);
/* Members of group, or routers whose routes name it. */
int groups_each_member(int fd, const char *group, group_entry_fn fn, void *ctx, struct jn_error *err);
int groups_each_router(int fd, const char *group, group_entry_fn fn, void *ctx, struct jn_error *err);

/* Whether entry is the job itself. */
bool groups_is_job(const struct group_entry *entry, const struct netpolicy_job *job);

#endif
