#include "core/peers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "core/cluster.h"
#include "core/netrecord.h"
#include "core/policy.h"
#include "core/scan.h"
#include "core/state.h"

struct peers_net {
	char name[JN_ID_MAX + 1];
	struct state_network net;
	struct netrecord rec;
	bool have_rec;
};

/* What changes for one member: its pairs that go and those that come. */
struct prefix_list {
	size_t count;
	struct jn_prefix items[JN_FACTS_MAX_PEERS];
};

struct peers_member {
	struct peers_net *where;
	struct attachment before, after;
	struct prefix_list lost_peers, lost_routers, new_peers, new_routers;
};

struct peers_run {
	const char *state_dir;
	const struct peers_change *c;
	struct peers_net *nets;
	size_t net_count;
	struct peers_member *members;
	size_t count, cap;
	bool prepared; /* its networks are locked, its members found and planned */
	struct jn_error *err;
};

bool peers_change_is_empty(const struct peers_change *c)
{
	return c->op == PEERS_KEEP && !c->set_routers;
}

static int collect_name(const char *name, void *data)
{
	struct peers_run *run = data;
	struct peers_net *grown;

	if (run->c->network != NULL && strcmp(name, run->c->network) != 0)
		return 0;
	grown = realloc(run->nets, (run->net_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return jn_error_set(run->err, JN_ERR_IO, "out of memory");
	run->nets = grown;
	memset(&grown[run->net_count], 0, sizeof(*grown));
	strcpy(grown[run->net_count].name, name);
	grown[run->net_count].net =
		(struct state_network){ .dir_fd = -1, .attachments_fd = -1, .ipam_fd = -1, .lock_fd = -1 };
	run->net_count++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct peers_net *)a)->name, ((const struct peers_net *)b)->name);
}

/* Every network (or the one asked for), locked as ADD locks it, in one
 * order so two runs never wait for each other. */
static int open_networks(struct peers_run *run)
{
	struct jn_error *err = run->err;

	if (state_each_network(run->state_dir, collect_name, run, err) < 0)
		return -1;
	if (run->c->network != NULL && run->net_count == 0)
		return jn_error_set(err, JN_ERR_UNKNOWN_CONTAINER, "no network \"%s\" on this node", run->c->network);
	qsort(run->nets, run->net_count, sizeof(*run->nets), by_name);
	for (size_t i = 0; i < run->net_count; i++) {
		struct peers_net *n = &run->nets[i];
		if (state_open(run->state_dir, n->name, false, &n->net, err) < 0 || state_lock(&n->net, err) < 0 ||
		    (n->net.dir_fd >= 0 && netrecord_read(&n->net, &n->rec, &n->have_rec, err) < 0))
			return jn_error_wrap(err, "network %s", n->name);
	}
	return 0;
}

static int add_member(struct peers_run *run, struct peers_net *where, struct attachment *a)
{
	struct peers_member *m;

	if (run->count == run->cap) {
		size_t cap = run->cap ? run->cap * 2 : 4;
		struct peers_member *grown = realloc(run->members, cap * sizeof(*grown));
		if (grown == NULL)
			return jn_error_set(run->err, JN_ERR_IO, "out of memory");
		run->members = grown;
		run->cap = cap;
	}
	m = &run->members[run->count++];
	memset(m, 0, sizeof(*m));
	m->where = where;
	m->before = *a;
	m->after = *a;
	json_incref(m->after.extra);
	return 0;
}

struct member_walk {
	struct peers_run *run;
	struct peers_net *where;
};

static int consider(struct state_network *net, const char *key, void *data)
{
	struct member_walk *w = data;
	struct jn_error unreadable = { 0 };
	struct attachment a;
	int rc = 0;

	/* A record that does not read may be a member's: changing the others
	 * alone would leave it its old peers, and say the change went in. */
	if (state_read_attachment_key(net, key, &a, &unreadable) < 0) {
		if (jn_error_absorb(&unreadable, ENOENT))
			return 0;
		jn_error_keep_first(w->run->err, &unreadable);
		return jn_error_wrap(w->run->err, "the members of group %s are not known", w->run->c->group);
	}
	/* An unfinished record is no member to change (an ADD holds the lock
	 * for as long as it works on one). */
	if (a.complete && strcmp(a.facts.group, w->run->c->group) == 0)
		rc = add_member(w->run, w->where, &a);
	else
		attachment_free(&a);
	return rc;
}

