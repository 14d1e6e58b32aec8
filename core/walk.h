/* Walking the networks of a state directory under their locks, for the
 * operations that visit every network (jobnetctl's commands, gc, repair).
 * A network that cannot be opened or locked is never skipped silently:
 * the walk hands it to the caller's problem callback.
 */
#ifndef JOBNET_WALK_H
#define JOBNET_WALK_H

#include "base/error.h"
#include "core/attachment.h"
#include "core/state.h"

enum walk_lock {
	WALK_UNLOCKED, /* records are replaced by rename: reads see whole files */
	WALK_SHARED,
	WALK_EXCLUSIVE,
};

struct walk_ops {
	/* Called for each network that opened (and locked); < 0 stops the walk. */
	int (*network)(struct state_network *net, const char *name, void *ctx);
	/* Called for each network or record that did not open, lock or read. */
	void (*problem)(void *ctx, const struct jn_error *problem);
	void *ctx;
};

/* Visit every network directory of state_dir. Returns -1 with err set
 * when state_dir cannot be listed, or what a network callback returned. A
 * missing state_dir has no networks. */
int walk_networks(const char *state_dir, enum walk_lock lock, const struct walk_ops *ops, struct jn_error *err);

/* Call fn for every record of net that reads; a record that does not goes
 * to problem(). Returns -1 with err set when the records cannot be listed,
 * or what fn returned. */
typedef int (*walk_record_fn)(struct state_network *net, const struct attachment *a, void *ctx);
int walk_records(struct state_network *net, walk_record_fn fn,
		 void (*problem)(void *ctx, const struct jn_error *problem), void *ctx, struct jn_error *err);

#endif
