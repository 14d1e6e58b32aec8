#include "netpolicy/conntrack.h"

#include <errno.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "kernel/sysctl.h"
#include "netpolicy/nfsock.h"

/* The kernel's CTA_FILTER flags; not in the uapi headers
 * (libnetfilter_conntrack defines them the same way). */
#define FILTER_IP_SRC (1u << 0)
#define FILTER_PROTO_NUM (1u << 3)
#define FILTER_PROTO_DST_PORT (1u << 5)

struct ct_tuple {
	struct jn_addr src, dst;
	uint8_t proto;
	uint16_t dport; /* host order */
};

/* The original tuple of an entry to delete, as the kernel sent it. */
struct doomed {
	size_t len;
	uint16_t zone;
	bool has_zone;
	uint8_t family;
	unsigned char tuple[256];
};

typedef bool (*ct_match_fn)(const struct ct_tuple *orig, const struct ct_tuple *reply, const void *ctx);

struct dump {
	ct_match_fn match;
	const void *ctx;
	struct doomed *list;
	size_t count, cap;
};

static void parse_ip(const struct nlattr *ip, struct ct_tuple *t)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, ip)
	{
		uint16_t type = mnl_attr_get_type(a), len = mnl_attr_get_payload_len(a);
		struct jn_addr *to = (type == CTA_IP_V4_SRC || type == CTA_IP_V6_SRC) ? &t->src : &t->dst;
		if ((type == CTA_IP_V4_SRC || type == CTA_IP_V4_DST) && len == 4)
			to->family = AF_INET;
		else if ((type == CTA_IP_V6_SRC || type == CTA_IP_V6_DST) && len == 16)
			to->family = AF_INET6;
		else
			continue;
		memcpy(to->bytes, mnl_attr_get_payload(a), len);
	}
}

static void parse_tuple(const struct nlattr *tuple, struct ct_tuple *t)
{
	const struct nlattr *part, *a;

	memset(t, 0, sizeof(*t));
	mnl_attr_for_each_nested(part, tuple)
	{
		if (mnl_attr_get_type(part) == CTA_TUPLE_IP) {
			parse_ip(part, t);
			continue;
		}
		if (mnl_attr_get_type(part) != CTA_TUPLE_PROTO)
			continue;
		mnl_attr_for_each_nested(a, part)
		{
			if (mnl_attr_get_type(a) == CTA_PROTO_NUM && mnl_attr_get_payload_len(a) == 1)
				t->proto = mnl_attr_get_u8(a);
			else if (mnl_attr_get_type(a) == CTA_PROTO_DST_PORT && mnl_attr_get_payload_len(a) == 2)
				t->dport = ntohs(mnl_attr_get_u16(a));
		}
	}
}

static int remember(struct dump *d, uint8_t family, const struct nlattr *orig, const struct nlattr *zone)
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
	item->family = family;
	item->len = mnl_attr_get_len(orig);
	memcpy(item->tuple, orig, item->len);
	item->has_zone = zone != NULL && mnl_attr_get_payload_len(zone) == 2;
	item->zone = item->has_zone ? ntohs(mnl_attr_get_u16(zone)) : 0;
	return MNL_CB_OK;
}

/* Every entry is checked here, whatever the dump's filter said: a kernel
 * that ignores the filter must not make jobnet delete other flows. */
static int on_entry(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	const struct nlattr *attr, *orig = NULL, *reply = NULL, *zone = NULL;
	struct ct_tuple o, r;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(attr) == CTA_TUPLE_ORIG)
			orig = attr;
		else if (mnl_attr_get_type(attr) == CTA_TUPLE_REPLY)
			reply = attr;
		else if (mnl_attr_get_type(attr) == CTA_ZONE)
			zone = attr;
	}
	if (orig == NULL || reply == NULL)
		return MNL_CB_OK;
	parse_tuple(orig, &o);
	parse_tuple(reply, &r);
	if (!d->match(&o, &r, d->ctx))
		return MNL_CB_OK;
	return remember(d, ((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family, orig, zone);
}

static struct nlmsghdr *start(char *buf, uint16_t type, uint16_t flags, int family)
{
	return nfsock_header(buf, (NFNL_SUBSYS_CTNETLINK << 8) | type, flags, (uint8_t)family, nfsock_seq(), 0);
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

/* A dump narrowed by the kernel: the source of one tuple direction. */
static int dump_by_source(struct mnl_socket *nl, struct dump *d, const struct jn_addr *addr, uint16_t tuple_attr,
			  uint16_t filter_attr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = start(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, addr->family);
	struct nlattr *tuple = mnl_attr_nest_start(nlh, tuple_attr), *ip, *filter;

	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, addr->family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, (size_t)addr_size(addr->family),
		     addr->bytes);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, tuple);
	filter = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, filter_attr, FILTER_IP_SRC); /* NLA_U32: host order */
	mnl_attr_nest_end(nlh, filter);
	return talk(nl, nlh, on_entry, d);
}

