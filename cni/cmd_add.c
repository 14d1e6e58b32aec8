/* ADD: attach a job to its network's bridge.
 *
 * Every step that changes something records it in struct add_undo; when a
 * later step fails, add_rollback() undoes the recorded steps in reverse
 * order before the error is reported, so a failed ADD leaves nothing.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/attach.h"
#include "base/cleanup.h"
#include "core/cluster.h"
#include "core/clusterroutes.h"
#include "core/ipam.h"
#include "kernel/link.h"
#include "base/log.h"
#include "core/mappings.h"
#include "core/mode.h"
#include "kernel/netns.h"
#include "core/netrecord.h"
#include "cni/plugin.h"
#include "core/policy.h"
#include "cni/result.h"
#include "core/sandbox.h"
#include "core/state.h"
#include "core/teardown.h"

struct add_undo {
	bool record_written;
	size_t claimed; /* addresses claimed, in a->addrs order */
	struct attach_undo kernel;
	/* The network record of another configuration, replaced before the
	 * network's elements were: put back, so that the next ADD still sees
	 * the change and replaces them. */
	bool netrecord_replaced;
	struct clusterroutes_undo routes;
	bool mappings_installed;
	bool policy_added;
};

struct add_run {
	struct plugin *p;
	struct decision decision;
	struct state_network *net;
	struct sandbox sb;
	struct nl_sock *node;
	struct attachment a;
	struct add_undo undo;
	struct netrecord rec;
	struct netrecord prior; /* the network record before this ADD */
	struct netns_id netns_id; /* of CNI_NETNS when ADD opened it */
	int relay_commit_fd; /* -1, or the relay waiting for its record */
};

static void add_rollback(struct add_run *run)
{
	struct jn_error ignored = { 0 };
	const char *state_dir = run->p->conf.state_dir;
	char owner[JN_ATTACHMENT_KEY_MAX];

	names_attachment_key(run->a.container_id, run->a.ifname, owner);
	relay_abandon(&run->relay_commit_fd);
	if (run->undo.policy_added) {
		policy_detach(state_dir, &run->a, &ignored);
		policy_forget_flows(&run->a, &ignored);
	}
	if (run->undo.mappings_installed)
		mappings_remove(state_dir, &run->a, &ignored);
	clusterroutes_undo(run->node, &run->rec, &run->undo.routes);
	if (run->undo.netrecord_replaced)
		netrecord_write(run->net, &run->prior, &ignored);
	attach_kernel_undo(run->node, &run->rec, &run->a, &run->undo.kernel);
	for (size_t i = 0; i < run->undo.claimed; i++)
		ipam_release(run->net, &run->a.addrs[i].addr, owner, &ignored);
	if (run->undo.record_written)
		state_remove_attachment(run->net, run->a.container_id, run->a.ifname, &ignored);
	if (jn_error_is_set(&ignored))
		log_warn("rolling back a failed ADD: %s", ignored.msg);
}

/* A record for this attachment already exists: a finished one is an error
 * (DEL first), one an ADD left half-way is cleaned up as DEL would. */
static int handle_existing(struct add_run *run, struct jn_error *err)
{
	struct attachment old;
	bool found;
	int rc;

	if (state_read_attachment(run->net, run->p->inv.container_id, run->p->inv.ifname, &old, &found, err) < 0)
		return -1;
	if (!found)
		return 0;
	if (old.complete) {
		attachment_free(&old);
		return jn_error_set(err, JN_ERR_IFNAME_EXISTS,
				    "container %s is already attached as \"%s\" to network %s; DEL it first",
				    run->p->inv.container_id, run->p->inv.ifname, run->p->conf.name);
	}
	log_warn("cleaning up what an interrupted ADD of %s/%s left", old.container_id, old.ifname);
	rc = teardown_attachment(run->p->conf.state_dir, run->net, &old, TEARDOWN_RECORD, err);
	attachment_free(&old);
	return rc;
}

static void prepare_record(struct add_run *run)
{
	struct plugin *p = run->p;
	struct attachment *a = &run->a;

	attachment_init(a);
	strcpy(a->container_id, p->inv.container_id);
	strcpy(a->ifname, p->inv.ifname);
	strcpy(a->network, p->conf.name);
	strcpy(a->netns, p->inv.netns);
	a->netns_id = run->netns_id;
	strcpy(a->mode, "bridge");
	strcpy(a->decision, mode_name(run->decision.mode));
	strcpy(a->rule, run->decision.rule);
	snprintf(a->reason, sizeof(a->reason), "%s", run->decision.reason);
	a->facts = p->facts;
	a->map_count = p->conf.map_count;
	memcpy(a->maps, p->conf.maps, sizeof(a->maps));
	strcpy(a->bridge, p->conf.bridge);
	names_host_veth(a->network, a->container_id, a->ifname, a->host_veth);
	names_container_mac(a->network, a->container_id, a->ifname, a->mac);
	a->created = (long long)time(NULL);
	netrecord_from_conf(&p->conf, &run->rec);
}

