#include "netpolicy/nftwire.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/cleanup.h"
#include "netpolicy/nfsock.h"

#define TABLE "jobnet"
#define VALUE_MAX 64 /* the longest key: ifname . ipv6 . port is 36 bytes */
#define USERDATA_COMMENT 0 /* libnftnl's NFTNL_UDATA_SET_ELEM_COMMENT */
#define MESSAGE_MAX 1024

void nftwire_init(struct nftwire *w)
{
	memset(w, 0, sizeof(*w));
	w->first_seq = nfsock_seq();
	w->next_seq = w->first_seq + 1;
}

void nftwire_free(struct nftwire *w)
{
	free(w->buf);
	free(w->text_at);
	strbuf_free(&w->text);
	memset(w, 0, sizeof(*w));
}

static bool reserve(void **ptr, size_t *cap, size_t need, size_t unit)
{
	size_t bigger = *cap ? *cap : 16;
	void *grown;

	if (need <= *cap)
		return true;
	while (bigger < need)
		bigger *= 2;
	grown = realloc(*ptr, bigger * unit);
	if (grown == NULL)
		return false;
	*ptr = grown;
	*cap = bigger;
	return true;
}

/* One field as nf_tables registers hold it: big-endian, each field padded to
 * 4 bytes. A prefix gives its first address, or its last with end. */
static size_t put_value(unsigned char *out, const struct element_value *v, bool end)
{
	struct jn_addr a;
	size_t len = 0;

	switch (v->kind) {
	case ELEMENT_IFNAME:
		memset(out, 0, 16);
		memcpy(out, v->ifname, strnlen(v->ifname, 15));
		return 16;
	case ELEMENT_ADDR:
	case ELEMENT_NUMBER128:
		len = (size_t)addr_size(v->prefix.addr.family);
		memcpy(out, v->prefix.addr.bytes, len);
		return len;
	case ELEMENT_PREFIX:
		if (end)
			prefix_last(&v->prefix, &a);
		else
			prefix_network(&v->prefix, &a);
		len = (size_t)addr_size(a.family);
		memcpy(out, a.bytes, len);
		return len;
	case ELEMENT_ETHER:
		memset(out, 0, 8);
		memcpy(out, v->ether, 6);
		return 8;
	case ELEMENT_PROTO:
		memset(out, 0, 4);
		out[0] = (unsigned char)v->number;
		return 4;
	case ELEMENT_PORT:
		memset(out, 0, 4);
		out[0] = (unsigned char)(v->number >> 8);
		out[1] = (unsigned char)(v->number & 0xff);
		return 4;
	}
	return 0;
}

static void put_data(struct nlmsghdr *nlh, uint16_t type, const struct element_value *values, size_t count, bool end)
{
	unsigned char bytes[VALUE_MAX];
	size_t len = 0;
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	for (size_t i = 0; i < count; i++)
		len += put_value(bytes + len, &values[i], end);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, bytes);
	mnl_attr_nest_end(nlh, nest);
}

static bool is_range(const struct element *e)
{
	for (size_t i = 0; i < e->key_count; i++)
		if (e->key[i].kind == ELEMENT_PREFIX)
			return true;
	return false;
}

/* Encodable here: keys whose interval, if any, is one field of a
 * concatenation (the kernel's pipapo sets take first and last directly). */
static bool encodable(const struct element *e)
{
	return e->key_count >= 1 && e->key_count <= ELEMENT_KEY_MAX && e->data_count <= ELEMENT_DATA_MAX &&
		(!is_range(e) || e->key_count > 1) && (e->comment == NULL || strlen(e->comment) < 250);
}

