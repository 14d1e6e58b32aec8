#include "core/gc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "core/ipam.h"
#include "core/netrecord.h"
#include "core/policy.h"
#include "core/ports.h"
#include "core/statelayout.h"
#include "core/walk.h"
#include "kernel/link.h"
#include "kernel/netns.h"
#include "netpolicy/netpolicy.h"

struct sweep {
	const char *state_dir;
	struct state_network *net;
	const char *network;
	const struct gc_judge *judge;
	struct report *r;
};

static bool is_listed(const struct sweep *s, const char *key)
{
	return s->judge->listed != NULL && s->judge->listed(key, s->judge->ctx);
}

/* Split "<cid>:<ifname>" (the ifname cannot contain ':'). */
static bool split_key(const char *key, char *cid, char *ifname)
{
	const char *colon = strrchr(key, ':');
	size_t n = colon ? (size_t)(colon - key) : 0;

	if (colon == NULL || n > JN_ID_MAX || strlen(colon + 1) > JN_IFNAME_MAX)
		return false;
	memcpy(cid, key, n);
	cid[n] = '\0';
	strcpy(ifname, colon + 1);
	return names_is_valid_id(cid) && names_is_valid_ifname(ifname);
}

static void remove_stale(struct sweep *s, const char *key, const struct attachment *a, enum teardown_source source,
			 const char *why)
{
	struct jn_error err = { 0 };

	if (teardown_attachment(s->state_dir, s->net, a, source, &err) < 0)
		report_failure(s->r, REPORT_FAILED, &err, "%s/%s (%s)", s->network, key, why);
	else
		report_line(s->r, REPORT_DONE, "%s/%s (%s)", s->network, key, why);
}

static int sweep_record(struct state_network *net, const char *key, void *data)
{
	struct sweep *s = data;
	struct jn_error err = { 0 };
	char cid[JN_ID_MAX + 1], ifname[JN_IFNAME_MAX + 1];
	struct attachment a;
	enum teardown_source source;
	const char *why = "stale";

	if (is_listed(s, key))
		return 0;
	if (!split_key(key, cid, ifname)) {
		log_warn("GC: ignoring unexpected file %s/" JN_STATE_ATTACHMENTS_DIR "/%s", net->path, key);
		return 0;
	}
	if (teardown_find(net, s->network, cid, ifname, &a, &source, &err) < 0) {
		report_failure(s->r, REPORT_FAILED, &err, "%s/%s", s->network, key);
		return 0;
	}
	switch (s->judge->judge(&a, source, &why, &err, s->judge->ctx)) {
	case GC_STALE:
		remove_stale(s, key, &a, source, why);
		break;
	case GC_UNKNOWN:
		report_failure(s->r, REPORT_FAILED, &err, "%s/%s kept", s->network, key);
		break;
	case GC_UNJUDGED:
		jn_error_set(&err, JN_ERR_STATE,
			     "the record %s/" JN_STATE_ATTACHMENTS_DIR
			     "/%s does not read: nothing it may own is removed",
			     net->path, key);
		jn_error_detail(&err, "jobnetctl repair restores it from the copy kept beside it");
		report_error(s->r, REPORT_UNREADABLE, &err);
		break;
	case GC_LIVE:
		break;
	}
	attachment_free(&a);
	return 0;
}

static bool keep_reservation(const char *owner, void *data)
{
	return is_listed(data, owner);
}

static void note_released_address(const char *address, const char *owner, const struct jn_error *failure, void *data)
{
	struct sweep *s = data;

	if (jn_error_is_set(failure))
		report_failure(s->r, REPORT_FAILED, failure, "%s: reservation of %s (by %s, which has no record)",
			       s->network, address, owner);
	else
		report_line(s->r, REPORT_DONE, "%s: reservation of %s (by %s, which has no record)", s->network,
			    address, owner);
}