static int reserve_addresses(struct add_run *run, struct jn_error *err)
{
	struct attachment *a = &run->a;
	char owner[JN_ATTACHMENT_KEY_MAX];

	for (size_t i = 0; i < run->rec.subnet_count; i++) {
		struct netconf_family *fam = netconf_family(&run->p->conf, run->rec.subnets[i].addr.family);
		struct ipam_pool pool = { .subnet = fam->subnet, .gateway = fam->gateway };
		if (ipam_pick(run->net, &pool, &fam->requested, &a->addrs[i].addr, err) < 0)
			return -1;
		a->addrs[i].len = fam->subnet.len;
		a->gateways[i] = fam->gateway;
		a->addr_count = i + 1;
	}
	/* The record lists the addresses before they are claimed: whatever
	 * happens next, DEL finds every reservation through it. */
	if (state_write_attachment(run->net, a, err) < 0)
		return -1;
	run->undo.record_written = true;
	names_attachment_key(a->container_id, a->ifname, owner);
	for (size_t i = 0; i < a->addr_count; i++) {
		if (ipam_claim(run->net, &a->addrs[i].addr, owner, err) < 0)
			return -1;
		run->undo.claimed = i + 1;
	}
	return 0;
}

/* Routes an earlier configuration of the network had and this one has
 * not. Failing to delete one fails no ADD: verify reports it, repair
 * deletes it. */
static void drop_stale_routes(struct add_run *run, const struct netrecord *old)
{
	struct jn_error failed = { 0 };

	if (old != NULL && clusterroutes_drop_stale(run->p->conf.state_dir, run->node, old, &run->rec, &failed) < 0)
		log_warn("leaving a route the configuration dropped: %s", failed.msg);
}

static int install_policy(struct add_run *run, struct jn_error *err)
{
	const char *state_dir = run->p->conf.state_dir;
	const struct netrecord *old;
	cleanup_close int lock = -1;
	bool found;

	/* A changed configuration replaces the network's elements. */
	if (netrecord_read(run->net, &run->prior, &found, err) < 0) {
		log_warn("%s; replacing it", err->msg);
		jn_error_clear(err);
		found = false;
	}
	if (found && netrecord_equal(&run->prior, &run->rec))
		found = false;
	old = found ? &run->prior : NULL;
	/* The record first: a route no record lists is jobnetctl repair's to
	 * delete. */
	if (netrecord_write(run->net, &run->rec, err) < 0)
		return -1;
	run->undo.netrecord_replaced = found;
	if (clusterroutes_ensure(run->node, &run->rec, &run->undo.routes, err) < 0 ||
	    policy_lock(state_dir, &lock, err) < 0)
		return -1;
	/* Host ports are claimed under the policy lock, so two ADDs never
	 * choose one; the relay has bound them before anything goes in. */
	if (mappings_install(state_dir, &run->a, &run->relay_commit_fd, err) < 0)
		return -1;
	run->undo.mappings_installed = true;
	/* Complete before the elements go in, both under the policy lock: a
	 * table rebuilt by anyone now restores this job's elements too. The
	 * relay serves once the record names it. */
	run->a.complete = true;
	if (state_write_attachment(run->net, &run->a, err) < 0)
		return -1;
	relay_commit(&run->relay_commit_fd);
	run->undo.policy_added = true;
	if (policy_attach_locked(state_dir, &run->rec, old, &run->a, err) < 0)
		return -1;
	/* The network's elements are the new record's now. */
	run->undo.netrecord_replaced = false;
	drop_stale_routes(run, old);
	return 0;
}

static int build_result(struct add_run *run, json_t **result, struct jn_error *err)
{
	struct result_input in = {
		.cni_version = run->p->conf.cni_version, .a = &run->a, .mtu = run->p->conf.mtu, .dns = run->p->conf.dns
	};
	struct link_facts bridge, veth;

	if (link_inspect(run->node, run->a.bridge, &bridge, err) != 1 ||
	    link_inspect(run->node, run->a.host_veth, &veth, err) != 1)
		return jn_error_set(err, JN_ERR_KERNEL, "bridge or veth vanished during ADD");
	in.bridge.name = run->a.bridge;
	memcpy(in.bridge.mac, bridge.mac, 6);
	in.host_veth.name = run->a.host_veth;
	memcpy(in.host_veth.mac, veth.mac, 6);
	*result = result_bridge(&in);
	return *result ? 0 : jn_error_set(err, JN_ERR_IO, "out of memory building the result");
}