/* One NEWSETELEM, DELSETELEM or GETSETELEM message for one element. */
static struct nlmsghdr *build(unsigned char *buf, uint8_t msg, uint16_t flags, unsigned seq, const struct element *e,
			      bool with_data, bool with_comment)
{
	uint8_t family = e->table == ELEMENT_BRIDGE ? NFPROTO_BRIDGE : NFPROTO_INET;
	struct nlmsghdr *nlh = nfsock_header(buf, (NFNL_SUBSYS_NFTABLES << 8) | msg, flags, family, seq, 0);
	struct nlattr *list, *elem;

	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, e->set);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	put_data(nlh, NFTA_SET_ELEM_KEY, e->key, e->key_count, false);
	if (is_range(e))
		put_data(nlh, NFTA_SET_ELEM_KEY_END, e->key, e->key_count, true);
	if (with_data && e->data_count > 0)
		put_data(nlh, NFTA_SET_ELEM_DATA, e->data, e->data_count, false);
	if (with_comment && e->comment != NULL) {
		unsigned char udata[256];
		size_t len = strlen(e->comment) + 1;
		udata[0] = USERDATA_COMMENT;
		udata[1] = (unsigned char)len;
		memcpy(udata + 2, e->comment, len);
		mnl_attr_put(nlh, NFTA_SET_ELEM_USERDATA, len + 2, udata);
	}
	mnl_attr_nest_end(nlh, elem);
	mnl_attr_nest_end(nlh, list);
	return nlh;
}

static void queue(struct nftwire *w, const char *verb, uint8_t msg, uint16_t flags, const struct element *e,
		  bool with_data, bool with_comment)
{
	unsigned char message[MESSAGE_MAX];
	struct nlmsghdr *nlh = build(message, msg, flags, w->next_seq, e, with_data, with_comment);
	cleanup_strbuf struct strbuf line = STRBUF_INIT;
	size_t at = w->text.len;

	if (!reserve((void **)&w->buf, &w->cap, w->len + nlh->nlmsg_len, 1) ||
	    !reserve((void **)&w->text_at, &w->text_cap, nftwire_messages(w) + 1, sizeof(size_t))) {
		w->failed = true;
		return;
	}
	memcpy(w->buf + w->len, nlh, nlh->nlmsg_len);
	w->len += nlh->nlmsg_len;
	w->text_at[nftwire_messages(w)] = at;
	w->next_seq++;
	/* "<verb> <table> <set> { <key> }\n": how an error names it. */
	element_text(&line, RENDER_GET, e);
	strbuf_printf(&w->text, "%s %s", verb, strbuf_text(&line) + strlen("get element "));
}

void nftwire_element(struct nftwire *w, enum render_op op, const struct element *e)
{
	if (!encodable(e) || op == RENDER_GET) {
		w->failed = true;
		return;
	}
	queue(w, "add", NFT_MSG_NEWSETELEM, NLM_F_CREATE, e, true, op == RENDER_ADD);
	if (op == RENDER_DELETE)
		queue(w, "delete", NFT_MSG_DELSETELEM, 0, e, false, false);
}

/* "could not add <table> <set> { <key> }" for the message with this index. */
static int refused(const struct nftwire *w, size_t index, int error, struct jn_error *err)
{
	const char *text = strbuf_text(&w->text) + w->text_at[index];

	return jn_error_errno(err, JN_ERR_NFTABLES, error, "nftables could not %.*s", (int)strcspn(text, "\n"), text);
}

/* A batch longer than the socket's send buffer would be refused whole. */
static int fit_send_buffer(struct mnl_socket *nl, size_t len, struct jn_error *err)
{
	int size = (int)(len * 2);

	if (len > 65536 && setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		return jn_error_errno(err, JN_ERR_NFTABLES, errno, "sizing a netlink socket for %zu bytes", len);
	return 0;
}

/* Every reply: the kernel answers errors always, and the last message (the
 * one asking for an acknowledgement) in any case. */
static int read_replies(struct mnl_socket *nl, struct nftwire *w, unsigned last_seq, struct jn_error *err)
{
	unsigned char buf[MNL_SOCKET_BUFFER_SIZE];
	int first_error = 0;
	size_t failed_index = 0;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		int remaining;
		if (n < 0)
			return jn_error_errno(err, JN_ERR_NFTABLES, errno, "reading nftables' answer");
		remaining = (int)n;
		for (struct nlmsghdr *nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, remaining);
		     nlh = mnl_nlmsg_next(nlh, &remaining)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (e->error != 0 && first_error == 0 && nlh->nlmsg_seq > w->first_seq &&
			    nlh->nlmsg_seq < w->next_seq) {
				first_error = -e->error;
				failed_index = nlh->nlmsg_seq - w->first_seq - 1;
			} else if (e->error != 0 && first_error == 0) {
				first_error = -e->error;
				failed_index = nftwire_messages(w);
			}
			if (nlh->nlmsg_seq == last_seq)
				goto done;
		}
	}