/* A dump narrowed to one protocol and original destination port. */
static int dump_by_port(struct mnl_socket *nl, struct dump *d, int family, uint8_t proto, uint16_t port)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = start(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family);
	struct nlattr *tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG), *p, *filter;

	p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(port));
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, tuple);
	filter = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, FILTER_PROTO_NUM | FILTER_PROTO_DST_PORT);
	mnl_attr_nest_end(nlh, filter);
	return talk(nl, nlh, on_entry, d);
}

/* Every entry of every family: one walk of the hash, unfiltered. */
static int dump_everything(struct mnl_socket *nl, struct dump *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = start(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC);

	return talk(nl, nlh, on_entry, d);
}

static int delete_all(struct mnl_socket *nl, const struct dump *d, size_t *deleted)
{
	for (size_t i = 0; i < d->count; i++) {
		char buf[MNL_SOCKET_BUFFER_SIZE];
		struct nlmsghdr *nlh = start(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, d->list[i].family);
		const struct nlattr *orig = (const struct nlattr *)d->list[i].tuple;
		int rc;
		mnl_attr_put(nlh, CTA_TUPLE_ORIG, mnl_attr_get_payload_len(orig), mnl_attr_get_payload(orig));
		if (d->list[i].has_zone)
			mnl_attr_put_u16(nlh, CTA_ZONE, htons(d->list[i].zone));
		rc = talk(nl, nlh, NULL, NULL);
		/* Gone already (it expired, or matched twice): that is the goal. */
		if (rc < 0 && rc != -ENOENT)
			return rc;
		if (rc == 0)
			(*deleted)++;
	}
	return 0;
}

/* A number from /proc/sys/net/netfilter of this namespace, or -1. */
static long netfilter_number(const char *key)
{
	struct jn_error ignored = { 0 };
	char text[32], *end;
	long value;

	if (sysctl_read(key, text, sizeof(text), &ignored) < 0)
		return -1;
	value = strtol(text, &end, 10);
	return end != text && value >= 0 ? value : -1;
}

/*
 * How to find a job's entries. Every dump, filtered or not, walks the whole
 * conntrack hash, which all namespaces share (262144 buckets on the
 * development machine: 5 ms a walk), and the kernel's filters match one
 * tuple direction at a time, so an address takes two filtered dumps: the
 * entries it opened (original source) and those opened to it (reply
 * source). One unfiltered dump of every entry of this namespace walks once
 * but sends them all (0.6 us an entry there): cheaper while the namespace
 * holds fewer entries than 1/64 of the buckets per walk it saves. With no
 * entry at all there is nothing to look for.
 */
enum ct_search { CT_SEARCH_NONE, CT_SEARCH_ALL, CT_SEARCH_FILTERED };

static enum ct_search choose_search(size_t walks)
{
	long entries = netfilter_number("net/netfilter/nf_conntrack_count");
	long buckets = netfilter_number("net/netfilter/nf_conntrack_buckets");

	if (entries == 0)
		return CT_SEARCH_NONE;
	if (entries > 0 && buckets > 0 && walks > 1 &&
	    (unsigned long)entries <= (walks - 1) * ((unsigned long)buckets / 64))
		return CT_SEARCH_ALL;
	return CT_SEARCH_FILTERED;
}

struct addr_list {
	const struct jn_addr *addrs;
	size_t count;
};

static bool names_addr(const struct ct_tuple *orig, const struct ct_tuple *reply, const void *ctx)
{
	const struct addr_list *l = ctx;

	for (size_t i = 0; i < l->count; i++) {
		const struct jn_addr *a = &l->addrs[i];
		if (addr_equal(&orig->src, a) || addr_equal(&orig->dst, a) || addr_equal(&reply->src, a) ||
		    addr_equal(&reply->dst, a))
			return true;
	}
	return false;
}

