#include "netpolicy/netpolicy.h"

#include <linux/netfilter.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "netpolicy/conntrack.h"
#include "netpolicy/nfdump.h"
#include "netpolicy/groups.h"
#include "netpolicy/nfquery.h"
#include "netpolicy/nftrun.h"
#include "netpolicy/nftwire.h"
#include "netpolicy/orphans.h"
#include "netpolicy/pairs.h"
#include "netpolicy/render.h"
#include "netpolicy/ruleset.h"
#include "netpolicy/templates.h"

static bool is_plain_name(const char *s)
{
	return s != NULL && names_is_valid_id(s);
}

int netpolicy_validate_job(const struct netpolicy_job *job, struct jn_error *err)
{
	if (!is_plain_name(job->container_id) || !is_plain_name(job->network))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "container ID or network name unfit for nftables");
	if (!names_is_plain_ifname(job->host_veth) || !names_is_valid_ifname(job->ifname))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "interface name unfit for nftables");
	if (job->group == NULL || (job->group[0] != '\0' && !names_is_valid_group(job->group)))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "group name unfit for nftables");
	for (size_t i = 0; i < job->route_count; i++)
		if (!names_is_valid_group(job->routes[i]))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "route \"%.32s\" unfit for nftables",
					    job->routes[i]);
	for (size_t i = 0; i < job->addr_count; i++)
		if (job->addrs[i].addr.family != AF_INET && job->addrs[i].addr.family != AF_INET6)
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "job address %zu has no family", i);
	for (size_t i = 0; i < job->peer_count; i++)
		if (!prefix_is_network(&job->peers[i]))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "peer %zu has host bits set", i);
	for (size_t i = 0; i < job->router_count; i++)
		if (!prefix_is_network(&job->routers[i]))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "router %zu has host bits set", i);
	for (size_t i = 0; i < job->cluster_count; i++)
		if (!prefix_is_network(&job->cluster[i]))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "cluster subnet %zu has host bits set", i);
	return 0;
}

int netpolicy_validate_network(const struct netpolicy_network *net, struct jn_error *err)
{
	if (!is_plain_name(net->name) || !names_is_plain_ifname(net->bridge))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "network or bridge name unfit for nftables");
	for (size_t i = 0; i < net->subnet_count; i++)
		if (!prefix_is_network(&net->subnets[i]))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "subnet %zu has host bits set", i);
	for (size_t i = 0; i < net->protect_count; i++)
		if (!prefix_is_network(&net->protect[i]))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "protect entry %zu has host bits set", i);
	for (size_t i = 0; i < net->cluster_count; i++)
		if (!prefix_is_network(&net->cluster[i]))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "cluster subnet %zu has host bits set", i);
	return 0;
}

/* Which of the two tables exists in this version, by enum element_table. */
static int each_table_is_current(bool current[2], struct jn_error *err)
{
	static const uint8_t families[] = { [ELEMENT_INET] = NFPROTO_INET, [ELEMENT_BRIDGE] = NFPROTO_BRIDGE };
	char comment[128];
	bool exists;

	for (size_t i = 0; i < 2; i++) {
		if (nfquery_table(families[i], NETPOLICY_TABLE, &exists, comment, sizeof(comment), err) < 0)
			return -1;
		current[i] = exists && strcmp(comment, NETPOLICY_RULESET_ID) == 0;
	}
	return 0;
}

int netpolicy_tables_are_current(bool *current, struct jn_error *err)
{
	bool each[2];

	if (each_table_is_current(each, err) < 0)
		return -1;
	*current = each[ELEMENT_INET] && each[ELEMENT_BRIDGE];
	return 0;
}

/* Adding and deleting first makes the delete safe when a table is absent:
 * whatever was there is replaced, in the same transaction. */
static void load_templates(struct strbuf *batch)
{
	strbuf_printf(batch, "add table %s\ndelete table %s\nadd table %s\ndelete table %s\n", NETPOLICY_TABLE_INET,
		      NETPOLICY_TABLE_INET, NETPOLICY_TABLE_BRIDGE, NETPOLICY_TABLE_BRIDGE);
	strbuf_append(batch, netpolicy_template_inet);
	strbuf_append(batch, "\n");
	strbuf_append(batch, netpolicy_template_bridge);
	strbuf_append(batch, "\n");
}