done:
	if (first_error == 0)
		return 0;
	if (failed_index < nftwire_messages(w))
		return refused(w, failed_index, first_error, err);
	return jn_error_errno(err, JN_ERR_NFTABLES, first_error, "nftables refused a transaction of %zu changes",
			      nftwire_messages(w));
}

int nftwire_commit(struct nftwire *w, struct jn_error *err)
{
	struct mnl_socket *nl;
	unsigned char begin[MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg))];
	unsigned char end[sizeof(begin)];
	unsigned last_seq = w->next_seq - 1;
	struct nlmsghdr *last = NULL;
	struct iovec iov[3];
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &kernel, .msg_namelen = sizeof(kernel), .msg_iov = iov, .msg_iovlen = 3 };

	if (w->failed || strbuf_failed(&w->text))
		return jn_error_set(err, JN_ERR_NFTABLES, "out of memory building an nftables transaction");
	if (nftwire_messages(w) == 0)
		return 0;
	/* Find the last message and ask for its acknowledgement. */
	for (size_t at = 0; at < w->len; at += ((struct nlmsghdr *)(w->buf + at))->nlmsg_len)
		last = (struct nlmsghdr *)(w->buf + at);
	last->nlmsg_flags |= NLM_F_ACK;
	nfsock_header(begin, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, w->first_seq, NFNL_SUBSYS_NFTABLES);
	nfsock_header(end, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, w->next_seq, NFNL_SUBSYS_NFTABLES);
	iov[0] = (struct iovec){ begin, sizeof(begin) };
	iov[1] = (struct iovec){ w->buf, w->len };
	iov[2] = (struct iovec){ end, sizeof(end) };
	nl = nfsock_get(err);
	if (nl == NULL || fit_send_buffer(nl, w->len + sizeof(begin) * 2, err) < 0)
		return -1;
	if (sendmsg(mnl_socket_get_fd(nl), &msg, 0) < 0)
		return jn_error_errno(err, JN_ERR_NFTABLES, errno, "sending an nftables transaction of %zu changes",
				      nftwire_messages(w));
	return read_replies(nl, w, last_seq, err);
}

int nftwire_element_exists(const struct element *e, bool *exists, struct jn_error *err)
{
	struct mnl_socket *nl;
	unsigned char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned seq = nfsock_seq();
	struct nlmsghdr *nlh;
	ssize_t n;

	*exists = false;
	if (!encodable(e))
		return jn_error_set(err, JN_ERR_NFTABLES, "cannot look up an element of %s directly", e->set);
	nlh = build(buf, NFT_MSG_GETSETELEM, 0, seq, e, false, false);
	nl = nfsock_get(err);
	if (nl == NULL)
		return -1;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return jn_error_errno(err, JN_ERR_NFTABLES, errno, "asking nftables for an element of %s", e->set);
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < (ssize_t)sizeof(struct nlmsghdr))
		return jn_error_errno(err, JN_ERR_NFTABLES, n < 0 ? errno : EPROTO, "reading an element of %s", e->set);
	nlh = (struct nlmsghdr *)buf;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		int error = -((const struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error;
		if (error == ENOENT)
			return 0;
		return jn_error_errno(err, JN_ERR_NFTABLES, error, "looking up an element of %s", e->set);
	}
	*exists = true;
	return 0;
}