/* "<network>:<cid>:<ifname>": the network and the attachment key. */
static bool split_owner(const char *owner, char *network, char *key)
{
	const char *colon = strchr(owner, ':');
	size_t n = colon ? (size_t)(colon - owner) : 0;
	char cid[JN_ID_MAX + 1], ifname[JN_IFNAME_MAX + 1];

	if (colon == NULL || n == 0 || n > JN_ID_MAX || strlen(colon + 1) >= JN_ATTACHMENT_KEY_MAX)
		return false;
	memcpy(network, owner, n);
	network[n] = '\0';
	strcpy(key, colon + 1);
	return names_is_valid_id(network) && split_key(key, cid, ifname);
}

/* Kept: a claim of another network, or of an attachment of this one that
 * is listed or recorded. A claim whose owner names nothing (damaged) goes:
 * no record can own it. */
static bool claim_in_use(const char *owner, void *data)
{
	struct sweep *s = data;
	char network[JN_ID_MAX + 1], key[JN_ATTACHMENT_KEY_MAX];

	if (!split_owner(owner, network, key))
		return false;
	return strcmp(network, s->network) != 0 || is_listed(s, key) || state_has_record(s->net, key);
}

/* verb: "" where the report says "removed", " released" where it says
 * "repaired". */
static void report_dropped_claim(struct report *r, const char *verb, const char *owner, const char *claim,
				 const struct jn_error *failure)
{
	if (jn_error_is_set(failure))
		report_failure(r, REPORT_FAILED, failure, "host port %s%s (claimed by %s, which has no record)", claim,
			       verb, owner);
	else
		report_line(r, REPORT_DONE, "host port %s%s (claimed by %s, which has no record)", claim, verb, owner);
}

static void note_dropped_claim(const char *owner, const char *claim, const struct jn_error *failure, void *data)
{
	report_dropped_claim(((struct sweep *)data)->r, "", owner, claim, failure);
}

static int sweep_claims(struct sweep *s, struct jn_error *err)
{
	cleanup_close int lock = -1;

	/* Claims are made under the policy lock. */
	if (policy_lock(s->state_dir, &lock, err) < 0)
		return -1;
	return ports_drop_claims_unless(s->state_dir, claim_in_use, note_dropped_claim, s, err);
}

static void note_orphan(void *data, const char *what)
{
	struct sweep *s = data;

	report_line(s->r, REPORT_DONE, "%s: nftables element %s (no record explains it)", s->network, what);
}

/* Elements naming the network's addresses that no record explains (a pair
 * a damaged index hid from a DEL, say): the records alone say what belongs,
 * and nothing else changes elements under the policy lock. Not judged while
 * a record does not read. */
static int sweep_elements(struct sweep *s, struct jn_error *err)
{
	struct netrecord rec;
	bool found, judged;

	if (netrecord_read(s->net, &rec, &found, err) < 0)
		return -1;
	if (!found)
		return 0;
	if (policy_orphans(s->state_dir, &rec, note_orphan, s, &judged, err) < 0)
		return -1;
	if (!judged)
		report_line(s->r, REPORT_NOTE,
			    "%s: nftables elements not judged (a record does not read, or the tables are "
			    "not current)",
			    s->network);
	return 0;
}

int gc_network(const char *state_dir, struct state_network *net, const char *network, const struct gc_judge *judge,
	       struct report *r, struct jn_error *err)
{
	struct sweep s = { .state_dir = state_dir, .net = net, .network = network, .judge = judge, .r = r };

	if (net->dir_fd < 0)
		return 0;
	if (state_each_attachment(net, sweep_record, &s, err) < 0 ||
	    ipam_release_orphans(net, keep_reservation, note_released_address, &s, err) < 0 ||
	    sweep_claims(&s, err) < 0 || state_sweep_temporaries(net, err) < 0 || sweep_elements(&s, err) < 0)
		return jn_error_wrap(err, "network %s", network);
	return 0;
}

int gc_namespace_is_gone(const struct attachment *a, struct jn_error *err)
{
	struct jn_error failure = { 0 };
	int fd = -1;

	if (a->netns[0] == '\0')
		return 1;
	if (netns_open_same(a->netns, &a->netns_id, &fd, &failure) == 0) {
		close(fd);
		return 0;
	}
	return netns_is_gone(&failure) ? 1 : jn_error_keep_first(err, &failure);
}

/* jobnetctl gc's judge: a job without its namespace is gone; an ADD that
 * never finished is abandoned (the network lock is held: no ADD runs).
 * Only a record that read is judged. */
