#include "core/policy.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "core/state.h"
#include "core/statelayout.h"

void policy_job_from_attachment(const struct attachment *a, const struct netrecord *rec, struct netpolicy_job *job)
{
	memset(job, 0, sizeof(*job));
	job->container_id = a->container_id;
	job->ifname = a->ifname;
	job->network = a->network;
	job->host_veth = a->host_veth;
	memcpy(job->mac, a->mac, 6);
	for (size_t i = 0; i < a->addr_count; i++)
		job->addrs[i] = a->addrs[i];
	job->addr_count = a->addr_count;
	job->group = a->facts.group;
	job->router = a->facts.role == JN_ROLE_ROUTER;
	job->routes = a->facts.routes;
	job->route_count = a->facts.route_count;
	job->peers = a->facts.peers;
	job->peer_count = a->facts.peer_count;
	job->routers = a->facts.routers;
	job->router_count = a->facts.router_count;
	if (rec != NULL) {
		job->cluster = rec->cluster.subnets;
		job->cluster_count = rec->cluster.subnet_count;
	}
	job->maps = a->maps;
	job->map_count = a->map_count;
}

void policy_network_from_record(const struct netrecord *rec, struct netpolicy_network *net)
{
	memset(net, 0, sizeof(*net));
	net->name = rec->name;
	net->bridge = rec->bridge;
	for (size_t i = 0; i < rec->subnet_count; i++)
		net->subnets[i] = rec->subnets[i];
	net->subnet_count = rec->subnet_count;
	net->masquerade = rec->ip_masq;
	net->protect = rec->protect;
	net->protect_count = rec->protect_count;
	net->services = rec->services;
	net->service_count = rec->service_count;
	net->cluster = rec->cluster.subnets;
	net->cluster_count = rec->cluster.subnet_count;
}

static void policy_dir(const char *state_dir, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/%s", state_dir, JN_STATE_POLICY_DIR);
}

int policy_lock(const char *state_dir, int *fd, struct jn_error *err)
{
	return state_lock_node(state_dir, JN_STATE_POLICY_LOCK, JN_STATE_LOCK_TIMEOUT, fd, err);
}

struct restore_walk {
	const char *state_dir;
	const struct netpolicy_visitor *visitor;
	const struct netrecord *rec; /* of the network being walked */
	struct jn_error *err;
};

static int restore_job(struct state_network *net, const char *key, void *data)
{
	struct restore_walk *walk = data;
	struct jn_error skipped = { 0 };
	struct attachment a;
	struct netpolicy_job job;
	int rc = 0;

	/* A record that does not read is skipped, not fatal: the tables must
	 * come back for every other job. jobnetctl verify reports it. */
	if (state_read_attachment_key(net, key, &a, &skipped) < 0) {
		log_warn("restoring elements: skipping record %s/attachments/%s: %s", net->path, key, skipped.msg);
		if (walk->visitor->unreadable != NULL)
			walk->visitor->unreadable(walk->visitor->ctx);
		return 0;
	}
	/* Only finished bridge attachments own elements; an ADD in progress
	 * adds its own once it holds the policy lock. */
	if (a.complete && strcmp(a.mode, "bridge") == 0) {
		policy_job_from_attachment(&a, walk->rec, &job);
		rc = walk->visitor->job(walk->visitor->ctx, &job, walk->err);
	}
	attachment_free(&a);
	return rc;
}

static int note_unvisited(struct state_network *net, const char *key, void *data)
{
	struct restore_walk *walk = data;

	(void)net;
	(void)key;
	walk->visitor->unreadable(walk->visitor->ctx);
	return 0;
}

static int restore_network(const char *name, void *data)
{
	struct restore_walk *walk = data;
	struct state_network net;
	struct netrecord rec;
	struct netpolicy_network pnet;
	bool found;
	int rc;

	/* Records are replaced by rename, so reading without the network's
	 * lock sees whole files; taking it here could deadlock with an ADD. */
	if (state_open(walk->state_dir, name, false, &net, walk->err) < 0)
		return -1;
	if (net.dir_fd < 0)
		return 0;
	rc = netrecord_read(&net, &rec, &found, walk->err);
	if (rc == 0 && found) {
		policy_network_from_record(&rec, &pnet);
		walk->rec = &rec;
		rc = walk->visitor->network(walk->visitor->ctx, &pnet, walk->err);
		if (rc == 0)
			rc = state_each_attachment(&net, restore_job, walk, walk->err);
	} else if (rc == 0 && walk->visitor->unreadable != NULL) {
		/* Jobs of a network without its record are not visited. */
		rc = state_each_attachment(&net, note_unvisited, walk, walk->err);
	}
	state_close(&net);
	return rc;
}

