#include "ctl/ctlstate.h"

#include <errno.h>

#include "core/state.h"
#include "ctl/ctl.h"

struct walk {
	ctlstate_fn fn;
	void *ctx;
	int problems;
};

static int visit_record(struct state_network *net, const char *key, void *data)
{
	struct walk *walk = data;
	struct jn_error err = { 0 };
	struct attachment a;
	int rc;

	if (state_read_attachment_key(net, key, &a, &err) < 0) {
		ctl_error("%s", jn_error_errnum(&err) == ENOENT ? "a record vanished while listing" : err.msg);
		walk->problems++;
		return 0;
	}
	rc = walk->fn(&a, walk->ctx);
	attachment_free(&a);
	return rc;
}

static int visit_network(struct state_network *net, const char *name, void *data)
{
	struct jn_error err = { 0 };

	(void)name;
	if (state_each_attachment(net, visit_record, data, &err) < 0) {
		ctl_error("%s", err.msg);
		return -1;
	}
	return 0;
}

int ctlstate_each(const char *state_dir, ctlstate_fn fn, void *ctx)
{
	struct walk walk = { .fn = fn, .ctx = ctx };
	int rc = ctlstate_each_network(state_dir, false, visit_network, &walk);

	return rc < 0 || walk.problems ? -1 : 0;
}

struct network_walk {
	const char *state_dir;
	bool exclusive;
	ctlstate_network_fn fn;
	void *ctx;
	int problems;
};

static int visit_locked(const char *name, void *data)
{
	struct network_walk *walk = data;
	struct jn_error err = { 0 };
	struct state_network net;
	int rc;

	if (state_open(walk->state_dir, name, false, &net, &err) < 0 || net.dir_fd < 0) {
		if (jn_error_is_set(&err)) {
			ctl_error("%s", err.msg);
			walk->problems++;
		}
		return 0;
	}
	rc = walk->exclusive ? state_lock(&net, &err) : state_lock_shared(&net, &err);
	if (rc < 0) {
		ctl_error("%s", err.msg);
		walk->problems++;
	} else if (walk->fn(&net, name, walk->ctx) < 0) {
		walk->problems++;
	}
	state_close(&net);
	return 0;
}

int ctlstate_each_network(const char *state_dir, bool exclusive, ctlstate_network_fn fn, void *ctx)
{
	struct network_walk walk = { .state_dir = state_dir, .exclusive = exclusive, .fn = fn, .ctx = ctx };
	struct jn_error err = { 0 };

	if (state_each_network(state_dir, visit_locked, &walk, &err) < 0) {
		ctl_error("%s", err.msg);
		return -1;
	}
	return walk.problems ? -1 : 0;
}