static enum gc_verdict judge_by_namespace(const struct attachment *a, enum teardown_source source, const char **why,
					  struct jn_error *err, void *ctx)
{
	int gone;

	(void)ctx;
	if (source != TEARDOWN_RECORD)
		return GC_UNJUDGED;
	if (!a->complete) {
		*why = "its ADD never finished";
		return GC_STALE;
	}
	gone = gc_namespace_is_gone(a, err);
	if (gone < 0)
		return GC_UNKNOWN;
	*why = "its namespace is gone";
	return gone ? GC_STALE : GC_LIVE;
}

static const struct gc_judge namespace_judge = { .judge = judge_by_namespace };

struct node_sweep {
	const char *state_dir;
	struct report *r;
};

static void note_unreadable(void *ctx, const struct jn_error *problem)
{
	report_error(((struct node_sweep *)ctx)->r, REPORT_UNREADABLE, problem);
}

static int gc_one_network(struct state_network *net, const char *name, void *ctx)
{
	struct node_sweep *n = ctx;
	struct jn_error err = { 0 };

	/* A network the sweep could not go through may own any leftover. */
	if (gc_network(n->state_dir, net, name, &namespace_judge, n->r, &err) < 0)
		note_unreadable(n, &err);
	return 0;
}

/* A link named like jobnet's veths, with its master when it was listed. */
struct candidate {
	char name[JN_IFNAME_MAX + 1];
	int master;
};

struct candidates {
	struct candidate *items;
	size_t count, cap;
	bool out_of_memory;
};

static void collect_link(const char *name, int master_ifindex, void *ctx)
{
	struct candidates *c = ctx;

	if (!names_is_host_veth(name) || c->out_of_memory)
		return;
	if (c->count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct candidate *bigger = realloc(c->items, cap * sizeof(*bigger));
		if (bigger == NULL) {
			c->out_of_memory = true;
			return;
		}
		c->items = bigger;
		c->cap = cap;
	}
	snprintf(c->items[c->count].name, sizeof(c->items[c->count].name), "%s", name);
	c->items[c->count++].master = master_ifindex;
}

static int list_candidates(struct nl_sock *node, struct candidates *c, struct jn_error *err)
{
	if (link_each(node, collect_link, c, err) < 0)
		return -1;
	if (c->out_of_memory)
		return jn_error_set(err, JN_ERR_IO, "out of memory listing the links");
	return 0;
}

struct leftovers {
	struct known known;
	struct report *r;
	const char *verb;
};

static bool known_owner(const char *owner, void *ctx)
{
	return namelist_has(&((struct leftovers *)ctx)->known.owners, owner);
}

static void note_dropped_leftover(const char *owner, const char *claim, const struct jn_error *failure, void *ctx)
{
	struct leftovers *l = ctx;

	report_dropped_claim(l->r, l->verb, owner, claim, failure);
}

static void unlock_policies(int *locks, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (locks[i] >= 0)
			close(locks[i]);
	free(locks);
}