static int restore_all(void *ctx, const struct netpolicy_visitor *visitor, struct jn_error *err)
{
	struct restore_walk walk = { .state_dir = ctx, .visitor = visitor, .err = err };

	return state_each_network(walk.state_dir, restore_network, &walk, err);
}

int policy_attach_locked(const char *state_dir, const struct netrecord *rec, const struct netrecord *old,
			 const struct attachment *a, struct jn_error *err)
{
	struct netpolicy_restore restore = { .each = restore_all, .ctx = (void *)state_dir };
	struct netpolicy_network net, old_net;
	struct netpolicy_job job;
	char dir[PATH_MAX];

	policy_dir(state_dir, dir);
	policy_network_from_record(rec, &net);
	if (a != NULL)
		policy_job_from_attachment(a, rec, &job);
	/* The records (this one's included) already say the new cluster: the
	 * rebuild leaves none of the old network's elements. */
	if (old != NULL && !cluster_same_subnets(&old->cluster, &rec->cluster)) {
		if (netpolicy_repair(dir, &restore, err) < 0)
			return -1;
		old = NULL;
	}
	if (old != NULL)
		policy_network_from_record(old, &old_net);
	return netpolicy_attach(dir, &net, old ? &old_net : NULL, a ? &job : NULL, &restore, err);
}

int policy_detach(const char *state_dir, const struct attachment *a, struct jn_error *err)
{
	cleanup_close int lock = -1;
	struct netpolicy_job job;
	char dir[PATH_MAX];

	if (strcmp(a->mode, "bridge") != 0)
		return 0;
	if (policy_lock(state_dir, &lock, err) < 0)
		return -1;
	policy_dir(state_dir, dir);
	policy_job_from_attachment(a, NULL, &job);
	return netpolicy_detach(dir, &job, err);
}

int policy_forget_flows(const struct attachment *a, struct jn_error *err)
{
	struct netpolicy_job job;

	if (strcmp(a->mode, "bridge") != 0)
		return 0;
	policy_job_from_attachment(a, NULL, &job);
	return netpolicy_forget_flows(&job, err);
}

int policy_verify(const char *state_dir, const struct netrecord *rec, const struct attachment *a,
		  netpolicy_missing_fn missing, void *ctx, struct jn_error *err)
{
	struct netpolicy_network net;
	struct netpolicy_job job;
	char dir[PATH_MAX];

	policy_dir(state_dir, dir);
	policy_network_from_record(rec, &net);
	if (a != NULL)
		policy_job_from_attachment(a, rec, &job);
	return netpolicy_verify(dir, &net, a ? &job : NULL, missing, ctx, err);
}

/* "table inet jobnet {\n\tset job_addrs4 {...elements = { X }" -> "inet jobnet job_addrs4: X" */
static void summarize(const char *listing, char *out, size_t size)
{
	const char *table = strstr(listing, "table "), *set = strstr(listing, "\tset "), *elements;
	int table_len, set_len;

	if (set == NULL)
		set = strstr(listing, "\tmap ");
	elements = strstr(listing, "elements = { ");
	if (table == NULL || set == NULL || elements == NULL) {
		snprintf(out, size, "%s", listing);
		return;
	}
	table_len = (int)(strstr(table, " {") ? strstr(table, " {") - (table + 6) : 0);
	set_len = (int)strcspn(set + 5, " {");
	elements += strlen("elements = { ");
	snprintf(out, size, "%.*s %.*s: %.*s", table_len, table + 6, set_len, set + 5,
		 (int)strcspn(elements, "}\n") - 1, elements);
}

