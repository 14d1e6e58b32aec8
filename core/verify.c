#include "core/verify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "core/ipam.h"
#include "kernel/link.h"
#include "core/mappings.h"
#include "core/policy.h"
#include "core/sandbox.h"

void drifts_add(struct drifts *d, const char *fmt, ...)
{
	va_list ap;

	if (d->count == JN_MAX_DRIFTS)
		return;
	va_start(ap, fmt);
	vsnprintf(d->items[d->count++], sizeof(d->items[0]), fmt, ap);
	va_end(ap);
}

/* A check that found a difference (error 108) is a drift; any other error
 * means it could not look. */
static int note(struct drifts *d, int rc, struct jn_error *found, struct jn_error *err)
{
	if (rc == 0)
		return 0;
	if (found->code != JN_ERR_CHECK_FAILED)
		return jn_error_keep_first(err, found);
	drifts_add(d, "%s", found->msg);
	return 0;
}

static int check_reservations(struct state_network *net, const struct attachment *a, struct jn_error *err)
{
	char owner[JN_ATTACHMENT_KEY_MAX], key[JN_ATTACHMENT_KEY_MAX], text[JN_ADDR_STRLEN];

	names_attachment_key(a->container_id, a->ifname, key);
	for (size_t i = 0; i < a->addr_count; i++) {
		int rc = ipam_owner(net, &a->addrs[i].addr, owner, err);
		if (rc < 0)
			return -1;
		if (rc == 0 || strcmp(owner, key) != 0)
			return jn_error_set(err, JN_ERR_CHECK_FAILED, "address %s is not reserved for this attachment",
					    addr_format(&a->addrs[i].addr, text));
	}
	return 0;
}

static int check_gateways(struct nl_sock *sk, const struct netrecord *rec, const struct link_facts *bridge,
			  const char *name, struct jn_error *err)
{
	char text[JN_ADDR_STRLEN];

	for (size_t i = 0; i < rec->subnet_count; i++) {
		struct jn_prefix gw = { .addr = rec->gateways[i], .len = rec->subnets[i].len };
		int rc = link_has_address(sk, bridge->ifindex, &gw, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return jn_error_set(err, JN_ERR_CHECK_FAILED, "gateway %s is missing from bridge \"%s\"",
					    prefix_format(&gw, text), name);
	}
	return 0;
}

static int check_node_side(const struct attachment *a, const struct netrecord *rec, struct jn_error *err)
{
	cleanup_nl_sock struct nl_sock *sk = NULL;
	struct link_facts bridge, veth;

	if (link_socket_open(&sk, err) < 0)
		return -1;
	if (link_inspect(sk, a->bridge, &bridge, err) != 1)
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "bridge \"%s\" is missing", a->bridge);
	if (link_inspect(sk, a->host_veth, &veth, err) != 1)
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "host veth \"%s\" is missing", a->host_veth);
	if (veth.master != bridge.ifindex || !veth.up)
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "host veth \"%s\" is down or not on bridge \"%s\"",
				    a->host_veth, a->bridge);
	return check_gateways(sk, rec, &bridge, a->bridge, err);
}

static int check_job_side(const struct attachment *a, const char *netns_path, unsigned mtu, struct jn_error *err)
{
	struct jn_error unusable = { 0 };
	struct sandbox sb;
	int rc;

	if (sandbox_open_job(netns_path, a, &sb, &unusable) < 0) {
		if (jn_error_absorb(&unusable, ENOENT))
			return jn_error_set(err, JN_ERR_CHECK_FAILED, "network namespace \"%s\" is gone", netns_path);
		if (jn_error_absorb(&unusable, ESTALE))
			return jn_error_set(err, JN_ERR_CHECK_FAILED,
					    "network namespace \"%s\" is not the one ADD attached: the path names "
					    "another namespace now",
					    netns_path);
		/* A namespace that cannot be entered is a drift too. */
		jn_error_recode(&unusable, JN_ERR_CHECK_FAILED);
		return jn_error_keep_first(err, &unusable);
	}
	rc = sandbox_check(&sb, a, mtu, err);
	sandbox_close(&sb);
	return rc;
}

static void on_missing(void *ctx, const char *what)
{
	drifts_add(ctx, "nftables element missing: %s", what);
}

int verify_attachment(const char *state_dir, struct state_network *net, const struct netrecord *rec,
		      const struct attachment *a, const char *netns_path, struct drifts *d, struct jn_error *err)
{
	struct jn_error found = { 0 };

	if (note(d, check_reservations(net, a, &found), &found, err) < 0)
		return -1;
	if (strcmp(a->mode, "host") == 0)
		return 0; /* nothing was made in the kernel */
	jn_error_clear(&found);
	if (note(d, check_node_side(a, rec, &found), &found, err) < 0)
		return -1;
	jn_error_clear(&found);
	if (note(d, check_job_side(a, netns_path, rec->mtu, &found), &found, err) < 0)
		return -1;
	jn_error_clear(&found);
	if (note(d, mappings_check(state_dir, a, &found), &found, err) < 0)
		return -1;
	return policy_verify(state_dir, rec, a, on_missing, d, err);
}
