#include "policy.h"

#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "state.h"

void policy_job_from_attachment(const struct attachment *a, struct netpolicy_job *job)
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
}

int policy_lock(const char *state_dir, int *fd, struct jn_error *err)
{
	return state_lock_node(state_dir, JN_POLICY_LOCK, JN_STATE_LOCK_TIMEOUT, fd, err);
}

int policy_attach_locked(const char *state_dir, const struct netrecord *rec, const struct attachment *a,
			 struct jn_error *err)
{
	struct netpolicy_restore restore = { .fn = policy_restore_all, .ctx = (void *)state_dir };
	struct netpolicy_network net;
	struct netpolicy_job job;

	policy_network_from_record(rec, &net);
	if (a == NULL)
		return netpolicy_attach(&net, NULL, &restore, err);
	policy_job_from_attachment(a, &job);
	return netpolicy_attach(&net, &job, &restore, err);
}

int policy_detach(const char *state_dir, const struct attachment *a, struct jn_error *err)
{
	cleanup_close int lock = -1;
	struct netpolicy_job job;

	if (strcmp(a->mode, "bridge") != 0)
		return 0;
	if (policy_lock(state_dir, &lock, err) < 0)
		return -1;
	policy_job_from_attachment(a, &job);
	return netpolicy_detach(&job, err);
}

int policy_check(const struct netrecord *rec, const struct attachment *a, struct jn_error *err)
{
	struct netpolicy_network net;
	struct netpolicy_job job;

	policy_network_from_record(rec, &net);
	policy_job_from_attachment(a, &job);
	return netpolicy_check(&net, &job, err);
}

int policy_repair(const char *state_dir, struct jn_error *err)
{
	struct netpolicy_restore restore = { .fn = policy_restore_all, .ctx = (void *)state_dir };
	cleanup_close int lock = -1;

	if (policy_lock(state_dir, &lock, err) < 0)
		return -1;
	return netpolicy_repair(&restore, err);
}

struct restore_walk {
	const char *state_dir;
	struct strbuf *batch;
	struct jn_error *err;
};

static int restore_job(struct state_network *net, const char *key, void *data)
{
	struct restore_walk *walk = data;
	struct jn_error ignored = { 0 };
	struct attachment a;
	struct netpolicy_job job;

	/* A record that does not read is skipped, not fatal: the table must
	 * come back for every other job. jobnetctl verify reports it. */
	if (state_read_attachment_key(net, key, &a, &ignored) < 0) {
		log_warn("restoring elements: skipping record %s/attachments/%s: %s", net->path, key, ignored.msg);
		return 0;
	}
	/* Only finished bridge attachments own elements; an ADD in progress
	 * adds its own once it holds the policy lock. */
	if (a.complete && strcmp(a.mode, "bridge") == 0) {
		policy_job_from_attachment(&a, &job);
		netpolicy_render_job(walk->batch, &job);
	}
	attachment_free(&a);
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
		netpolicy_render_network(walk->batch, &pnet);
		rc = state_each_attachment(&net, restore_job, walk, walk->err);
	}
	state_close(&net);
	return rc;
}

int policy_restore_all(struct strbuf *batch, void *state_dir, struct jn_error *err)
{
	struct restore_walk walk = { .state_dir = state_dir, .batch = batch, .err = err };

	return state_each_network(state_dir, restore_network, &walk, err);
}
