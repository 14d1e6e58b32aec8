/* jobnetctl gc: remove what no longer has a namespace (the attachment's
 * elements, relay, port claims, veth, reservations and record), attachments
 * whose ADD never finished, and leftovers no record owns (links named like
 * jobnet's veths, reservations, port claims); then rebuild the tables from
 * what remains. Unlike the CNI GC command it needs no list from a runtime:
 * a job without its namespace is gone. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/names.h"
#include "core/ipam.h"
#include "kernel/link.h"
#include "kernel/netns.h"
#include "core/policy.h"
#include "core/ports.h"
#include "core/teardown.h"
#include "ctl/ctl.h"
#include "ctl/ctlscan.h"
#include "ctl/ctlstate.h"

struct gc_run {
	const char *state_dir;
	struct ctl_tally tally;
	struct nl_sock *node;
	struct known known;
};

static bool namespace_is_gone(const char *path)
{
	struct jn_error err = { 0 };
	int fd = -1;

	if (path[0] == '\0')
		return true;
	if (netns_open(path, &fd, &err) == 0) {
		close(fd);
		return false;
	}
	/* Gone (ENOENT), or something that is no longer a network namespace. */
	return err.code == JN_ERR_NETNS;
}

struct network_visit {
	struct gc_run *run;
	const char *name;
};

static int collect_record(struct state_network *net, const char *key, void *data)
{
	struct network_visit *v = data;
	struct jn_error err = { 0 };
	struct attachment a;
	const char *why = NULL;

	if (state_read_attachment_key(net, key, &a, &err) < 0)
		return 0; /* jobnetctl repair restores damaged records first */
	if (!a.complete)
		why = "its ADD never finished";
	else if (namespace_is_gone(a.netns))
		why = "its namespace is gone";
	if (why != NULL) {
		int rc = teardown_attachment(v->run->state_dir, net, &a, TEARDOWN_RECORD, &err);
		ctl_tally(&v->run->tally, rc < 0, "%s/%s (%s)%s%s", v->name, key, why, rc < 0 ? ": " : "",
			  rc < 0 ? err.msg : "");
	}
	attachment_free(&a);
	return 0;
}

static void note_released_address(const char *address, const char *owner, const struct jn_error *failure, void *data)
{
	struct network_visit *v = data;

	ctl_tally(&v->run->tally, jn_error_is_set(failure), "%s: reservation of %s (by %s, which has no record)%s%s",
		  v->name, address, owner, jn_error_is_set(failure) ? ": " : "", failure->msg);
}

static int gc_network(struct state_network *net, const char *name, void *ctx)
{
	struct network_visit v = { .run = ctx, .name = name };
	struct jn_error err = { 0 };

	state_each_attachment(net, collect_record, &v, &err);
	ipam_release_orphans(net, NULL, note_released_address, &v, &err);
	state_sweep_temporaries(net, &err);
	return 0;
}

static void drop_link(const char *name, void *ctx)
{
	struct gc_run *run = ctx;
	struct jn_error err = { 0 };

	if (!names_is_host_veth(name) || namelist_has(&run->known.veths, name))
		return;
	link_delete(run->node, name, &err);
	ctl_tally(&run->tally, jn_error_is_set(&err), "link %s (it belongs to no attachment)", name);
}

static bool known_owner(const char *owner, void *ctx)
{
	return namelist_has(&((struct gc_run *)ctx)->known.owners, owner);
}

static void note_dropped_claim(const char *owner, const char *claim, const struct jn_error *failure, void *ctx)
{
	struct gc_run *run = ctx;

	ctl_tally(&run->tally, jn_error_is_set(failure), "host port %s (claimed by %s, which has no record)%s%s", claim,
		  owner, jn_error_is_set(failure) ? ": " : "", failure->msg);
}

int ctl_gc(int argc, char **argv, struct ctl_options *opts)
{
	struct gc_run run = { .state_dir = opts->state_dir, .tally = { .done_word = "removed" } };
	struct jn_error err = { 0 };

	if (argc > 1)
		return ctl_usage_error("jobnetctl gc", "unexpected argument \"%s\"", argv[1]);
	if (link_socket_open(&run.node, &err) < 0) {
		ctl_error("%s", err.msg);
		return CTL_EXIT_FAIL;
	}
	ctlstate_each_network(opts->state_dir, true, gc_network, &run);
	known_scan(opts->state_dir, &run.known);
	/* With an unreadable record, what it owns cannot be told from leftovers. */
	if (run.known.unreadable == 0) {
		link_each(run.node, drop_link, &run, &err);
		ports_drop_claims_unless(opts->state_dir, known_owner, note_dropped_claim, &run, &err);
	}
	known_free(&run.known);
	jn_error_clear(&err);
	if (policy_repair(opts->state_dir, &err) < 0)
		ctl_tally(&run.tally, true, "nftables: %s", err.msg);
	link_socket_freep(&run.node);
	printf("%zu removed, %zu failure(s)\n", run.tally.done, run.tally.failures);
	return run.tally.failures ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