static void add_pair(const struct jn_addr *src, const struct jn_addr *dst, const char *comment, void *ctx)
{
	render_pair_to(ctx, src, dst, comment);
}

struct rebuild {
	struct strbuf *batch;
	int groups_fd;
	bool pairs_pass;
};

static int rebuild_network(void *ctx, const struct netpolicy_network *net, struct jn_error *err)
{
	struct rebuild *r = ctx;

	if (r->pairs_pass)
		return 0;
	if (netpolicy_validate_network(net, err) < 0)
		return -1;
	render_network(r->batch, RENDER_ADD, net);
	return 0;
}

/* First pass: elements and the index; second: the pairs, each once from
 * its source, now that the index lists every job. */
static int rebuild_job(void *ctx, const struct netpolicy_job *job, struct jn_error *err)
{
	struct rebuild *r = ctx;
	struct render_sink sink = { .op = RENDER_ADD, .text = r->batch };

	if (netpolicy_validate_job(job, err) < 0)
		return -1;
	if (r->pairs_pass)
		return pairs_each(r->groups_fd, job, false, add_pair, &sink, err);
	render_job(r->batch, RENDER_ADD, job);
	return groups_add(r->groups_fd, job, err);
}

static int rebuild(int groups_fd, const struct netpolicy_restore *restore, struct strbuf *batch, struct jn_error *err)
{
	struct rebuild r = { .batch = batch, .groups_fd = groups_fd };
	struct netpolicy_visitor visitor = { .network = rebuild_network, .job = rebuild_job, .ctx = &r };

	if (groups_clear(groups_fd, err) < 0)
		return -1;
	load_templates(batch);
	if (restore == NULL || restore->each == NULL)
		return 0;
	if (restore->each(restore->ctx, &visitor, err) < 0)
		return jn_error_wrap(err, "restoring jobnet's elements");
	r.pairs_pass = true;
	if (restore->each(restore->ctx, &visitor, err) < 0)
		return jn_error_wrap(err, "restoring jobnet's pairs");
	return 0;
}

/* A UDP flow seen before a mapping existed (or towards the job that held
 * the port before) would keep bypassing the DNAT: forget those flows. A
 * loopback mapping's are the node's own flows to the relay's redirect. */
static int forget_udp_flows(const struct netpolicy_job *job, struct jn_error *err)
{
	for (size_t i = 0; i < job->map_count; i++) {
		const struct portmap *m = &job->maps[i];
		size_t forgotten;
		if (m->proto != IPPROTO_UDP)
			continue;
		if (conntrack_forget_port(IPPROTO_UDP, m->host_port, portmap_is_any(m) ? NULL : &m->host_ip, &forgotten,
					  err) < 0)
			return -1;
	}
	return 0;
}

static int run_batch(struct strbuf *batch, struct jn_error *err)
{
	if (strbuf_failed(batch))
		return jn_error_set(err, JN_ERR_NFTABLES, "out of memory building the nftables transaction");
	return nftrun(strbuf_text(batch), NULL, err);
}

/* The job's own elements and its pairs, both ways. */
static int render_job_and_pairs(int fd, struct render_sink *sink, const struct netpolicy_job *job, struct jn_error *err)
{
	render_job_to(sink, job);
	return pairs_each(fd, job, true, add_pair, sink, err);
}

static int attach_batch(int fd, bool current, const struct netpolicy_network *net,
			const struct netpolicy_network *old_net, const struct netpolicy_job *job,
			const struct netpolicy_restore *restore, struct strbuf *batch, struct jn_error *err)
{
	struct render_sink sink = { .op = RENDER_ADD, .text = batch };

	if (!current && rebuild(fd, restore, batch, err) < 0)
		return -1;
	if (old_net != NULL)
		render_network(batch, RENDER_DELETE, old_net);
	render_network(batch, RENDER_ADD, net);
	return job == NULL ? 0 : render_job_and_pairs(fd, &sink, job, err);
}

/* The job's elements and pairs straight to the kernel (nftwire.h), in
 * the tables skip does not mark (NULL: both). */
static int change_job_directly(int fd, enum render_op op, const struct netpolicy_job *job, const bool *skip,
			       struct jn_error *err)
{
	cleanup_nftwire struct nftwire wire;
	struct render_sink sink = { .op = op, .wire = &wire };

