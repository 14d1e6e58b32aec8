#include "core/walk.h"

#include <errno.h>
#include <string.h>

struct network_walk {
	const char *state_dir;
	enum walk_lock lock;
	const struct walk_ops *ops;
};

static int lock_network(struct state_network *net, enum walk_lock lock, struct jn_error *err)
{
	if (lock == WALK_EXCLUSIVE)
		return state_lock(net, err);
	if (lock == WALK_SHARED)
		return state_lock_shared(net, err);
	return 0;
}

static int visit_network(const char *name, void *data)
{
	struct network_walk *walk = data;
	struct jn_error err = { 0 };
	struct state_network net;
	int rc;

	if (state_open(walk->state_dir, name, false, &net, &err) < 0) {
		walk->ops->problem(walk->ops->ctx, &err);
		return 0;
	}
	if (net.dir_fd < 0)
		return 0; /* removed since it was listed */
	if (lock_network(&net, walk->lock, &err) < 0) {
		walk->ops->problem(walk->ops->ctx, &err);
		rc = 0;
	} else {
		rc = walk->ops->network(&net, name, walk->ops->ctx);
	}
	state_close(&net);
	return rc;
}

int walk_networks(const char *state_dir, enum walk_lock lock, const struct walk_ops *ops, struct jn_error *err)
{
	struct network_walk walk = { .state_dir = state_dir, .lock = lock, .ops = ops };

	return state_each_network(state_dir, visit_network, &walk, err);
}

struct record_walk {
	walk_record_fn fn;
	void (*problem)(void *ctx, const struct jn_error *problem);
	void *ctx;
};

static int visit_record(struct state_network *net, const char *key, void *data)
{
	struct record_walk *walk = data;
	struct jn_error err = { 0 };
	struct attachment a;
	int rc = state_read_attachment_key(net, key, &a, &err);

	if (rc < 0 && jn_error_absorb(&err, ENOENT))
		return 0; /* removed since it was listed */
	if (rc < 0) {
		walk->problem(walk->ctx, &err);
		return 0;
	}
	rc = walk->fn(net, &a, walk->ctx);
	attachment_free(&a);
	return rc;
}

int walk_records(struct state_network *net, walk_record_fn fn,
		 void (*problem)(void *ctx, const struct jn_error *problem), void *ctx, struct jn_error *err)
{
	struct record_walk walk = { .fn = fn, .problem = problem, .ctx = ctx };

	return state_each_attachment(net, visit_record, &walk, err);
}