static int forget_filtered(struct mnl_socket *nl, const struct jn_addr *addrs, size_t count, size_t *deleted,
			   struct jn_error *err)
{
	char text[JN_ADDR_STRLEN];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < count; i++) {
		struct addr_list one = { .addrs = &addrs[i], .count = 1 };
		struct dump d = { .match = names_addr, .ctx = &one };
		rc = dump_by_source(nl, &d, &addrs[i], CTA_TUPLE_ORIG, CTA_FILTER_ORIG_FLAGS);
		if (rc == 0)
			rc = dump_by_source(nl, &d, &addrs[i], CTA_TUPLE_REPLY, CTA_FILTER_REPLY_FLAGS);
		if (rc == 0)
			rc = delete_all(nl, &d, deleted);
		free(d.list);
		if (rc < 0)
			return jn_error_errno(err, JN_ERR_KERNEL, -rc, "deleting the conntrack entries of %s",
					      addr_format(&addrs[i], text));
	}
	return 0;
}

int conntrack_forget(const struct jn_addr *addrs, size_t count, size_t *deleted, struct jn_error *err)
{
	struct mnl_socket *nl;
	struct addr_list all = { .addrs = addrs, .count = count };
	struct dump d = { .match = names_addr, .ctx = &all };
	enum ct_search search = choose_search(2 * count);
	int rc;

	*deleted = 0;
	if (count == 0 || search == CT_SEARCH_NONE)
		return 0;
	nl = nfsock_get(err);
	if (nl == NULL)
		return -1;
	if (search == CT_SEARCH_FILTERED)
		return forget_filtered(nl, addrs, count, deleted, err);
	rc = dump_everything(nl, &d);
	if (rc == 0)
		rc = delete_all(nl, &d, deleted);
	free(d.list);
	if (rc < 0)
		return jn_error_errno(err, JN_ERR_KERNEL, -rc, "deleting the conntrack entries of %s",
				      addr_format(&addrs[0], (char[JN_ADDR_STRLEN]){ 0 }));
	return 0;
}

struct port_match {
	uint8_t proto;
	uint16_t port;
	const struct jn_addr *dst; /* NULL: any of locals */
	struct jn_addr locals[64];
	size_t local_count;
};

static bool names_port(const struct ct_tuple *orig, const struct ct_tuple *reply, const void *ctx)
{
	const struct port_match *m = ctx;

	(void)reply;
	if (orig->proto != m->proto || orig->dport != m->port)
		return false;
	if (m->dst != NULL)
		return addr_equal(&orig->dst, m->dst);
	for (size_t i = 0; i < m->local_count; i++)
		if (addr_equal(&orig->dst, &m->locals[i]))
			return true;
	return false;
}

static void node_addresses(struct port_match *m)
{
	struct ifaddrs *list = NULL;

	if (getifaddrs(&list) < 0)
		return;
	for (struct ifaddrs *i = list; i != NULL && m->local_count < 64; i = i->ifa_next) {
		struct jn_addr *a = &m->locals[m->local_count];
		if (i->ifa_addr == NULL || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		a->family = i->ifa_addr->sa_family;
		if (a->family == AF_INET)
			memcpy(a->bytes, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		else
			memcpy(a->bytes, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		m->local_count++;
	}
	freeifaddrs(list);
}

int conntrack_forget_port(uint8_t proto, uint16_t port, const struct jn_addr *dst, size_t *deleted,
			  struct jn_error *err)
{
	struct mnl_socket *nl;
	cleanup_free struct port_match *m = NULL;
	static const int families[] = { AF_INET, AF_INET6 };
	int rc = 0;

	*deleted = 0;
	if (choose_search(1) == CT_SEARCH_NONE)
		return 0;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return jn_error_set(err, JN_ERR_KERNEL, "out of memory");
	*m = (struct port_match){ .proto = proto, .port = port, .dst = dst };
	if (dst == NULL)
		node_addresses(m);
	nl = nfsock_get(err);
	if (nl == NULL)
		return -1;
	for (size_t i = 0; rc == 0 && i < 2; i++) {
		struct dump d = { .match = names_port, .ctx = m };
		if (dst != NULL && dst->family != families[i])
			continue;
		rc = dump_by_port(nl, &d, families[i], proto, port);
		if (rc == 0)
			rc = delete_all(nl, &d, deleted);
		free(d.list);
	}
	if (rc < 0)
		return jn_error_errno(err, JN_ERR_KERNEL, -rc, "deleting the conntrack entries of port %u", port);
	return 0;
}
