/* What jobnetctl attach ran and got, kept as a runtime keeps it, so that
 * detach can send DEL the same runtimeConfig and the result as prevResult:
 *
 *   <cacheDir>/<network>/<containerID>:<ifname>
 *
 * one JSON object per attachment: containerID, ifname, network, netns, the
 * network configuration ADD was given (config) and its result, replaced
 * whole (base/fileio). */
#ifndef JOBNET_CTLCACHE_H
#define JOBNET_CTLCACHE_H

#include <jansson.h>

#include "base/error.h"

#define CTL_DEFAULT_CACHE_DIR "/var/lib/cni/jobnet-ctl"

struct ctlcache_key {
	const char *dir;
	const char *network;
	const char *container_id;
	const char *ifname;
};

/* Write the entry (creating the directories, mode 0700). */
int ctlcache_write(const struct ctlcache_key *k, const json_t *entry, struct jn_error *err);

/* Read the entry: 0 with *out NULL when there is none; -1 with err when it
 * exists and does not read as a JSON object. */
int ctlcache_read(const struct ctlcache_key *k, json_t **out, struct jn_error *err);

/* Remove the entry; one that is not there is success. */
int ctlcache_remove(const struct ctlcache_key *k, struct jn_error *err);

#endif