/* The job shares the node's namespace and the policy allows it: nothing
 * is made in the kernel, only the record, which DEL and GC remove. */
static int attach_host(struct add_run *run, json_t **result, struct jn_error *err)
{
	prepare_record(run);
	strcpy(run->a.mode, "host");
	if (run->a.map_count > 0)
		log_warn("ignoring %zu port mapping(s): a host-mode job binds the node's ports itself",
			 run->a.map_count);
	run->a.map_count = 0;
	run->a.bridge[0] = '\0';
	run->a.host_veth[0] = '\0';
	memset(run->a.mac, 0, sizeof(run->a.mac));
	run->a.complete = true;
	if (state_write_attachment(run->net, &run->a, err) < 0)
		return -1;
	*result = result_empty(run->p->conf.cni_version, run->p->conf.dns);
	if (*result == NULL) {
		jn_error_set(err, JN_ERR_IO, "out of memory building the result");
		state_remove_attachment(run->net, run->a.container_id, run->a.ifname, err);
		return -1;
	}
	log_info("recorded host networking (%s)", run->decision.rule);
	return 0;
}

/* Compare the namespace with the node's own and apply the decision. */
static int enforce_decision(struct add_run *run, bool *host, struct jn_error *err)
{
	bool in_node_ns;

	netrecord_from_conf(&run->p->conf, &run->rec);
	if (policy_check_peers(&run->rec, &run->p->facts, err) < 0 ||
	    cluster_check_facts(&run->rec.cluster, run->rec.subnets, run->rec.subnet_count, &run->p->facts, err) < 0)
		return -1;
	mode_decide(run->p->conf.network_mode, &run->p->facts, &run->decision);
	if (netns_is_current(run->sb.netns_fd, &in_node_ns, err) < 0)
		return -1;
	*host = in_node_ns && run->decision.mode == JN_MODE_HOST;
	if (in_node_ns && run->decision.mode == JN_MODE_BRIDGE) {
		jn_error_set(err, JN_ERR_POLICY_REQUIRES_BRIDGE,
			     "policy requires bridge networking: %s may not share the node's network namespace",
			     run->p->inv.container_id);
		jn_error_detail(err, "rule %s: %s", run->decision.rule, run->decision.reason);
		return -1;
	}
	if (!in_node_ns && run->decision.mode == JN_MODE_HOST) {
		/* A runtime may always choose more isolation than allowed. */
		size_t len = strlen(run->decision.reason);
		snprintf(run->decision.reason + len, sizeof(run->decision.reason) - len,
			 "; the runtime gave the job its own namespace");
	}
	return *host ? 0 : sandbox_require_absent(&run->sb, run->p->inv.ifname, err);
}

static int attach(struct add_run *run, json_t **result, struct jn_error *err)
{
	prepare_record(run);
	if (reserve_addresses(run, err) < 0 ||
	    attach_kernel(run->node, &run->rec, &run->a, run->p->conf.mtu, &run->sb, &run->undo.kernel, err) < 0 ||
	    install_policy(run, err) < 0 || build_result(run, result, err) < 0) {
		add_rollback(run);
		return -1;
	}
	log_info("attached %s as %s on %s", run->a.host_veth, run->a.ifname, run->a.bridge);
	return 0;
}

/* Before the prelude takes the network's lock: a path that is no network
 * namespace (a FIFO would even block open()) is refused without keeping the
 * network's other ADDs waiting. ADD opens it again under the lock, without
 * blocking either. */
int cmd_add_input(const struct plugin *p, struct jn_error *err)
{
	int fd;

	if (netns_open(p->inv.netns, &fd, err) < 0)
		return -1;
	close(fd);
	return 0;
}

int cmd_add(struct plugin *p, struct state_network *net, json_t **result, struct jn_error *err)
{
	struct add_run run = { .p = p, .net = net, .sb = { .netns_fd = -1 }, .relay_commit_fd = -1 };
	bool host = false;
	int rc = -1;

	if (handle_existing(&run, err) < 0 || sandbox_open(p->inv.netns, &run.sb, err) < 0 ||
	    sandbox_identify(&run.sb, &run.netns_id, err) < 0 || enforce_decision(&run, &host, err) < 0)
		goto out;
	if (host) {
		rc = attach_host(&run, result, err);
		goto out;
	}
	if (link_socket_open(&run.node, err) < 0)
		goto out;
	rc = attach(&run, result, err);
out:
	relay_abandon(&run.relay_commit_fd); /* no-op unless a path missed it */
	attachment_free(&run.a);
	link_socket_freep(&run.node);
	sandbox_close(&run.sb);
	return rc;
}
