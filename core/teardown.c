#include "core/teardown.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "core/ipam.h"
#include "kernel/link.h"
#include "base/log.h"
#include "core/mappings.h"
#include "core/policy.h"
#include "core/ports.h"

/* A veth whose host end is down forwards nothing: from then on the job
 * cannot send. A job without a veth (host mode) is silent already. */
static int silence_host_veth(const struct attachment *a, struct jn_error *err)
{
	cleanup_nl_sock struct nl_sock *sk = NULL;

	if (a->host_veth[0] == '\0')
		return 0;
	if (link_socket_open(&sk, err) < 0)
		return -1;
	return link_set_down(sk, a->host_veth, err);
}

/* Deleting one end of a veth deletes both: the job's side goes too. The
 * kernel then waits for RCU grace periods (10-20 ms) with nothing to do,
 * so once the veth is down its deletion runs in a thread while the job's
 * elements and connections go. */
struct veth_removal {
	const struct attachment *a;
	pthread_t thread;
	bool threaded;
	int rc;
	struct jn_error err;
};

static void remove_host_veth(struct veth_removal *r)
{
	cleanup_nl_sock struct nl_sock *sk = NULL;

	r->rc = 0;
	if (r->a->host_veth[0] == '\0')
		return;
	if (link_socket_open(&sk, &r->err) < 0 || link_delete(sk, r->a->host_veth, &r->err) < 0)
		r->rc = -1;
}

static void *veth_removal_thread(void *data)
{
	remove_host_veth(data);
	return NULL;
}

static void start_veth_removal(struct veth_removal *r)
{
	r->threaded = r->a->host_veth[0] != '\0' && pthread_create(&r->thread, NULL, veth_removal_thread, r) == 0;
	if (!r->threaded)
		remove_host_veth(r);
}

static int finish_veth_removal(struct veth_removal *r, struct jn_error *err)
{
	if (r->threaded)
		pthread_join(r->thread, NULL);
	r->threaded = false;
	if (r->rc < 0)
		jn_error_keep_first(err, &r->err);
	return r->rc;
}

/* A bridge job always has an address; without one (a stand-in record that
 * found no reservation) no element can be left either. */
static int detach_elements(const char *state_dir, const struct attachment *a, struct jn_error *err)
{
	return a->addr_count > 0 ? policy_detach(state_dir, a, err) : 0;
}

static int forget_flows(const struct attachment *a, struct jn_error *err)
{
	return a->addr_count > 0 ? policy_forget_flows(a, err) : 0;
}

static int release_addresses(struct state_network *net, const struct attachment *a, struct jn_error *err)
{
	char owner[JN_ATTACHMENT_KEY_MAX];
	int rc = 0;

	names_attachment_key(a->container_id, a->ifname, owner);
	for (size_t i = 0; i < a->addr_count; i++)
		if (ipam_release(net, &a->addrs[i].addr, owner, err) < 0)
			rc = -1;
	return rc;
}

struct owner_claims {
	const char *owner;
	struct jn_error *err;
	int rc;
};

static bool held_by_another(const char *owner, void *data)
{
	return strcmp(owner, ((struct owner_claims *)data)->owner) != 0;
}

static void note_release(const char *owner, const char *claim, const struct jn_error *failure, void *data)
{
	struct owner_claims *c = data;

	log_info("releasing host port claim %s of %s, which its record does not name", claim, owner);
	if (jn_error_is_set(failure)) {
		jn_error_keep_first(c->err, failure);
		c->rc = -1;
	}
}

/* A stand-in record lists no mapping, and the record of an ADD that died
 * before it finished still has hostPort 0 where the ADD picked a port:
 * release by owner. Cheap enough on these rare paths (one directory per
 * mapped port). */
static int release_claims_of(const char *state_dir, const struct attachment *a, struct jn_error *err)
{
	char owner[PORTS_OWNER_MAX];
	struct owner_claims c = { .owner = owner, .err = err };

	ports_owner(a->network, a->container_id, a->ifname, owner);
	if (ports_drop_claims_unless(state_dir, held_by_another, note_release, &c, err) < 0)
		return -1;
	return c.rc;
}

/* The veth, the job's elements and its conntrack entries. *policy_gone
 * tells whether the elements and entries are gone: until they are, the
 * job's addresses and host ports must not go to another job. */
static int remove_kernel_side(const char *state_dir, const struct attachment *a, bool *policy_gone,
			      struct jn_error *err)
{
	struct veth_removal veth = { .a = a };
	int silenced = silence_host_veth(a, err), detached = -1, forgotten, removed;

	if (silenced == 0) {
		start_veth_removal(&veth);
		detached = detach_elements(state_dir, a, err);
		forgotten = forget_flows(a, err);
		removed = finish_veth_removal(&veth, err);
	} else {
		/* A veth that does not go down keeps the job's elements until
		 * it is gone. */
		remove_host_veth(&veth);
		removed = finish_veth_removal(&veth, err);
		if (removed == 0)
			detached = detach_elements(state_dir, a, err);
		forgotten = forget_flows(a, err);
	}
	*policy_gone = detached == 0 && forgotten == 0;
	return silenced == 0 && removed == 0 && *policy_gone ? 0 : -1;
}

/* The record lists an address before ADD reserves it: an ADD that died in
 * between leaves a record naming an address the next ADD may have taken.
 * Its elements and connections are that job's now: an address reserved by
 * another attachment that has a record is not this one's. One reserved by
 * none (never reserved, or the reservation was lost) or by a name without
 * a record (damaged) is cleaned as its own. The copy shares a's
 * allocations and is not freed. */
static int own_addresses(struct state_network *net, const struct attachment *a, struct attachment *own,
			 struct jn_error *err)
{
	char key[JN_ATTACHMENT_KEY_MAX], owner[JN_ATTACHMENT_KEY_MAX];

