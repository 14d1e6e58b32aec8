#include "core/repair.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "core/attach.h"
#include "core/clusterroutes.h"
#include "core/gc.h"
#include "core/ipam.h"
#include "core/mappings.h"
#include "core/netrecord.h"
#include "core/policy.h"
#include "core/ports.h"
#include "core/walk.h"
#include "kernel/link.h"

struct repair_run {
	const char *state_dir;
	struct report *r;
	struct nl_sock *node;
};

struct network_visit {
	struct repair_run *run;
	const char *name;
	struct netrecord rec;
	bool have_rec;
};

static void recreate_veth(struct network_visit *v, const struct attachment *a, struct sandbox *sb, const char *where)
{
	struct jn_error err = { 0 };
	struct attach_undo undo = { 0 };

	if (attach_kernel(v->run->node, &v->rec, a, v->rec.mtu, sb, &undo, &err) < 0) {
		attach_kernel_undo(v->run->node, &v->rec, a, &undo);
		report_failure(v->run->r, REPORT_FAILED, &err, "%s: veth %s not recreated", where, a->host_veth);
	} else {
		report_line(v->run->r, REPORT_DONE, "%s: veth %s recreated", where, a->host_veth);
	}
}

/* The kernel side: the veth when it is gone, else what the bridge and the
 * job's interface should carry (each step keeps what exists). */
static void repair_links(struct network_visit *v, const struct attachment *a, const char *where)
{
	struct jn_error err = { 0 };
	struct attach_undo undo = { 0 };
	struct sandbox sb;
	int found, ifindex, rc = sandbox_open_job(a->netns, a, &sb, &err);

	/* A path that names another namespace now is no place for the job's
	 * interface: its own namespace is gone. */
	if (rc < 0 && netns_is_gone(&err)) {
		report_line(v->run->r, REPORT_LEFT, "%s: its namespace %s is gone%s", where, a->netns,
			    jn_error_errnum(&err) == ESTALE ? " (the path names another one now)" : "");
		return;
	}
	if (rc < 0) {
		report_failure(v->run->r, REPORT_FAILED, &err, "%s", where);
		return;
	}
	found = link_find(v->run->node, a->host_veth, &ifindex, &err);
	if (found == 0)
		recreate_veth(v, a, &sb, where);
	else if (found < 0 || attach_bridge(v->run->node, &v->rec, a, &undo, &err) < 0 ||
		 sandbox_configure(&sb, a, &err) < 0)
		report_failure(v->run->r, REPORT_FAILED, &err, "%s", where);
	sandbox_close(&sb);
}

static void repair_claims(struct network_visit *v, const struct attachment *a, const char *where)
{
	char owner[PORTS_OWNER_MAX];
	struct jn_error err = { 0 };
	size_t restored = 0;

	ports_owner(a->network, a->container_id, a->ifname, owner);
	if (ports_reclaim(v->run->state_dir, owner, a->maps, a->map_count, &restored, &err) < 0)
		report_failure(v->run->r, REPORT_FAILED, &err, "%s", where);
	else if (restored > 0)
		report_line(v->run->r, REPORT_DONE, "%s: %zu port claim(s) rewritten", where, restored);
}

static void repair_relay(struct network_visit *v, struct state_network *net, struct attachment *a, const char *where)
{
	struct jn_error err = { 0 };
	bool revived = false;
	int relay_commit_fd = -1;

	if (mappings_revive(v->run->state_dir, a, &revived, &relay_commit_fd, &err) < 0 ||
	    (revived && state_write_attachment(net, a, &err) < 0)) {
		relay_abandon(&relay_commit_fd);
		report_failure(v->run->r, REPORT_FAILED, &err, "%s: loopback relay", where);
		return;
	}
	relay_commit(&relay_commit_fd);
	if (revived)
		report_line(v->run->r, REPORT_DONE, "%s: loopback relay started again (pid %d)", where, a->relay.pid);
}

/* The record itself: restored from its copy when it does not read, its
 * copy rewritten when that does not agree. 1 when a reads, 0 when the
 * record is gone or stays unreadable. */
static int repair_file(struct network_visit *v, struct state_network *net, const char *key, struct attachment *a,
		       const char *where)
{
	struct jn_error err = { 0 };
	int rc = state_read_attachment_key(net, key, a, &err);

	if (rc < 0 && jn_error_errnum(&err) == ENOENT)
		return 0; /* removed since the directory was listed */
	if (rc < 0) {
		jn_error_clear(&err);
		if (state_restore_attachment(net, key, &err) < 0 || state_read_attachment_key(net, key, a, &err) < 0) {
			jn_error_wrap(&err, "%s: the record is damaged and", where);
			report_error(v->run->r, REPORT_UNREADABLE, &err);
			return 0;
		}
		report_line(v->run->r, REPORT_DONE, "%s: record restored from its copy", where);
	} else if (!state_copy_agrees(net, key, a)) {
		if (state_write_attachment(net, a, &err) < 0)
			report_failure(v->run->r, REPORT_FAILED, &err, "%s: rewriting its copy", where);
		else
			report_line(v->run->r, REPORT_DONE, "%s: the copy beside the record rewritten", where);
	}
	return 1;
}