static int find_members(struct peers_run *run)
{
	for (size_t i = 0; i < run->net_count; i++) {
		struct member_walk w = { .run = run, .where = &run->nets[i] };
		if (run->nets[i].net.dir_fd >= 0 &&
		    state_each_attachment(&run->nets[i].net, consider, &w, run->err) < 0)
			return -1;
	}
	if (run->count == 0)
		return jn_error_set(run->err, JN_ERR_UNKNOWN_CONTAINER, "group \"%s\" has no member on this node%s%s",
				    run->c->group, run->c->network ? " in network " : "",
				    run->c->network ? run->c->network : "");
	return 0;
}

static bool has(const struct jn_prefix *list, size_t count, const struct jn_prefix *p)
{
	for (size_t i = 0; i < count; i++)
		if (list[i].len == p->len && addr_equal(&list[i].addr, &p->addr))
			return true;
	return false;
}

static int change_peers(struct jobfacts *f, const struct peers_change *c, struct jn_error *err)
{
	size_t kept = 0;

	if (c->op == PEERS_SET) {
		memcpy(f->peers, c->list, c->count * sizeof(c->list[0]));
		f->peer_count = c->count;
	} else if (c->op == PEERS_ADD) {
		for (size_t i = 0; i < c->count; i++) {
			if (has(f->peers, f->peer_count, &c->list[i]))
				continue;
			if (f->peer_count == JN_FACTS_MAX_PEERS)
				return jn_error_set(err, JN_ERR_INVALID_CONFIG, "a job has at most %d peers",
						    JN_FACTS_MAX_PEERS);
			f->peers[f->peer_count++] = c->list[i];
		}
	} else if (c->op == PEERS_REMOVE) {
		for (size_t i = 0; i < f->peer_count; i++)
			if (!has(c->list, c->count, &f->peers[i]))
				f->peers[kept++] = f->peers[i];
		f->peer_count = kept;
	}
	return 0;
}

/* The entries of a that b does not have. */
static void difference(const struct jn_prefix *a, size_t a_count, const struct jn_prefix *b, size_t b_count,
		       struct prefix_list *out)
{
	out->count = 0;
	for (size_t i = 0; i < a_count; i++)
		if (!has(b, b_count, &a[i]))
			out->items[out->count++] = a[i];
}

/* The member's new facts, checked as ADD checks them. */
static int plan_member(const struct peers_change *c, struct peers_member *m, struct jn_error *err)
{
	struct jobfacts *before = &m->before.facts, *after = &m->after.facts;
	const struct netrecord *rec = &m->where->rec;
	bool bridge = strcmp(m->before.mode, "bridge") == 0;

	if (change_peers(after, c, err) < 0)
		return -1;
	if (c->set_routers) {
		memcpy(after->routers, c->routers, c->router_count * sizeof(c->routers[0]));
		after->router_count = c->router_count;
	}
	if (bridge && !m->where->have_rec)
		return jn_error_set(err, JN_ERR_STATE, "the record of network %s is missing", m->where->name);
	if (facts_validate(after, err) < 0 ||
	    (bridge &&
	     (policy_check_peers(rec, after, err) < 0 ||
	      cluster_check_facts(&rec->cluster, rec->subnets, rec->subnet_count, after, err) < 0)))
		return -1;
	difference(before->peers, before->peer_count, after->peers, after->peer_count, &m->lost_peers);
	difference(before->routers, before->router_count, after->routers, after->router_count, &m->lost_routers);
	difference(after->peers, after->peer_count, before->peers, before->peer_count, &m->new_peers);
	difference(after->routers, after->router_count, before->routers, before->router_count, &m->new_routers);
	return 0;
}

