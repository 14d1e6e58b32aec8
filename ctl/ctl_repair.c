/* jobnetctl repair: make the kernel match the state again, idempotently.
 *
 *   - a damaged record is restored from the copy kept beside it;
 *   - a job whose veth was deleted gets it back (same names, MAC, addresses)
 *     while its namespace lives; the bridge, its gateway addresses and the
 *     job's addresses and routes are put back where they went missing;
 *   - a dead loopback relay is started again, a lost port claim rewritten;
 *   - reservations and port claims that no record owns are released;
 *   - both nftables tables are rebuilt from the records, in one transaction.
 *
 * A job whose namespace is gone is left to jobnetctl gc.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/attach.h"
#include "base/cleanup.h"
#include "core/ipam.h"
#include "kernel/link.h"
#include "core/mappings.h"
#include "core/netrecord.h"
#include "core/policy.h"
#include "core/ports.h"
#include "ctl/ctl.h"
#include "ctl/ctlscan.h"
#include "ctl/ctlstate.h"

struct repair_run {
	const char *state_dir;
	struct ctl_tally tally;
	size_t left; /* attachments only gc can remove */
	struct nl_sock *node;
	struct known known;
};

struct network_visit {
	struct repair_run *run;
	const char *name;
	struct netrecord rec;
	bool have_rec;
};

/* The kernel side: the veth when it is gone, else what the bridge and the
 * job's interface should carry (each step keeps what exists). */
static int repair_links(struct network_visit *v, const struct attachment *a, const char *where)
{
	struct jn_error err = { 0 };
	struct attach_undo undo = { 0 };
	struct sandbox sb;
	int found, ifindex, rc = sandbox_open(a->netns, &sb, &err);

	if (rc < 0 && jn_error_errnum(&err) == ENOENT) {
		printf("left for gc: %s: its namespace %s is gone\n", where, a->netns);
		v->run->left++;
		return 0;
	}
	if (rc < 0) {
		ctl_tally(&v->run->tally, true, "%s: %s", where, err.msg);
		return 0;
	}
	found = link_find(v->run->node, a->host_veth, &ifindex, &err);
	if (found == 0) {
		rc = attach_kernel(v->run->node, &v->rec, a, v->rec.mtu, &sb, &undo, &err);
		if (rc < 0)
			attach_kernel_undo(v->run->node, &v->rec, a, &undo);
		ctl_tally(&v->run->tally, rc < 0, "%s: veth %s %s%s", where, a->host_veth,
			  rc < 0 ? "not recreated: " : "recreated", rc < 0 ? err.msg : "");
	} else if (found == 1 &&
		   (attach_bridge(v->run->node, &v->rec, a, &undo, &err) < 0 || sandbox_configure(&sb, a, &err) < 0)) {
		ctl_tally(&v->run->tally, true, "%s: %s", where, err.msg);
	}
	sandbox_close(&sb);
	return 0;
}

static void repair_mappings(struct network_visit *v, struct state_network *net, struct attachment *a, const char *where)
{
	char owner[PORTS_OWNER_MAX];
	struct jn_error err = { 0 };
	size_t restored = 0;
	bool revived = false;
	int relay_commit_fd = -1;

	ports_owner(a->network, a->container_id, a->ifname, owner);
	if (ports_reclaim(v->run->state_dir, owner, a->maps, a->map_count, &restored, &err) < 0)
		ctl_tally(&v->run->tally, true, "%s: %s", where, err.msg);
	else if (restored > 0)
		ctl_tally(&v->run->tally, false, "%s: %zu port claim(s) rewritten", where, restored);
	jn_error_clear(&err);
	if (mappings_revive(a, &revived, &relay_commit_fd, &err) < 0 ||
	    (revived && state_write_attachment(net, a, &err) < 0)) {
		relay_abandon(&relay_commit_fd);
		ctl_tally(&v->run->tally, true, "%s: loopback relay: %s", where, err.msg);
	} else {
		relay_commit(&relay_commit_fd);
		if (revived)
			ctl_tally(&v->run->tally, false, "%s: loopback relay started again (pid %d)", where,
				  a->relay.pid);
	}
}

