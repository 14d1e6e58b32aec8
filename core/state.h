/* Persistent state of one jobnet network, under <stateDir>/<network>/ (the
 * layout: core/statelayout.h): a lock, one JSON record per attachment with a
 * copy beside it, and the address reservations.
 *
 * Records are written to a temporary file and renamed, so a reader sees the
 * old record or the new one, never half of one.
 */
#ifndef JOBNET_STATE_H
#define JOBNET_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/addr.h"
#include "core/attachment.h"
#include "base/error.h"
#include "base/names.h"

struct state_network {
	int dir_fd; /* <stateDir>/<network> */
	int attachments_fd;
	int ipam_fd;
	int lock_fd;
	unsigned lock_timeout; /* seconds; state_open sets the default */
	char path[PATH_MAX];
};

/* Open (creating when create is true) the state directory of a network.
 * Without create, a missing directory is success with dir_fd == -1. */
int state_open(const char *state_dir, const char *network, bool create, struct state_network *out,
	       struct jn_error *err);
void state_close(struct state_network *net);

/* Exclusive lock of the network, waiting at most net->lock_timeout seconds
 * (then error 11, try again later). Released by state_close(). */
int state_lock(struct state_network *net, struct jn_error *err);
/* A shared lock, for readers such as jobnetctl list. */
int state_lock_shared(struct state_network *net, struct jn_error *err);

/* A node-wide lock file at <stateDir>/<name>; returns the fd in *out. */
int state_lock_node(const char *state_dir, const char *name, unsigned timeout, int *out, struct jn_error *err);

#define JN_STATE_LOCK_TIMEOUT 30

/* Write the record atomically (temporary file + rename). */
int state_write_attachment(struct state_network *net, const struct attachment *a, struct jn_error *err);
/* Read the record of (container, ifname). A missing record is success with
 * *found false. A record that does not parse is error 109 naming the file. */
int state_read_attachment(struct state_network *net, const char *container_id, const char *ifname,
			  struct attachment *out, bool *found, struct jn_error *err);
/* Read a record by its file name (the attachment key). A missing record
 * fails with errno ENOENT (jn_error_errnum); one that does not parse is
 * error 109 naming the file. */
int state_read_attachment_key(struct state_network *net, const char *key, struct attachment *out, struct jn_error *err);
/* Remove the temporary files writers killed before their rename left in
 * the network's directories. The caller holds the network's lock, under
 * which every writer of them runs. */
int state_sweep_temporaries(struct state_network *net, struct jn_error *err);

/* Whether the network has a record (readable or not) under key. */
bool state_has_record(struct state_network *net, const char *key);

/* Read the copy kept beside a record (".<key>.copy"); returns as
 * state_read_attachment_key does. */
int state_read_attachment_copy(struct state_network *net, const char *key, struct attachment *out,
			       struct jn_error *err);

/* Whether the copy beside a record reads and says what a (the record)
 * says; jobnetctl verify reports a copy that does not, repair rewrites it. */
bool state_copy_agrees(struct state_network *net, const char *key, const struct attachment *a);

/* Put back a damaged record from the copy kept beside it (".<key>.copy"). */
int state_restore_attachment(struct state_network *net, const char *key, struct jn_error *err);
int state_remove_attachment(struct state_network *net, const char *container_id, const char *ifname,
			    struct jn_error *err);

/* Call fn for each record key ("<cid>:<ifname>") in the network. */
typedef int (*state_key_fn)(struct state_network *net, const char *key, void *ctx);
int state_each_attachment(struct state_network *net, state_key_fn fn, void *ctx, struct jn_error *err);

/* Whether name may name a network: a valid ID that is not one of the
 * node-wide entries of <stateDir> (statelayout.h). */
bool state_is_network_name(const char *name);

/* Call fn for each network directory name under state_dir. */
typedef int (*state_network_fn)(const char *network, void *ctx);
int state_each_network(const char *state_dir, state_network_fn fn, void *ctx, struct jn_error *err);

#endif