	if (skip != NULL)
		memcpy(sink.skip, skip, sizeof(sink.skip));

	nftwire_init(&wire);
	if (render_job_and_pairs(fd, &sink, job, err) < 0 || nftwire_commit(&wire, err) < 0)
		return -1;
	return 0;
}

/* The common ADD: jobnet's tables are current and the network's elements
 * are in from an earlier ADD of the same network (its bridge is listed:
 * every network element goes in with it, in one transaction). Only the
 * job's own elements and pairs are then new, and they go directly. A
 * network whose elements are missing, changed or were never added goes
 * through libnftables, which merges its subnets' intervals. */
static int network_in_place(bool current, const struct netpolicy_network *net, const struct netpolicy_network *old_net,
			    bool *in_place, struct jn_error *err)
{
	struct element bridge;

	*in_place = false;
	if (!current || old_net != NULL)
		return 0;
	render_network_bridge(net, &bridge);
	return nftwire_element_exists(&bridge, in_place, err);
}

int netpolicy_attach(const char *policy_dir, const struct netpolicy_network *net,
		     const struct netpolicy_network *old_net, const struct netpolicy_job *job,
		     const struct netpolicy_restore *restore, struct jn_error *err)
{
	cleanup_strbuf struct strbuf batch = STRBUF_INIT;
	cleanup_close int fd = -1;
	bool current, in_place = false;
	int rc = 0;

	if (netpolicy_validate_network(net, err) < 0 || (old_net && netpolicy_validate_network(old_net, err) < 0) ||
	    (job != NULL && netpolicy_validate_job(job, err) < 0))
		return -1;
	if (groups_open(policy_dir, true, &fd, err) < 0 || netpolicy_tables_are_current(&current, err) < 0 ||
	    (job != NULL && network_in_place(current, net, old_net, &in_place, err) < 0))
		return -1;
	/* The index entry goes in before the pairs and out after them (detach):
	 * whenever a process dies, the index lists every job that has pairs, so
	 * the DEL of either end of a pair finds it. */
	if (job != NULL && groups_add(fd, job, err) < 0)
		return -1;
	if (in_place)
		rc = change_job_directly(fd, RENDER_ADD, job, NULL, err);
	else if (attach_batch(fd, current, net, old_net, job, restore, &batch, err) < 0 || run_batch(&batch, err) < 0)
		rc = -1;
	if (rc < 0) {
		if (job != NULL)
			groups_remove(fd, job, NULL);
		return -1;
	}
	/* The tables were just loaded from the templates: remember their rules. */
	if (!current && ruleset_save(policy_dir, err) < 0)
		return -1;
	return job == NULL ? 0 : forget_udp_flows(job, err);
}

/* The mappings whose DNAT element is the job's own: under the same key the
 * kernel may hold another job's (this job's ADD died before it claimed the
 * port, which the other holds now), and that one must stay. */
static int own_maps(const struct netpolicy_job *job, struct portmap *out, size_t *count, struct jn_error *err)
{
	*count = 0;
	for (size_t i = 0; i < job->map_count; i++) {
		struct element e;
		char set[RENDER_SET_MAX];
		bool mine = false, exists;
		/* A loopback mapping's redirect is the job's when it names the
		 * job's relay port. */
		if (render_relay_element(&job->maps[i], NULL, &e, set) &&
		    nftwire_element_lookup(&e, &exists, &mine, err) < 0)
			return -1;
		for (size_t a = 0; !mine && a < job->addr_count; a++) {
			if (!render_map_targets(&job->maps[i], &job->addrs[a].addr))
				continue;
			render_map_element(&job->maps[i], &job->addrs[a].addr, NULL, &e, set);
			if (nftwire_element_lookup(&e, &exists, &mine, err) < 0)
				return -1;
		}
		if (mine)
			out[(*count)++] = job->maps[i];
	}
	return 0;
}