static int show_line(const char *line, policy_element_fn fn, void *ctx)
{
	char summary[512];
	cleanup_free char *listing = NULL;
	struct jn_error absent = { 0 };

	if (netpolicy_list(line, &listing, &absent) < 0) {
		snprintf(summary, sizeof(summary), "MISSING %s", line + strlen("get element "));
		fn(ctx, summary);
		return 0;
	}
	summarize(listing, summary, sizeof(summary));
	fn(ctx, summary);
	return 0;
}

/* The network's record, read without its lock (records are replaced by
 * rename, so a reader sees a whole one). */
static int read_network_record(const char *state_dir, const char *network, struct netrecord *rec, bool *found,
			       struct jn_error *err)
{
	struct state_network net;
	int rc;

	*found = false;
	if (state_open(state_dir, network, false, &net, err) < 0)
		return -1;
	rc = netrecord_read(&net, rec, found, err);
	state_close(&net);
	return rc;
}

int policy_show_elements(const char *state_dir, const struct attachment *a, policy_element_fn fn, void *ctx,
			 struct jn_error *err)
{
	cleanup_strbuf struct strbuf lookups = STRBUF_INIT;
	struct netpolicy_job job;
	struct netrecord rec;
	bool found;
	char dir[PATH_MAX], *cursor, *line;
	cleanup_free char *copy = NULL;

	if (strcmp(a->mode, "bridge") != 0)
		return 0;
	policy_dir(state_dir, dir);
	if (read_network_record(state_dir, a->network, &rec, &found, err) < 0)
		return -1;
	policy_job_from_attachment(a, found ? &rec : NULL, &job);
	if (netpolicy_job_lookups(dir, &job, &lookups, err) < 0)
		return -1;
	copy = strdup(strbuf_text(&lookups));
	if (copy == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	cursor = copy;
	while ((line = strsep(&cursor, "\n")) != NULL)
		if (line[0] != '\0')
			show_line(line, fn, ctx);
	return 0;
}

int policy_verify_rules(const char *state_dir, netpolicy_missing_fn report, void *ctx, struct jn_error *err)
{
	char dir[PATH_MAX];

	policy_dir(state_dir, dir);
	return netpolicy_verify_rules(dir, report, ctx, err);
}

int policy_orphans(const char *state_dir, const struct netrecord *remove_in, netpolicy_missing_fn report, void *ctx,
		   bool *judged, struct jn_error *err)
{
	struct netpolicy_restore restore = { .each = restore_all, .ctx = (void *)state_dir };
	struct netpolicy_network net;
	cleanup_close int lock = -1;

	*judged = false;
	if (remove_in != NULL)
		policy_network_from_record(remove_in, &net);
	if (policy_lock(state_dir, &lock, err) < 0)
		return -1;
	return netpolicy_orphans(&restore, remove_in ? &net : NULL, report, ctx, judged, err);
}

int policy_repair_locked(const char *state_dir, struct jn_error *err)
{
	struct netpolicy_restore restore = { .each = restore_all, .ctx = (void *)state_dir };
	char dir[PATH_MAX];

	policy_dir(state_dir, dir);
	return netpolicy_repair(dir, &restore, err);
}

int policy_repair(const char *state_dir, struct jn_error *err)
{
	cleanup_close int lock = -1;

	if (policy_lock(state_dir, &lock, err) < 0)
		return -1;
	return policy_repair_locked(state_dir, err);
}

int policy_check_peers(const struct netrecord *rec, const struct jobfacts *facts, struct jn_error *err)
{
	char peer[JN_ADDR_STRLEN], host[JN_ADDR_STRLEN];

	for (size_t i = 0; i < facts->peer_count; i++) {
		for (size_t p = 0; p < rec->protect_count; p++) {
			const struct jn_prefix *protect = &rec->protect[p];
			if (protect->len != addr_bits(protect->addr.family) ||
			    !prefix_contains(&facts->peers[i], &protect->addr))
				continue;
			return jn_error_set(err, JN_ERR_INVALID_CONFIG,
					    "invalid fact \"peers\": %s covers the protected address %s",
					    prefix_format(&facts->peers[i], peer), addr_format(&protect->addr, host));
		}
	}
	return 0;
}