/* Every directory's policy lock, in list order (claims are made under it). */
static int lock_policies(const struct namelist *dirs, int **out, struct jn_error *err)
{
	int *locks = calloc(dirs->count ? dirs->count : 1, sizeof(*locks));

	if (locks == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	for (size_t i = 0; i < dirs->count; i++)
		locks[i] = -1;
	for (size_t i = 0; i < dirs->count; i++) {
		if (policy_lock(dirs->items[i], &locks[i], err) < 0) {
			unlock_policies(locks, dirs->count);
			return -1;
		}
	}
	*out = locks;
	return 0;
}

/* With the policy locks held: the records of every directory, then the
 * claims no record names. */
static int sweep_claims_of_node(const struct namelist *dirs, struct leftovers *l, struct jn_error *err)
{
	for (size_t i = 0; i < dirs->count && l->r->count[REPORT_UNREADABLE] == 0; i++)
		if (known_scan(dirs->items[i], &l->known, err) < 0)
			return -1;
	if (l->known.unreadable > 0)
		report_error(l->r, REPORT_UNREADABLE, &l->known.first_unreadable);
	if (l->r->count[REPORT_UNREADABLE] > 0)
		return 0;
	for (size_t i = 0; i < dirs->count; i++)
		if (ports_drop_claims_unless(dirs->items[i], known_owner, note_dropped_leftover, l, err) < 0)
			return -1;
	return 0;
}

/* The ifindexes of the known bridges the node has now, as bridges. */
static int bridge_ifindexes(struct nl_sock *node, const struct namelist *bridges, int **out, struct jn_error *err)
{
	int *found = calloc(bridges->count ? bridges->count : 1, sizeof(*found));

	if (found == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	for (size_t i = 0; i < bridges->count; i++) {
		struct link_facts facts;
		int rc = link_inspect(node, bridges->items[i], &facts, err);
		if (rc < 0) {
			free(found);
			return -1;
		}
		found[i] = rc == 1 && strcmp(facts.kind, "bridge") == 0 ? facts.ifindex : 0;
	}
	*out = found;
	return 0;
}

static bool on_known_bridge(const struct candidate *c, const int *bridges, size_t count)
{
	for (size_t i = 0; c->master != 0 && i < count; i++)
		if (bridges[i] == c->master)
			return true;
	return false;
}

static void note_left_alone(struct report *r, const char *name, const struct namelist *state_dirs)
{
	if (state_dirs->count == 1)
		report_line(r, REPORT_NOTE,
			    "link %s left alone: no record names it, but it is not on a bridge of a "
			    "network in %s",
			    name, state_dirs->items[0]);
	else
		report_line(r, REPORT_NOTE,
			    "link %s left alone: no record names it, but it is not on a bridge of a "
			    "network in the %zu state directories",
			    name, state_dirs->count);
}

/* A veth no record names is a leftover only on a bridge of a network of
 * the state read: a live job's veth on a bridge the state does not know
 * (gc given an empty or another network's directory) is not the state's to
 * judge. One with no bridge at all is left too: ADD makes the pair with its
 * host end already a port of the bridge (one request, which the kernel
 * undoes whole if enslaving fails), so no step of jobnet leaves one off a
 * bridge; only a bridge deleted under it or a hand does. */
static int drop_links(struct nl_sock *node, const struct candidates *candidates, const struct namelist *state_dirs,
		      struct leftovers *l, struct jn_error *err)
{
	cleanup_free int *bridges = NULL;

	if (bridge_ifindexes(node, &l->known.bridges, &bridges, err) < 0)
		return -1;
	for (size_t i = 0; i < candidates->count; i++) {
		struct jn_error failure = { 0 };
		const struct candidate *c = &candidates->items[i];
		if (namelist_has(&l->known.veths, c->name))
			continue;
		if (!on_known_bridge(c, bridges, l->known.bridges.count))
			note_left_alone(l->r, c->name, state_dirs);
		else if (link_delete(node, c->name, &failure) < 0)
			report_failure(l->r, REPORT_FAILED, &failure, "link %s (it belongs to no attachment)", c->name);
		else
			report_line(l->r, REPORT_DONE, "link %s (it belongs to no attachment)", c->name);
	}
	return 0;
}

/* The links (and their bridges) are listed before the records are read:
 * ADD writes a record before it makes the veth, so a veth listed first and
 * named by no record read after is a leftover, not a job being attached.
 * The bridges' ifindexes are looked up after the records are read; a
 * bridge made again since the links were listed has a new one, and its
 * ports are then left alone. */
int gc_sweep_leftovers(const struct namelist *state_dirs, bool links, struct report *r, bool *judged,
		       struct jn_error *err)
{
	struct leftovers l = { .r = r, .verb = links ? "" : " released" };
	struct candidates candidates = { 0 };
	cleanup_nl_sock struct nl_sock *node = NULL;
	int *locks = NULL, rc = -1;

	*judged = false;
	if (links && (link_socket_open(&node, err) < 0 || list_candidates(node, &candidates, err) < 0))
		goto out;
	if (lock_policies(state_dirs, &locks, err) < 0)
		goto out;
	rc = sweep_claims_of_node(state_dirs, &l, err);
	unlock_policies(locks, state_dirs->count);
	if (rc < 0)
		goto out;
	if (r->count[REPORT_UNREADABLE] > 0) {
		report_line(r, REPORT_NOTE,
			    "leftovers not judged: part of the state did not read, so no link or host port claim "
			    "was removed as a leftover");
		goto out;
	}
	if (links && drop_links(node, &candidates, state_dirs, &l, err) < 0) {
		rc = -1;
		goto out;
	}
	*judged = true;
out:
	free(candidates.items);
	known_free(&l.known);
	return rc;
}

struct table_bridges {
	const struct namelist *known;
	char first_stranger[JN_IFNAME_MAX + 1];
	size_t strangers;
};

static void check_table_bridge(const char *bridge, void *ctx)
{
	struct table_bridges *t = ctx;

	if (namelist_has(t->known, bridge))
		return;
	if (t->strangers++ == 0)
		snprintf(t->first_stranger, sizeof(t->first_stranger), "%s", bridge);
}

/* A rebuild keeps only what the records of state_dir explain. Tables that
 * hold a network (its bridge) no network.json of state_dir names hold the
 * jobs of another state directory (or gc was given the wrong one): the
 * rebuild would drop every element of those live jobs. Missing or outdated
 * tables hold nothing a rebuild could lose that an ADD would not. */
static bool tables_hold_only_networks_of(const char *state_dir, struct report *r)
{
	struct namelist known = { 0 };
	struct table_bridges t = { .known = &known };
	struct jn_error err = { 0 };
	bool current, fine = false;

	if (netpolicy_tables_are_current(&current, &err) < 0) {
		report_failure(r, REPORT_FAILED, &err, "nftables: not rebuilt");
		return false;
	}
	if (!current)
		return true;
	if (known_network_bridges(state_dir, &known, &err) < 0 ||
	    netpolicy_each_bridge(check_table_bridge, &t, &err) < 0)
		report_failure(r, REPORT_FAILED, &err, "nftables: not rebuilt");
	else if (t.strangers > 0)
		report_line(r, REPORT_NOTE,
			    "jobnet's nftables tables not rebuilt: they hold the jobs of %zu network(s) that no "
			    "network in %s names (bridge %s%s), whose elements a rebuild from it would drop",
			    t.strangers, state_dir, t.first_stranger, t.strangers > 1 ? " and more" : "");
	else
		fine = true;
	namelist_free(&known);
	return fine;
}

bool gc_may_rebuild_tables(const struct namelist *state_dirs, struct report *r)
{
	if (r->count[REPORT_UNREADABLE] > 0) {
		report_line(r, REPORT_NOTE,
			    "jobnet's nftables tables not rebuilt: part of the state did not read, and a rebuild "
			    "would drop the elements it owns");
		return false;
	}
	if (state_dirs->count > 1) {
		report_line(r, REPORT_FAILED,
			    "nftables: not rebuilt: the networks use %zu state directories and jobnet's tables hold "
			    "the jobs of one (name it with --state-dir)",
			    state_dirs->count);
		return false;
	}
	return state_dirs->count == 1 && tables_hold_only_networks_of(state_dirs->items[0], r);
}

int gc_node(const struct namelist *state_dirs, struct report *r, struct jn_error *err)
{
	struct jn_error e = { 0 };
	bool judged;

	for (size_t i = 0; i < state_dirs->count; i++) {
		struct node_sweep n = { .state_dir = state_dirs->items[i], .r = r };
		struct walk_ops ops = { .network = gc_one_network, .problem = note_unreadable, .ctx = &n };
		if (walk_networks(n.state_dir, WALK_EXCLUSIVE, &ops, &e) < 0)
			note_unreadable(&n, &e);
		jn_error_clear(&e);
	}
	if (gc_sweep_leftovers(state_dirs, true, r, &judged, &e) < 0)
		report_failure(r, REPORT_FAILED, &e, "leftovers");
	jn_error_clear(&e);
	if (gc_may_rebuild_tables(state_dirs, r) && policy_repair(state_dirs->items[0], &e) < 0)
		report_failure(r, REPORT_FAILED, &e, "nftables");
	return report_result(r, err);
}
