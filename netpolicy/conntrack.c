#include "netpolicy/conntrack.h"

#include <errno.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
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

/* Requests are small: the largest holds one tuple as the kernel sent it. */
#define REQUEST_MAX 512

static void start(struct nfsock_msg *m, char *buf, uint16_t type, uint16_t flags, int family)
{
	nfsock_msg_start(m, buf, REQUEST_MAX, (NFNL_SUBSYS_CTNETLINK << 8) | type, flags, (uint8_t)family, nfsock_seq(),
			 0);
}

static int dump(const struct nfsock_msg *m, struct dump *d, struct jn_error *err)
{
	return nfsock_request(m, on_entry, d, JN_ERR_KERNEL, "listing conntrack entries", err);
}

/* A dump narrowed by the kernel: the source of one tuple direction. */
static int dump_by_source(struct dump *d, const struct jn_addr *addr, uint16_t tuple_attr, uint16_t filter_attr,
			  struct jn_error *err)
{
	char buf[REQUEST_MAX];
	struct nfsock_msg m;
	struct nlattr *tuple, *ip, *filter;

	start(&m, buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, addr->family);
	tuple = nfsock_nest_start(&m, tuple_attr);
	ip = nfsock_nest_start(&m, CTA_TUPLE_IP);
	nfsock_put(&m, addr->family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, (size_t)addr_size(addr->family),
		   addr->bytes);
	nfsock_nest_end(&m, ip);
	nfsock_nest_end(&m, tuple);
	filter = nfsock_nest_start(&m, CTA_FILTER);
	nfsock_put_u32(&m, filter_attr, FILTER_IP_SRC); /* NLA_U32: host order */
	nfsock_nest_end(&m, filter);
	return dump(&m, d, err);
}

/* A dump narrowed to one protocol and original destination port. */
static int dump_by_port(struct dump *d, int family, uint8_t proto, uint16_t port, struct jn_error *err)
{
	char buf[REQUEST_MAX];
	struct nfsock_msg m;
	struct nlattr *tuple, *p, *filter;

	start(&m, buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family);
	tuple = nfsock_nest_start(&m, CTA_TUPLE_ORIG);
	p = nfsock_nest_start(&m, CTA_TUPLE_PROTO);
	nfsock_put_u8(&m, CTA_PROTO_NUM, proto);
	nfsock_put_u16(&m, CTA_PROTO_DST_PORT, htons(port));
	nfsock_nest_end(&m, p);
	nfsock_nest_end(&m, tuple);
	filter = nfsock_nest_start(&m, CTA_FILTER);
	nfsock_put_u32(&m, CTA_FILTER_ORIG_FLAGS, FILTER_PROTO_NUM | FILTER_PROTO_DST_PORT);
	nfsock_nest_end(&m, filter);
	return dump(&m, d, err);
}

/* Every entry of every family: one walk of the hash, unfiltered. */
static int dump_everything(struct dump *d, struct jn_error *err)
{
	char buf[REQUEST_MAX];
	struct nfsock_msg m;

	start(&m, buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC);
	return dump(&m, d, err);
}

/* 1 when the entry went, 0 when it was gone already (it expired, or
 * matched twice: that is the goal), -1 on error. */
static int delete_one(const struct doomed *item, struct jn_error *err)
{
	const struct nlattr *orig = (const struct nlattr *)item->tuple;
	struct jn_error failure = { 0 };
	char buf[REQUEST_MAX];
	struct nfsock_msg m;

	start(&m, buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, item->family);
	nfsock_put(&m, CTA_TUPLE_ORIG, mnl_attr_get_payload_len(orig), mnl_attr_get_payload(orig));
	if (item->has_zone)
		nfsock_put_u16(&m, CTA_ZONE, htons(item->zone));
	if (nfsock_request(&m, NULL, NULL, JN_ERR_KERNEL, "deleting a conntrack entry", &failure) == 0)
		return 1;
	return jn_error_absorb(&failure, ENOENT) ? 0 : jn_error_keep_first(err, &failure);
}