int netpolicy_detach(const char *policy_dir, const struct netpolicy_job *job, struct jn_error *err)
{
	struct portmap maps[JN_MAX_PORTMAPS];
	struct netpolicy_job own = *job;
	cleanup_close int fd = -1;
	bool current[2], skip[2];

	if (job->map_count > JN_MAX_PORTMAPS)
		return jn_error_set(err, JN_ERR_NFTABLES, "%zu port mappings: at most %d", job->map_count,
				    JN_MAX_PORTMAPS);
	if (netpolicy_validate_job(job, err) < 0 || groups_open(policy_dir, false, &fd, err) < 0 ||
	    each_table_is_current(current, err) < 0)
		return -1;
	/* A table that is gone (or of another version) holds no element of the
	 * job to remove; the other one still may. */
	skip[ELEMENT_INET] = !current[ELEMENT_INET];
	skip[ELEMENT_BRIDGE] = !current[ELEMENT_BRIDGE];
	if (current[ELEMENT_INET] && own_maps(job, maps, &own.map_count, err) < 0)
		return -1;
	own.maps = maps;
	if ((current[ELEMENT_INET] || current[ELEMENT_BRIDGE]) &&
	    change_job_directly(fd, RENDER_DELETE, &own, skip, err) < 0)
		return -1;
	return groups_remove(fd, job, err);
}

int netpolicy_forget_flows(const struct netpolicy_job *job, struct jn_error *err)
{
	struct jn_addr addrs[2];
	size_t forgotten;

	if (netpolicy_validate_job(job, err) < 0 || forget_udp_flows(job, err) < 0)
		return -1;
	for (size_t i = 0; i < job->addr_count; i++)
		addrs[i] = job->addrs[i].addr;
	return conntrack_forget(addrs, job->addr_count, &forgotten, err);
}

int netpolicy_change_remote(const struct netpolicy_job *gone, const struct netpolicy_job *added, size_t count,
			    bool *sent, struct jn_error *err)
{
	cleanup_nftwire struct nftwire wire;
	struct render_sink removal = { .op = RENDER_DELETE, .wire = &wire };
	struct render_sink addition = { .op = RENDER_ADD, .wire = &wire };
	bool current;

	*sent = false;
	for (size_t i = 0; i < count; i++)
		if (netpolicy_validate_job(&gone[i], err) < 0 || netpolicy_validate_job(&added[i], err) < 0)
			return -1;
	if (netpolicy_tables_are_current(&current, err) < 0)
		return -1;
	if (!current)
		return 0;
	nftwire_init(&wire);
	/* Every removal before any addition: a pair may move from one set to
	 * another (a peer that becomes a router). */
	for (size_t i = 0; i < count; i++)
		render_job_remote_to(&removal, &gone[i]);
	for (size_t i = 0; i < count; i++)
		render_job_remote_to(&addition, &added[i]);
	if (nftwire_commit(&wire, err) < 0)
		return -1;
	*sent = true;
	return 0;
}

int netpolicy_forget_peer_flows(const struct netpolicy_job *job, const struct jn_prefix *others, size_t count,
				struct jn_error *err)
{
	struct jn_addr addrs[2];
	size_t forgotten;

	for (size_t i = 0; i < job->addr_count && i < 2; i++)
		addrs[i] = job->addrs[i].addr;
	return conntrack_forget_between(addrs, job->addr_count, others, count, &forgotten, err);
}

/* Each line of a batch of "get element" commands on its own, to say which
 * elements are missing. */
static int report_missing(const struct strbuf *batch, netpolicy_missing_fn missing, void *ctx, struct jn_error *err)
{
	cleanup_free char *copy = strdup(strbuf_text(batch));
	char *cursor = copy, *line;

	if (copy == NULL)
		return jn_error_set(err, JN_ERR_NFTABLES, "out of memory");
	while ((line = strsep(&cursor, "\n")) != NULL) {
		bool absent;
		if (line[0] == '\0')
			continue;
		if (nftrun_allow_absent(line, &absent, err) < 0)
			return -1;
		if (absent)
			missing(ctx, line + strlen("get element "));
	}
	return 0;
}

