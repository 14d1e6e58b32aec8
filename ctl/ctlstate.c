#include "ctl/ctlstate.h"

#include "core/walk.h"

struct walk {
	const char *state_dir;
	ctlstate_fn record_fn;
	ctlstate_network_fn network_fn;
	void *ctx;
	int problems;
};

static void print_problem(void *ctx, const struct jn_error *problem)
{
	struct walk *walk = ctx;

	if (problem->details[0] != '\0')
		ctl_error("%s (%s)", problem->msg, problem->details);
	else
		ctl_error("%s", problem->msg);
	walk->problems++;
}

static int visit_record(struct state_network *net, const struct attachment *a, void *ctx)
{
	struct walk *walk = ctx;

	(void)net;
	if (walk->record_fn(walk->state_dir, a, walk->ctx) < 0)
		walk->problems++;
	return 0;
}

/* Records (record_fn) or whole networks (network_fn). */
static int visit_network(struct state_network *net, const char *name, void *ctx)
{
	struct walk *walk = ctx;
	struct jn_error err = { 0 };

	if (walk->record_fn != NULL) {
		if (walk_records(net, visit_record, print_problem, walk, &err) < 0)
			print_problem(walk, &err);
	} else if (walk->network_fn(walk->state_dir, net, name, walk->ctx) < 0) {
		walk->problems++;
	}
	return 0;
}

static int walk_every_dir(const struct ctl_options *opts, bool exclusive, struct walk *walk)
{
	struct walk_ops ops = { .network = visit_network, .problem = print_problem, .ctx = walk };

	for (size_t i = 0; i < opts->state_dirs.count; i++) {
		struct jn_error err = { 0 };
		walk->state_dir = opts->state_dirs.items[i];
		if (walk_networks(walk->state_dir, exclusive ? WALK_EXCLUSIVE : WALK_SHARED, &ops, &err) < 0)
			print_problem(walk, &err);
	}
	return walk->problems ? -1 : 0;
}

int ctlstate_each(const struct ctl_options *opts, ctlstate_fn fn, void *ctx)
{
	struct walk walk = { .record_fn = fn, .ctx = ctx };

	return walk_every_dir(opts, false, &walk);
}

int ctlstate_each_network(const struct ctl_options *opts, bool exclusive, ctlstate_network_fn fn, void *ctx)
{
	struct walk walk = { .network_fn = fn, .ctx = ctx };

	return walk_every_dir(opts, exclusive, &walk);
}