static int delete_all(const struct dump *d, size_t *deleted, struct jn_error *err)
{
	for (size_t i = 0; i < d->count; i++) {
		int rc = delete_one(&d->list[i], err);
		if (rc < 0)
			return -1;
		*deleted += (size_t)rc;
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

/* The failure of one forget, with its context, into err (where an earlier
 * step's error, if any, stays first). */
static int forget_failed(struct jn_error *failure, const char *what, struct jn_error *err)
{
	jn_error_wrap(failure, "deleting the conntrack entries of %s", what);
	return jn_error_keep_first(err, failure);
}

struct pair_match {
	struct addr_list mine;
	const struct jn_prefix *others; /* NULL: any address */
	size_t other_count;
};

static bool in_others(const struct pair_match *m, const struct jn_addr *a)
{
	if (m->others == NULL)
		return true;
	for (size_t i = 0; i < m->other_count; i++)
		if (prefix_contains(&m->others[i], a))
			return true;
	return false;
}

static bool tuple_joins(const struct pair_match *m, const struct ct_tuple *t)
{
	for (size_t i = 0; i < m->mine.count; i++) {
		const struct jn_addr *a = &m->mine.addrs[i];
		if ((addr_equal(&t->src, a) && in_others(m, &t->dst)) ||
		    (addr_equal(&t->dst, a) && in_others(m, &t->src)))
			return true;
	}
	return false;
}

static bool names_pair(const struct ct_tuple *orig, const struct ct_tuple *reply, const void *ctx)
{
	const struct pair_match *m = ctx;

	if (m->others == NULL)
		return names_addr(orig, reply, &m->mine);
	return tuple_joins(m, orig) || tuple_joins(m, reply);
}

static int forget_filtered(const struct pair_match *m, size_t *deleted, struct jn_error *err)
{
	char text[JN_ADDR_STRLEN];

	for (size_t i = 0; i < m->mine.count; i++) {
		const struct jn_addr *a = &m->mine.addrs[i];
		struct pair_match one = { .mine = { .addrs = a, .count = 1 },
					  .others = m->others,
					  .other_count = m->other_count };
		struct dump d = { .match = names_pair, .ctx = &one };
		struct jn_error failure = { 0 };
		int rc = dump_by_source(&d, a, CTA_TUPLE_ORIG, CTA_FILTER_ORIG_FLAGS, &failure);
		if (rc == 0)
			rc = dump_by_source(&d, a, CTA_TUPLE_REPLY, CTA_FILTER_REPLY_FLAGS, &failure);
		if (rc == 0)
			rc = delete_all(&d, deleted, &failure);
		free(d.list);
		if (rc < 0)
			return forget_failed(&failure, addr_format(a, text), err);
	}
	return 0;
}

static int forget_matching(const struct pair_match *m, size_t *deleted, struct jn_error *err)
{
	struct dump d = { .match = names_pair, .ctx = m };
	enum ct_search search = choose_search(2 * m->mine.count);
	struct jn_error failure = { 0 };
	char text[JN_ADDR_STRLEN];
	int rc;

	*deleted = 0;
	if (m->mine.count == 0 || search == CT_SEARCH_NONE || (m->others != NULL && m->other_count == 0))
		return 0;
	if (search == CT_SEARCH_FILTERED)
		return forget_filtered(m, deleted, err);
	rc = dump_everything(&d, &failure);
	if (rc == 0)
		rc = delete_all(&d, deleted, &failure);
	free(d.list);
	return rc < 0 ? forget_failed(&failure, addr_format(&m->mine.addrs[0], text), err) : 0;
}

int conntrack_forget(const struct jn_addr *addrs, size_t count, size_t *deleted, struct jn_error *err)
{
	struct pair_match m = { .mine = { .addrs = addrs, .count = count } };

	return forget_matching(&m, deleted, err);
}

int conntrack_forget_between(const struct jn_addr *addrs, size_t count, const struct jn_prefix *others,
			     size_t other_count, size_t *deleted, struct jn_error *err)
{
	struct pair_match m = { .mine = { .addrs = addrs, .count = count },
				.others = others,
				.other_count = other_count };

	return forget_matching(&m, deleted, err);
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
	cleanup_free struct port_match *m = NULL;
	static const int families[] = { AF_INET, AF_INET6 };
	struct jn_error failure = { 0 };
	char text[16];
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
	for (size_t i = 0; rc == 0 && i < 2; i++) {
		struct dump d = { .match = names_port, .ctx = m };
		if (dst != NULL && dst->family != families[i])
			continue;
		rc = dump_by_port(&d, families[i], proto, port, &failure);
		if (rc == 0)
			rc = delete_all(&d, deleted, &failure);
		free(d.list);
	}
	snprintf(text, sizeof(text), "port %u", port);
	return rc < 0 ? forget_failed(&failure, text, err) : 0;
}
