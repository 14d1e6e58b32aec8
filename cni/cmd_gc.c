/* GC: remove every attachment of this network that the runtime no longer
 * lists in cni.dev/valid-attachments, every reservation and host port claim
 * whose owner is neither recorded nor listed, and temporary files a killed
 * writer left. Goes on past individual failures and reports
 * them together at the end.
 */
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "core/cniversion.h"
#include "core/ipam.h"
#include "base/log.h"
#include "cni/plugin.h"
#include "core/policy.h"
#include "core/ports.h"
#include "core/state.h"
#include "core/teardown.h"

struct gc_run {
	struct plugin *p;
	size_t removed;
	size_t failed;
	struct jn_error first; /* first failure, reported at the end */
};

static bool is_valid(const struct gc_run *run, const char *key)
{
	json_t *item;
	size_t i;

	json_array_foreach (run->p->conf.valid_attachments, i, item) {
		char valid[JN_ATTACHMENT_KEY_MAX];
		const char *cid = json_string_value(json_object_get(item, "containerID"));
		const char *ifname = json_string_value(json_object_get(item, "ifname"));
		if (!names_is_valid_id(cid) || !names_is_valid_ifname(ifname))
			continue;
		names_attachment_key(cid, ifname, valid);
		if (strcmp(valid, key) == 0)
			return true;
	}
	return false;
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

static void note_failure(struct gc_run *run, const struct jn_error *err)
{
	run->failed++;
	jn_error_keep_first(&run->first, err);
}

static int collect_stale(struct state_network *net, const char *key, void *data)
{
	struct gc_run *run = data;
	struct jn_error err = { 0 };
	char cid[JN_ID_MAX + 1], ifname[JN_IFNAME_MAX + 1];
	struct attachment a;
	enum teardown_source source;

	if (is_valid(run, key))
		return 0;
	if (!split_key(key, cid, ifname)) {
		log_warn("GC: ignoring unexpected file %s/attachments/%s", net->path, key);
		return 0;
	}
	if (teardown_find(net, run->p->conf.name, cid, ifname, &a, &source, &err) < 0) {
		note_failure(run, &err);
		return 0;
	}
	if (teardown_attachment(run->p->conf.state_dir, net, &a, source, &err) < 0)
		note_failure(run, &err);
	else
		run->removed++;
	attachment_free(&a);
	return 0;
}

static bool listed(const char *owner, void *data)
{
	return is_valid(data, owner);
}

static void note_released_address(const char *address, const char *owner, const struct jn_error *failure, void *data)
{
	log_info("GC: releasing %s, reserved by %s which has no record", address, owner);
	if (jn_error_is_set(failure))
		note_failure(data, failure);
}

struct claim_walk {
	struct gc_run *run;
	struct state_network *net;
};

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
 * is listed or recorded. A claim whose owner names nothing (damaged) goes. */
static bool claim_in_use(const char *owner, void *data)
{
	struct claim_walk *walk = data;
	char network[JN_ID_MAX + 1], key[JN_ATTACHMENT_KEY_MAX];

	if (!split_owner(owner, network, key))
		return false;
	return strcmp(network, walk->run->p->conf.name) != 0 || is_valid(walk->run, key) ||
		state_has_record(walk->net, key);
}

static void note_released_claim(const char *owner, const char *claim, const struct jn_error *failure, void *data)
{
	struct claim_walk *walk = data;

	log_info("GC: releasing host port %s, claimed by \"%s\", which has no record", claim, owner);
	if (jn_error_is_set(failure))
		note_failure(walk->run, failure);
}

static int release_orphan_claims(struct gc_run *run, struct state_network *net, struct jn_error *err)
{
	struct claim_walk walk = { .run = run, .net = net };
	cleanup_close int lock = -1;

	/* Claims are made under the policy lock. */
	if (policy_lock(run->p->conf.state_dir, &lock, err) < 0)
		return -1;
	return ports_drop_claims_unless(run->p->conf.state_dir, claim_in_use, note_released_claim, &walk, err);
}

int cmd_gc(struct plugin *p, json_t **result, struct jn_error *err)
{
	struct gc_run run = { .p = p };
	struct state_network net;

	*result = NULL;
	if (!cniversion_at_least(p->conf.cni_version, "1.1.0"))
		return jn_error_set(err, JN_ERR_INCOMPATIBLE_VERSION, "GC needs cniVersion 1.1.0 or later, got %s",
				    p->conf.cni_version);
	if (p->conf.valid_attachments == NULL)
		return jn_error_set(
			err, JN_ERR_INVALID_CONFIG,
			"missing \"cni.dev/valid-attachments\": GC will not guess which attachments are stale");
	if (state_open(p->conf.state_dir, p->conf.name, false, &net, err) < 0)
		return -1;
	net.lock_timeout = p->conf.lock_timeout;
	if (net.dir_fd >= 0 &&
	    (state_lock(&net, err) < 0 || state_each_attachment(&net, collect_stale, &run, err) < 0 ||
	     ipam_release_orphans(&net, listed, note_released_address, &run, err) < 0 ||
	     release_orphan_claims(&run, &net, err) < 0 || state_sweep_temporaries(&net, err) < 0)) {
		state_close(&net);
		return -1;
	}
	state_close(&net);
	log_info("GC removed %zu stale attachment(s), %zu failed", run.removed, run.failed);
	if (run.failed == 0)
		return 0;
	jn_error_keep_first(err, &run.first);
	return jn_error_wrap(err, "GC could not remove %zu stale attachment(s); the first failure", run.failed);
}