	*own = *a;
	if (net->dir_fd < 0)
		return 0;
	names_attachment_key(a->container_id, a->ifname, key);
	own->addr_count = 0;
	for (size_t i = 0; i < a->addr_count; i++) {
		int rc = ipam_owner(net, &a->addrs[i].addr, owner, err);
		if (rc < 0)
			return -1;
		if (rc == 1 && strcmp(owner, key) != 0 && state_has_record(net, owner))
			continue;
		own->addrs[own->addr_count] = a->addrs[i];
		own->gateways[own->addr_count++] = a->gateways[i];
	}
	return 0;
}

int teardown_attachment(const char *state_dir, struct state_network *net, const struct attachment *a,
			enum teardown_source source, struct jn_error *err)
{
	bool stand_in = source == TEARDOWN_NO_RECORD || source == TEARDOWN_UNREADABLE, policy_gone = false;
	struct attachment own;
	int rc = 0;

	/* The relay first (it serves through the veth), then the veth goes
	 * down: from then on the job cannot send, so removing its elements and
	 * flushing its connections cannot race with its traffic. The relay of
	 * a stand-in (its pid was in the lost record) ends by itself when the
	 * veth goes. */
	if (mappings_stop_relay(a, err) < 0)
		rc = -1;
	if (own_addresses(net, a, &own, err) < 0 || remove_kernel_side(state_dir, &own, &policy_gone, err) < 0)
		rc = -1;
	/* An address or host port whose elements or flows are left stays
	 * reserved, so no new job inherits them; the record stays too, and a
	 * later DEL or GC finishes. */
	if (policy_gone) {
		if (mappings_release_ports(state_dir, a, err) < 0)
			rc = -1;
		if ((stand_in || !a->complete) && release_claims_of(state_dir, a, err) < 0)
			rc = -1;
		if (release_addresses(net, a, err) < 0)
			rc = -1;
	}
	/* The unreadable record is skipped by the rebuild, so the tables come
	 * back with every element but this attachment's. */
	if (source == TEARDOWN_UNREADABLE && rc == 0) {
		log_warn("rebuilding the tables without %s/%s, whose record and copy are unreadable", a->container_id,
			 a->ifname);
		if (policy_repair(state_dir, err) < 0)
			rc = -1;
	}
	/* The record goes last: while anything above failed it is how a
	 * later DEL or GC finds what is left. */
	if (rc == 0 && state_remove_attachment(net, a->container_id, a->ifname, err) < 0)
		rc = -1;
	if (rc < 0)
		log_warn("removing %s/%s left something behind: %s", a->container_id, a->ifname, err->msg);
	return rc;
}

struct owned_walk {
	const char *owner;
	struct attachment *out;
};

static int collect_owned(struct state_network *net, const char *address, const char *owner, void *data)
{
	struct owned_walk *walk = data;
	struct attachment *a = walk->out;
	struct jn_prefix p;

	(void)net;
	if (strcmp(owner, walk->owner) != 0 || a->addr_count == JN_MAX_ADDRS || !prefix_parse(address, false, &p))
		return 0;
	a->addrs[a->addr_count] = p;
	a->gateways[a->addr_count] = p.addr;
	a->addr_count++;
	return 0;
}

static int reconstruct(struct state_network *net, const char *network, const char *container_id, const char *ifname,
		       struct attachment *out, struct jn_error *err)
{
	char owner[JN_ATTACHMENT_KEY_MAX];
	struct owned_walk walk = { .owner = owner, .out = out };

	attachment_init(out);
	strcpy(out->container_id, container_id);
	strcpy(out->ifname, ifname);
	strcpy(out->network, network);
	strcpy(out->mode, "bridge");
	names_host_veth(network, container_id, ifname, out->host_veth);
	names_container_mac(network, container_id, ifname, out->mac);
	names_attachment_key(container_id, ifname, owner);
	/* Without a record, the reservations are the only list of addresses:
	 * a scan, but only on this rare path. */
	if (net->dir_fd < 0)
		return 0;
	return ipam_each(net, collect_owned, &walk, err);
}

int teardown_find(struct state_network *net, const char *network, const char *container_id, const char *ifname,
		  struct attachment *out, enum teardown_source *source, struct jn_error *err)
{
	char key[JN_ATTACHMENT_KEY_MAX];
	struct jn_error unreadable = { 0 };
	int rc;

	*source = TEARDOWN_NO_RECORD;
	attachment_init(out);
	if (net->dir_fd < 0)
		return reconstruct(net, network, container_id, ifname, out, err);
	names_attachment_key(container_id, ifname, key);
	rc = state_read_attachment_key(net, key, out, &unreadable);
	if (rc == 0) {
		*source = TEARDOWN_RECORD;
		return 0;
	}
	attachment_free(out);
	/* A missing record: an attachment never made, or already removed. */
	if (jn_error_absorb(&unreadable, ENOENT))
		return reconstruct(net, network, container_id, ifname, out, err);
	log_warn("%s; using its copy", unreadable.msg);
	jn_error_clear(&unreadable);
	rc = state_read_attachment_copy(net, key, out, &unreadable);
	if (rc == 0 && strcmp(out->container_id, container_id) == 0 && strcmp(out->ifname, ifname) == 0) {
		*source = TEARDOWN_COPY;
		return 0;
	}
	attachment_free(out);
	log_warn("the copy of %s does not read either (%s); removing what its name and reservations tell", key,
		 jn_error_errnum(&unreadable) == ENOENT ? "missing" : unreadable.msg);
	*source = TEARDOWN_UNREADABLE;
	return reconstruct(net, network, container_id, ifname, out, err);
}