static int repair_record(struct state_network *net, const char *key, void *data)
{
	struct network_visit *v = data;
	struct attachment a;
	char where[JN_ID_MAX + JN_ATTACHMENT_KEY_MAX + 2];

	snprintf(where, sizeof(where), "%s/%s", v->name, key);
	if (repair_file(v, net, key, &a, where) == 0) {
		attachment_free(&a);
		return 0;
	}
	if (a.complete && strcmp(a.mode, "bridge") == 0 && v->have_rec) {
		repair_links(v, &a, where);
		repair_claims(v, &a, where);
		repair_relay(v, net, &a, where);
	}
	attachment_free(&a);
	return 0;
}

static void note_released_address(const char *address, const char *owner, const struct jn_error *failure, void *data)
{
	struct network_visit *v = data;

	if (jn_error_is_set(failure))
		report_failure(v->run->r, REPORT_FAILED, failure,
			       "%s: address %s released (reserved by %s, which has no record)", v->name, address,
			       owner);
	else
		report_line(v->run->r, REPORT_DONE, "%s: address %s released (reserved by %s, which has no record)",
			    v->name, address, owner);
}

/* The network's cluster routes: a missing one added, jobnet's own one that
 * goes another way moved; another program's is left alone (a failure). */
static void repair_routes(struct network_visit *v)
{
	struct clusterroutes_undo done = { 0 };
	struct jn_error err = { 0 };
	char text[ROUTE_TEXT_MAX];

	if (clusterroutes_ensure(v->run->node, &v->rec, &done, &err) < 0)
		report_failure(v->run->r, REPORT_FAILED, &err, "%s", v->name);
	for (size_t i = 0; i < v->rec.cluster.route_count; i++)
		if (done.added[i] || done.moved[i])
			report_line(v->run->r, REPORT_DONE, "%s: cluster route %s %s", v->name,
				    route_format(&v->rec.cluster.routes[i], text),
				    done.added[i] ? "restored" : "moved");
}

static int repair_network(struct state_network *net, const char *name, void *ctx)
{
	struct network_visit v = { .run = ctx, .name = name };
	struct jn_error err = { 0 };

	if (netrecord_read(net, &v.rec, &v.have_rec, &err) < 0)
		report_failure(v.run->r, REPORT_FAILED, &err, "%s", name);
	jn_error_clear(&err);
	if (v.have_rec)
		repair_routes(&v);
	if (state_each_attachment(net, repair_record, &v, &err) < 0) {
		/* Without the list of records, no reservation is an orphan. */
		report_error(v.run->r, REPORT_UNREADABLE, &err);
		return 0;
	}
	if (ipam_release_orphans(net, NULL, note_released_address, &v, &err) < 0)
		report_failure(v.run->r, REPORT_FAILED, &err, "%s: reservations", name);
	return 0;
}

static void note_unreadable(void *ctx, const struct jn_error *problem)
{
	report_error(((struct repair_run *)ctx)->r, REPORT_UNREADABLE, problem);
}

static void rebuild_tables(const struct namelist *state_dirs, struct report *r)
{
	struct jn_error err = { 0 };
	bool current;

	if (!gc_may_rebuild_tables(state_dirs, r))
		return;
	if (netpolicy_tables_are_current(&current, &err) < 0)
		current = false;
	jn_error_clear(&err);
	if (policy_repair(state_dirs->items[0], &err) < 0)
		report_failure(r, REPORT_FAILED, &err, "nftables");
	else if (!current)
		report_line(r, REPORT_DONE, "jobnet's nftables tables, rebuilt from the state");
	else
		report_line(r, REPORT_NOTE, "rebuilt jobnet's nftables tables from the state (they were there)");
}

static void note_removed_route(void *ctx, const struct route_spec *route, const struct jn_error *failure)
{
	char text[ROUTE_TEXT_MAX];

	if (jn_error_is_set(failure))
		report_failure(ctx, REPORT_FAILED, failure, "cluster route %s (it belongs to no network)",
			       route_format(route, text));
	else
		report_line(ctx, REPORT_DONE, "cluster route %s deleted (it belongs to no network)",
			    route_format(route, text));
}

int repair_node(const struct namelist *state_dirs, struct report *r, struct jn_error *err)
{
	cleanup_nl_sock struct nl_sock *node = NULL;
	struct jn_error e = { 0 };
	bool judged;

	if (link_socket_open(&node, err) < 0)
		return -1;
	for (size_t i = 0; i < state_dirs->count; i++) {
		struct repair_run run = { .state_dir = state_dirs->items[i], .r = r, .node = node };
		struct walk_ops ops = { .network = repair_network, .problem = note_unreadable, .ctx = &run };
		if (walk_networks(run.state_dir, WALK_EXCLUSIVE, &ops, &e) < 0)
			report_error(r, REPORT_UNREADABLE, &e);
		jn_error_clear(&e);
	}
	if (clusterroutes_orphans(state_dirs->items, state_dirs->count, node, true, note_removed_route, r, &e) < 0)
		report_failure(r, REPORT_FAILED, &e, "jobnet's routes");
	jn_error_clear(&e);
	if (gc_sweep_leftovers(state_dirs, false, r, &judged, &e) < 0)
		report_failure(r, REPORT_FAILED, &e, "host port claims");
	rebuild_tables(state_dirs, r);
	return report_result(r, err);
}
