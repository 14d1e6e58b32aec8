#include "conntrack.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cni/cleanup.h"

/* The kernel's CTA_FILTER flag for "match the tuple's source address"; not
 * in the uapi headers (libnetfilter_conntrack defines it the same way). */
#define FILTER_IP_SRC (1u << 0)

/* The original tuple of an entry to delete, as the kernel sent it. */
struct doomed {
	size_t len;
	uint16_t zone;
	bool has_zone;
	unsigned char tuple[256];
};

struct dump {
	const struct jn_addr *addr;
	struct doomed *list;
	size_t count, cap;
};

static bool ip_attr_is(const struct nlattr *tuple, const struct jn_addr *addr)
{
	const struct nlattr *ip, *a;

	mnl_attr_for_each_nested(ip, tuple)
	{
		if (mnl_attr_get_type(ip) != CTA_TUPLE_IP)
			continue;
		mnl_attr_for_each_nested(a, ip)
		{
			uint16_t len = mnl_attr_get_payload_len(a);
			if (len == (uint16_t)addr_size(addr->family) &&
			    memcmp(mnl_attr_get_payload(a), addr->bytes, len) == 0)
				return true;
		}
	}
	return false;
}

static int remember(struct dump *d, const struct nlattr *orig, const struct nlattr *zone)
{
	struct doomed *item;

	if (mnl_attr_get_len(orig) > sizeof(item->tuple))
		return MNL_CB_OK;
	if (d->count == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct doomed *bigger = realloc(d->list, cap * sizeof(*bigger));
		if (bigger == NULL)
			return MNL_CB_ERROR;
		d->list = bigger;
		d->cap = cap;
	}
	item = &d->list[d->count++];
	item->len = mnl_attr_get_len(orig);
	memcpy(item->tuple, orig, item->len);
	item->has_zone = zone != NULL && mnl_attr_get_payload_len(zone) == 2;
	item->zone = item->has_zone ? mnl_attr_get_u16(zone) : 0;
	return MNL_CB_OK;
}

/* Keep an entry only when it really names the address: a kernel that
 * ignores the dump filter must not make jobnet delete other flows. */
static int on_entry(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	const struct nlattr *attr, *orig = NULL, *reply = NULL, *zone = NULL;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(attr) == CTA_TUPLE_ORIG)
			orig = attr;
		else if (mnl_attr_get_type(attr) == CTA_TUPLE_REPLY)
			reply = attr;
		else if (mnl_attr_get_type(attr) == CTA_ZONE)
			zone = attr;
	}
	if (orig == NULL || reply == NULL || (!ip_attr_is(orig, d->addr) && !ip_attr_is(reply, d->addr)))
		return MNL_CB_OK;
	return remember(d, orig, zone);
}

static struct nlmsghdr *start(char *buf, uint16_t type, uint16_t flags, int family, unsigned seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static int talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned port = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
	int rc;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)n, seq, port, cb, data);
	} while (rc == MNL_CB_OK);
	return rc < 0 ? -errno : 0;
}

/* Entries whose tuple of this direction has the address as source. */
static int dump_direction(struct mnl_socket *nl, struct dump *d, uint16_t tuple_attr, uint16_t filter_attr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = start(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, d->addr->family, (unsigned)time(NULL));
	struct nlattr *tuple = mnl_attr_nest_start(nlh, tuple_attr), *ip, *filter;

	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, d->addr->family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC,
		     (size_t)addr_size(d->addr->family), d->addr->bytes);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, tuple);
	filter = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, filter_attr, FILTER_IP_SRC); /* host order: NLA_U32 */
	mnl_attr_nest_end(nlh, filter);
	return talk(nl, nlh, on_entry, d);
}

static int delete_one(struct mnl_socket *nl, int family, const struct doomed *item, unsigned seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = start(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, family, seq);
	const struct nlattr *orig = (const struct nlattr *)item->tuple;
	int rc;

	mnl_attr_put(nlh, CTA_TUPLE_ORIG, mnl_attr_get_payload_len(orig), mnl_attr_get_payload(orig));
	if (item->has_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(item->zone));
	rc = talk(nl, nlh, NULL, NULL);
	/* Gone already (it expired, or matched twice): that is the goal. */
	return rc == -ENOENT ? 0 : rc;
}

static void socket_closep(struct mnl_socket **nl)
{
	if (*nl)
		mnl_socket_close(*nl);
}

static int forget_one(struct mnl_socket *nl, const struct jn_addr *addr, size_t *deleted, struct jn_error *err)
{
	struct dump d = { .addr = addr };
	int rc = dump_direction(nl, &d, CTA_TUPLE_ORIG, CTA_FILTER_ORIG_FLAGS);

	if (rc == 0)
		rc = dump_direction(nl, &d, CTA_TUPLE_REPLY, CTA_FILTER_REPLY_FLAGS);
	for (size_t i = 0; rc == 0 && i < d.count; i++) {
		rc = delete_one(nl, addr->family, &d.list[i], (unsigned)time(NULL) + (unsigned)i + 1);
		if (rc == 0)
			(*deleted)++;
	}
	free(d.list);
	if (rc < 0) {
		char text[JN_ADDR_STRLEN];
		return jn_error_errno(err, JN_ERR_KERNEL, -rc, "deleting the conntrack entries of %s",
				      addr_format(addr, text));
	}
	return 0;
}

int conntrack_forget(const struct jn_addr *addrs, size_t count, size_t *deleted, struct jn_error *err)
{
	__attribute__((cleanup(socket_closep))) struct mnl_socket *nl =
		mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);

	*deleted = 0;
	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return jn_error_errno(err, JN_ERR_KERNEL, errno, "opening a conntrack netlink socket");
	for (size_t i = 0; i < count; i++)
		if (forget_one(nl, &addrs[i], deleted, err) < 0)
			return -1;
	return 0;
}