static int write_records(struct peers_run *run, bool after, size_t upto, size_t *written, struct jn_error *err)
{
	*written = 0;
	for (size_t i = 0; i < upto; i++) {
		struct peers_member *m = &run->members[i];
		if (state_write_attachment(&m->where->net, after ? &m->after : &m->before, err) < 0)
			return -1;
		*written = i + 1;
	}
	return 0;
}

static void partial_job(const struct attachment *a, const struct peers_net *where, const struct prefix_list *peers,
			const struct prefix_list *routers, struct netpolicy_job *job)
{
	policy_job_from_attachment(a, &where->rec, job);
	job->peers = peers->items;
	job->peer_count = peers->count;
	job->routers = routers->items;
	job->router_count = routers->count;
}

/* One transaction for every member (undo: the change the other way);
 * without current tables, the tables are rebuilt from the records, which
 * already say the facts wanted. */
static int change_elements(struct peers_run *run, bool undo, struct jn_error *err)
{
	cleanup_free struct netpolicy_job *gone = calloc(run->count ? run->count : 1, sizeof(*gone));
	cleanup_free struct netpolicy_job *added = calloc(run->count ? run->count : 1, sizeof(*added));
	size_t n = 0;
	bool sent;

	if (gone == NULL || added == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	for (size_t i = 0; i < run->count; i++) {
		const struct peers_member *m = &run->members[i];
		const struct attachment *a = undo ? &m->before : &m->after;
		if (strcmp(a->mode, "bridge") != 0)
			continue; /* a host-mode job has no elements */
		partial_job(a, m->where, undo ? &m->new_peers : &m->lost_peers,
			    undo ? &m->new_routers : &m->lost_routers, &gone[n]);
		partial_job(a, m->where, undo ? &m->lost_peers : &m->new_peers,
			    undo ? &m->lost_routers : &m->new_routers, &added[n]);
		n++;
	}
	if (netpolicy_change_remote(gone, added, n, &sent, err) < 0)
		return -1;
	return sent ? 0 : policy_repair_locked(run->state_dir, err);
}

/* Open connections to a peer or router a member lost end with their
 * entries. The change itself is in by now: a failure here is reported,
 * and the next DEL of the member deletes every flow of it. */
static int forget_lost_flows(struct peers_run *run, struct jn_error *err)
{
	int rc = 0;

	for (size_t i = 0; i < run->count; i++) {
		struct peers_member *m = &run->members[i];
		struct jn_prefix lost[2 * JN_FACTS_MAX_PEERS];
		struct netpolicy_job job;
		size_t count = m->lost_peers.count + m->lost_routers.count;
		if (count == 0 || strcmp(m->after.mode, "bridge") != 0)
			continue;
		memcpy(lost, m->lost_peers.items, m->lost_peers.count * sizeof(lost[0]));
		memcpy(lost + m->lost_peers.count, m->lost_routers.items, m->lost_routers.count * sizeof(lost[0]));
		policy_job_from_attachment(&m->after, &m->where->rec, &job);
		if (netpolicy_forget_peer_flows(&job, lost, count, err) < 0)
			rc = -1;
	}
	return rc;
}

/* The records, then the elements (undo: back to what they were). On a
 * failure the records written are put back, so the directory says what it
 * said before. Records first: whatever happens next, repair makes the
 * tables say what they say. */
static int commit(struct peers_run *run, bool undo, struct jn_error *err)
{
	cleanup_close int lock = -1;
	struct jn_error ignored = { 0 };
	size_t written = 0, undone;

	if (policy_lock(run->state_dir, &lock, err) < 0)
		return -1;
	if (write_records(run, !undo, run->count, &written, err) == 0 && change_elements(run, undo, err) == 0)
		return 0;
	if (write_records(run, undo, written, &undone, &ignored) < 0)
		log_warn("putting back the records of group %s in %s: %s", run->c->group, run->state_dir, ignored.msg);
	return -1;
}

static void finish(struct peers_run *run)
{
	for (size_t i = 0; i < run->count; i++) {
		attachment_free(&run->members[i].before);
		attachment_free(&run->members[i].after);
	}
	for (size_t i = 0; i < run->net_count; i++)
		state_close(&run->nets[i].net);
	free(run->members);
	free(run->nets);
}

/* Lock the networks of the run's directory, find the members and check
 * their new facts: nothing changes. */
static int prepare(struct peers_run *run)
{
	if (open_networks(run) < 0 || find_members(run) < 0)
		return -1;
	if (peers_change_is_empty(run->c))
		return 0;
	for (size_t i = 0; i < run->count; i++)
		if (plan_member(run->c, &run->members[i], run->err) < 0)
			return -1;
	return 0;
}

/* Every directory prepared, in list order (each one's networks in name
 * order, so two runs never wait for each other), its locks held to the
 * end. A directory without the group (or the network asked for) is fine
 * as long as one has it. */
static int prepare_all(struct peers_run *runs, size_t count, struct jn_error *err)
{
	struct jn_error none = { 0 };
	size_t found = 0;

	for (size_t i = 0; i < count; i++) {
		struct jn_error e = { 0 };
		runs[i].err = &e;
		if (prepare(&runs[i]) == 0) {
			found++;
			runs[i].prepared = true;
		} else if (e.code == JN_ERR_UNKNOWN_CONTAINER) {
			jn_error_keep_first(&none, &e);
		} else {
			*err = e;
			return -1;
		}
		runs[i].err = err;
	}
	if (found == 0 && jn_error_keep_first(err, &none) == 0)
		return jn_error_set(err, JN_ERR_UNKNOWN_CONTAINER, "no state directory to look in");
	return found == 0 ? -1 : 0;
}

/* Put back the directories changed before the one that failed, latest
 * first. What cannot be put back is said in a warning and in err's
 * details: those records and elements keep the new peers. */
static void undo_committed(struct peers_run *runs, size_t upto, struct jn_error *err)
{
	for (size_t i = upto; i-- > 0;) {
		struct jn_error failure = { 0 };
		if (!runs[i].prepared || runs[i].count == 0 || commit(&runs[i], true, &failure) == 0)
			continue;
		log_warn("the members of group %s in %s keep the new peers and routers: putting them back failed: %s",
			 runs[i].c->group, runs[i].state_dir, failure.msg);
		jn_error_detail(err, "the members in %s keep the change: run the command again once it can go through",
				runs[i].state_dir);
	}
}

static int commit_all(struct peers_run *runs, size_t count, struct jn_error *err)
{
	int rc = 0;

	for (size_t i = 0; i < count; i++) {
		if (!runs[i].prepared || runs[i].count == 0 || commit(&runs[i], false, err) == 0)
			continue;
		jn_error_wrap(err, "%s", runs[i].state_dir);
		undo_committed(runs, i, err);
		return -1;
	}
	for (size_t i = 0; i < count; i++)
		if (runs[i].prepared && forget_lost_flows(&runs[i], err) < 0)
			rc = -1;
	return rc < 0 ? jn_error_wrap(err, "the change is in, but an evicted peer's connections may remain") : 0;
}

int peers_apply(const struct namelist *state_dirs, const struct peers_change *c, peers_member_fn fn, void *ctx,
		struct jn_error *err)
{
	struct peers_run *runs = calloc(state_dirs->count ? state_dirs->count : 1, sizeof(*runs));
	int rc = -1;

	if (runs == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	for (size_t i = 0; i < state_dirs->count; i++)
		runs[i] = (struct peers_run){ .state_dir = state_dirs->items[i], .c = c, .err = err };
	if (prepare_all(runs, state_dirs->count, err) < 0 ||
	    (!peers_change_is_empty(c) && commit_all(runs, state_dirs->count, err) < 0))
		goto out;
	for (size_t i = 0; i < state_dirs->count; i++)
		for (size_t m = 0; m < runs[i].count; m++)
			fn(&runs[i].members[m].after, ctx);
	rc = 0;
out:
	for (size_t i = 0; i < state_dirs->count; i++)
		finish(&runs[i]);
	free(runs);
	return rc;
}