static int repair_record(struct state_network *net, const char *key, void *data)
{
	struct network_visit *v = data;
	struct jn_error err = { 0 };
	struct attachment a;
	char where[JN_ID_MAX + JN_ATTACHMENT_KEY_MAX + 2];

	snprintf(where, sizeof(where), "%s/%s", v->name, key);
	if (state_read_attachment_key(net, key, &a, &err) < 0) {
		if (jn_error_errnum(&err) == ENOENT)
			return 0; /* removed since the directory was listed */
		jn_error_clear(&err);
		if (state_restore_attachment(net, key, &err) < 0 || state_read_attachment_key(net, key, &a, &err) < 0) {
			ctl_tally(&v->run->tally, true, "%s: the record is damaged and %s", where, err.msg);
			return 0;
		}
		ctl_tally(&v->run->tally, false, "%s: record restored from its copy", where);
	} else if (!state_copy_agrees(net, key, &a)) {
		if (state_write_attachment(net, &a, &err) < 0)
			ctl_tally(&v->run->tally, true, "%s: rewriting its copy: %s", where, err.msg);
		else
			ctl_tally(&v->run->tally, false, "%s: the copy beside the record rewritten", where);
		jn_error_clear(&err);
	}
	if (a.complete && strcmp(a.mode, "bridge") == 0 && v->have_rec) {
		repair_links(v, &a, where);
		repair_mappings(v, net, &a, where);
	}
	attachment_free(&a);
	return 0;
}

static void note_released_address(const char *address, const char *owner, const struct jn_error *failure, void *data)
{
	struct network_visit *v = data;

	ctl_tally(&v->run->tally, jn_error_is_set(failure),
		  "%s: address %s released (reserved by %s, which has no record)%s%s", v->name, address, owner,
		  jn_error_is_set(failure) ? ": " : "", failure->msg);
}

static int repair_network(struct state_network *net, const char *name, void *ctx)
{
	struct network_visit v = { .run = ctx, .name = name };
	struct jn_error err = { 0 };

	if (netrecord_read(net, &v.rec, &v.have_rec, &err) < 0)
		ctl_tally(&v.run->tally, true, "%s: %s", name, err.msg);
	jn_error_clear(&err);
	state_each_attachment(net, repair_record, &v, &err);
	ipam_release_orphans(net, NULL, note_released_address, &v, &err);
	return 0;
}

static bool known_owner(const char *owner, void *ctx)
{
	return namelist_has(&((struct repair_run *)ctx)->known.owners, owner);
}

static void note_released_claim(const char *owner, const char *claim, const struct jn_error *failure, void *ctx)
{
	struct repair_run *run = ctx;

	ctl_tally(&run->tally, jn_error_is_set(failure),
		  "host port %s released (claimed by %s, which has no record)%s%s", claim, owner,
		  jn_error_is_set(failure) ? ": " : "", failure->msg);
}

int ctl_repair(int argc, char **argv, struct ctl_options *opts)
{
	struct repair_run run = { .state_dir = opts->state_dir, .tally = { .done_word = "repaired" } };
	struct jn_error err = { 0 };
	bool current;

	if (argc > 1)
		return ctl_usage_error("jobnetctl repair", "unexpected argument \"%s\"", argv[1]);
	if (link_socket_open(&run.node, &err) < 0) {
		ctl_error("%s", err.msg);
		return CTL_EXIT_FAIL;
	}
	ctlstate_each_network(opts->state_dir, true, repair_network, &run);
	known_scan(opts->state_dir, &run.known);
	if (run.known.unreadable == 0)
		ports_drop_claims_unless(opts->state_dir, known_owner, note_released_claim, &run, &err);
	known_free(&run.known);
	jn_error_clear(&err);
	if (netpolicy_tables_are_current(&current, &err) < 0)
		current = false;
	jn_error_clear(&err);
	if (policy_repair(opts->state_dir, &err) < 0)
		ctl_tally(&run.tally, true, "nftables: %s", err.msg);
	else if (!current)
		ctl_tally(&run.tally, false, "jobnet's nftables tables, rebuilt from the state");
	else
		printf("rebuilt jobnet's nftables tables from the state (they were there)\n");
	link_socket_freep(&run.node);
	printf("%zu repair(s), %zu failure(s), %zu left for gc\n", run.tally.done, run.tally.failures, run.left);
	return run.tally.failures ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
