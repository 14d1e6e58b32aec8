#include "core/clusterroutes.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "core/state.h"
#include "kernel/route.h"

static const char *protocol_name(int protocol, char *buf, size_t size)
{
	static const char *const known[] = { [2] = "kernel", [3] = "boot", [4] = "static", [16] = "dhcp" };

	if (protocol >= 0 && (size_t)protocol < sizeof(known) / sizeof(known[0]) && known[protocol] != NULL)
		return known[protocol];
	snprintf(buf, size, "%d", protocol);
	return buf;
}

static int foreign(const struct route_spec *want, const struct route_found *f, size_t index, struct jn_error *err)
{
	char dst[JN_ADDR_STRLEN], via[JN_ADDR_STRLEN], proto[16];

	return jn_error_set(err, JN_ERR_INVALID_CONFIG,
			    "invalid \"cluster.routes[%zu]\": %s is already routed %s%s (protocol %s) by another "
			    "program; jobnet leaves that route alone: remove it or the entry",
			    index, prefix_format(&want->dst, dst), f->via.family ? "via " : "another way",
			    f->via.family ? addr_format(&f->via, via) : "",
			    protocol_name(f->protocol, proto, sizeof(proto)));
}

/* jobnet's route to the destination goes via another address: move it. */
static int move(struct nl_sock *node, const struct route_spec *want, const struct jn_addr *from, struct jn_error *err)
{
	struct route_spec old = { .dst = want->dst, .via = *from };
	struct jn_error lost = { 0 };

	if (route_delete_ours(node, &old, err) < 0)
		return -1;
	if (route_add(node, want, err) == 0)
		return 0;
	if (route_add(node, &old, &lost) < 0) /* put it back */
		log_warn("%s; the route is missing now (verify reports it, repair restores it)", lost.msg);
	return -1;
}

int clusterroutes_ensure(struct nl_sock *node, const struct netrecord *rec, struct clusterroutes_undo *undo,
			 struct jn_error *err)
{
	cleanup_route_table struct route_table *table = NULL;

	if (rec->cluster.route_count == 0)
		return 0;
	if (route_table_read(node, &table, err) < 0)
		return -1;
	for (size_t i = 0; i < rec->cluster.route_count; i++) {
		const struct route_spec *want = &rec->cluster.routes[i];
		struct route_found f;
		route_table_find(table, want, &f);
		if (f.state == ROUTE_AS_WANTED)
			continue;
		if (f.state == ROUTE_FOREIGN)
			return foreign(want, &f, i, err);
		if (f.state == ROUTE_MISSING && route_add(node, want, err) < 0)
			return jn_error_wrap(err, "cluster.routes[%zu]", i);
		if (f.state == ROUTE_OURS_ELSEWHERE && move(node, want, &f.via, err) < 0)
			return jn_error_wrap(err, "cluster.routes[%zu]", i);
		if (undo != NULL) {
			undo->added[i] = f.state == ROUTE_MISSING;
			undo->moved[i] = f.state == ROUTE_OURS_ELSEWHERE;
			undo->moved_from[i] = f.via;
		}
	}
	return 0;
}

void clusterroutes_undo(struct nl_sock *node, const struct netrecord *rec, const struct clusterroutes_undo *undo)
{
	struct jn_error ignored = { 0 };

	for (size_t i = 0; i < rec->cluster.route_count; i++) {
		const struct route_spec *r = &rec->cluster.routes[i];
		if (undo->added[i])
			route_delete_ours(node, r, &ignored);
		if (undo->moved[i] && route_delete_ours(node, r, &ignored) == 0)
			route_add(node, &(struct route_spec){ .dst = r->dst, .via = undo->moved_from[i] }, &ignored);
	}
	if (jn_error_is_set(&ignored))
		log_warn("undoing the cluster routes of %s: %s", rec->name, ignored.msg);
}

static bool lists(const struct netrecord *rec, const struct route_spec *r)
{
	for (size_t i = 0; i < rec->cluster.route_count; i++) {
		const struct route_spec *mine = &rec->cluster.routes[i];
		if (mine->dst.len == r->dst.len && addr_equal(&mine->dst.addr, &r->dst.addr) &&
		    addr_equal(&mine->via, &r->via))
			return true;
	}
	return false;
}

struct listing {
	const char *state_dir;
	const char *skip; /* a network whose record does not count, or NULL */
	const struct route_spec *route;
	bool listed;
};