int netpolicy_verify(const char *policy_dir, const struct netpolicy_network *net, const struct netpolicy_job *job,
		     netpolicy_missing_fn missing, void *ctx, struct jn_error *err)
{
	cleanup_strbuf struct strbuf batch = STRBUF_INIT;
	struct render_sink sink = { .op = RENDER_GET, .text = &batch };
	cleanup_close int fd = -1;
	bool current, absent;

	if (netpolicy_validate_network(net, err) < 0 || (job && netpolicy_validate_job(job, err) < 0) ||
	    groups_open(policy_dir, false, &fd, err) < 0 || netpolicy_tables_are_current(&current, err) < 0)
		return -1;
	if (!current) {
		missing(ctx, "jobnet's nftables tables (missing or from another version)");
		return 0;
	}
	render_network(&batch, RENDER_GET, net);
	if (job != NULL) {
		render_job(&batch, RENDER_GET, job);
		if (pairs_each(fd, job, false, add_pair, &sink, err) < 0)
			return -1;
	}
	if (strbuf_failed(&batch))
		return jn_error_set(err, JN_ERR_NFTABLES, "out of memory");
	/* All at once first: only when something is missing, one by one. */
	if (nftrun_allow_absent(strbuf_text(&batch), &absent, err) < 0)
		return -1;
	return absent ? report_missing(&batch, missing, ctx, err) : 0;
}

int netpolicy_job_lookups(const char *policy_dir, const struct netpolicy_job *job, struct strbuf *out,
			  struct jn_error *err)
{
	struct render_sink sink = { .op = RENDER_GET, .text = out };
	cleanup_close int fd = -1;

	if (netpolicy_validate_job(job, err) < 0 || groups_open(policy_dir, false, &fd, err) < 0)
		return -1;
	render_job(out, RENDER_GET, job);
	return pairs_each(fd, job, false, add_pair, &sink, err);
}

int netpolicy_orphans(const struct netpolicy_restore *restore, const struct netpolicy_network *remove_in,
		      netpolicy_missing_fn report, void *ctx, bool *judged, struct jn_error *err)
{
	struct orphans_scope scope = { .subnets = remove_in ? remove_in->subnets : NULL,
				       .subnet_count = remove_in ? remove_in->subnet_count : 0 };

	return orphans_find(restore, remove_in ? &scope : NULL, report, ctx, judged, err);
}

int netpolicy_list(const char *command, char **out, struct jn_error *err)
{
	return nftrun(command, out, err);
}

int netpolicy_repair(const char *policy_dir, const struct netpolicy_restore *restore, struct jn_error *err)
{
	cleanup_strbuf struct strbuf batch = STRBUF_INIT;
	cleanup_close int fd = -1;

	if (groups_open(policy_dir, true, &fd, err) < 0 || rebuild(fd, restore, &batch, err) < 0 ||
	    run_batch(&batch, err) < 0)
		return -1;
	return ruleset_save(policy_dir, err);
}

int netpolicy_verify_rules(const char *policy_dir, netpolicy_missing_fn report, void *ctx, struct jn_error *err)
{
	bool current;

	if (netpolicy_tables_are_current(&current, err) < 0)
		return -1;
	return current ? ruleset_compare(policy_dir, report, ctx, err) : 0;
}

struct bridge_walk {
	netpolicy_bridge_fn fn;
	void *ctx;
};

/* An ifname key is the name, NUL-padded to IFNAMSIZ. */
static void on_bridge(const struct nfdump_element *e, void *ctx)
{
	struct bridge_walk *w = ctx;
	char name[JN_IFNAME_MAX + 1];
	size_t n = e->key_len < JN_IFNAME_MAX ? e->key_len : JN_IFNAME_MAX;

	memcpy(name, e->key, n);
	name[n] = '\0';
	w->fn(name, w->ctx);
}

int netpolicy_each_bridge(netpolicy_bridge_fn fn, void *ctx, struct jn_error *err)
{
	struct bridge_walk w = { .fn = fn, .ctx = ctx };

	return nfdump_set(NFPROTO_INET, "bridges", on_bridge, &w, err);
}

int netpolicy_probe(struct jn_error *err)
{
	cleanup_strbuf struct strbuf batch = STRBUF_INIT;

	strbuf_append(&batch, netpolicy_template_inet);
	strbuf_append(&batch, netpolicy_template_bridge);
	if (strbuf_failed(&batch))
		return jn_error_set(err, JN_ERR_NOT_AVAILABLE, "out of memory");
	if (nftrun_dry_run(strbuf_text(&batch), err) < 0) {
		jn_error_recode(err, JN_ERR_NOT_AVAILABLE);
		return jn_error_wrap(err, "the kernel does not take jobnet's nftables ruleset");
	}
	return 0;
}
