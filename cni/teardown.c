#include "teardown.h"

#include <string.h>

#include "cleanup.h"
#include "ipam.h"
#include "link.h"
#include "log.h"
#include "mappings.h"
#include "policy.h"

static int remove_host_veth(const struct attachment *a, struct jn_error *err)
{
	cleanup_nl_sock struct nl_sock *sk = NULL;

	if (a->host_veth[0] == '\0')
		return 0;
	/* Deleting one end of a veth deletes both: the job's side goes too. */
	if (link_socket_open(&sk, err) < 0)
		return -1;
	return link_delete(sk, a->host_veth, err);
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

int teardown_attachment(const char *state_dir, struct state_network *net, const struct attachment *a,
			struct jn_error *err)
{
	int rc = 0;

	/* A bridge job always has an address; without one (a stand-in record
	 * that found no reservation) no element can be left either. */
	if (a->addr_count > 0 && policy_detach(state_dir, a, err) < 0)
		rc = -1;
	if (mappings_remove(state_dir, a, err) < 0)
		rc = -1;
	if (remove_host_veth(a, err) < 0)
		rc = -1;
	if (release_addresses(net, a, err) < 0)
		rc = -1;
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

int teardown_reconstruct(struct state_network *net, const char *network, const char *container_id, const char *ifname,
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
	names_attachment_key(container_id, ifname, owner);
	/* Without a record, the reservations are the only list of addresses:
	 * a scan, but only on this rare path. */
	if (net->dir_fd < 0)
		return 0;
	return ipam_each(net, collect_owned, &walk, err);
}