static int look_in_network(const char *name, void *data)
{
	struct listing *l = data;
	struct jn_error ignored = { 0 };
	struct state_network net;
	struct netrecord rec;
	bool found = false;

	if (l->listed || (l->skip != NULL && strcmp(name, l->skip) == 0))
		return 0;
	/* Records are replaced by rename: a whole one is read without the
	 * network's lock. One that does not read keeps its routes. */
	if (state_open(l->state_dir, name, false, &net, &ignored) < 0)
		return 0;
	if (net.dir_fd >= 0 && netrecord_read(&net, &rec, &found, &ignored) < 0)
		l->listed = true;
	else if (found && lists(&rec, l->route))
		l->listed = true;
	state_close(&net);
	return 0;
}

static int listed_by_a_record(const char *state_dir, const char *skip, const struct route_spec *r, bool *listed,
			      struct jn_error *err)
{
	struct listing l = { .state_dir = state_dir, .skip = skip, .route = r };

	*listed = false;
	if (state_each_network(state_dir, look_in_network, &l, err) < 0)
		return -1;
	*listed = l.listed;
	return 0;
}

int clusterroutes_drop_stale(const char *state_dir, struct nl_sock *node, const struct netrecord *old,
			     const struct netrecord *rec, struct jn_error *err)
{
	for (size_t i = 0; i < old->cluster.route_count; i++) {
		const struct route_spec *r = &old->cluster.routes[i];
		bool listed;
		if (lists(rec, r))
			continue;
		if (listed_by_a_record(state_dir, rec->name, r, &listed, err) < 0)
			return -1;
		if (!listed && route_delete_ours(node, r, err) < 0)
			return -1;
	}
	return 0;
}

int clusterroutes_verify(struct nl_sock *node, const struct netrecord *rec, clusterroutes_report_fn report, void *ctx,
			 struct jn_error *err)
{
	cleanup_route_table struct route_table *table = NULL;
	char text[ROUTE_TEXT_MAX + 160], want[ROUTE_TEXT_MAX], via[JN_ADDR_STRLEN], proto[16];

	if (rec->cluster.route_count == 0)
		return 0;
	if (route_table_read(node, &table, err) < 0)
		return -1;
	for (size_t i = 0; i < rec->cluster.route_count; i++) {
		struct route_found f;
		route_table_find(table, &rec->cluster.routes[i], &f);
		route_format(&rec->cluster.routes[i], want);
		if (f.state == ROUTE_AS_WANTED)
			continue;
		if (f.state == ROUTE_MISSING)
			snprintf(text, sizeof(text), "cluster route %s is missing", want);
		else
			snprintf(text, sizeof(text), "cluster route %s goes %s%s instead (protocol %s%s)", want,
				 f.via.family ? "via " : "another way", f.via.family ? addr_format(&f.via, via) : "",
				 protocol_name(f.protocol, proto, sizeof(proto)),
				 f.state == ROUTE_FOREIGN ? ", not jobnet's: left alone" : "");
		report(ctx, text);
	}
	return 0;
}

struct orphan_walk {
	char *const *state_dirs;
	size_t count;
	struct nl_sock *node;
	bool remove;
	clusterroutes_orphan_fn fn;
	void *ctx;
	struct jn_error *err;
	int rc;
};

static void check_ours(const struct route_spec *r, void *data)
{
	struct orphan_walk *w = data;
	struct jn_error failure = { 0 };
	bool listed = false;

	for (size_t i = 0; w->rc == 0 && !listed && i < w->count; i++)
		if (listed_by_a_record(w->state_dirs[i], NULL, r, &listed, w->err) < 0)
			w->rc = -1;
	if (w->rc < 0 || listed)
		return;
	if (w->remove)
		route_delete_ours(w->node, r, &failure);
	w->fn(w->ctx, r, &failure);
}

int clusterroutes_orphans(char *const *state_dirs, size_t count, struct nl_sock *node, bool remove,
			  clusterroutes_orphan_fn fn, void *ctx, struct jn_error *err)
{
	cleanup_route_table struct route_table *table = NULL;
	struct orphan_walk w = { .state_dirs = state_dirs,
				 .count = count,
				 .node = node,
				 .remove = remove,
				 .fn = fn,
				 .ctx = ctx,
				 .err = err };

	if (route_table_read(node, &table, err) < 0)
		return -1;
	route_table_each_ours(table, check_ours, &w);
	return w.rc;
}
