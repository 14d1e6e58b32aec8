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
#include "netpolicy/templates.h"

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
	case ELEMENT_NUMBER48:
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

/* The widest field put_value writes. */
#define FIELD_MAX 16

static void put_data(struct nfsock_msg *m, uint16_t type, const struct element_value *values, size_t count, bool end)
{
	unsigned char bytes[VALUE_MAX];
	size_t len = 0;
	struct nlattr *nest = nfsock_nest_start(m, type);

	for (size_t i = 0; i < count; i++) {
		if (len + FIELD_MAX > sizeof(bytes)) {
			m->overflow = true;
			return;
		}
		len += put_value(bytes + len, &values[i], end);
	}
	nfsock_put(m, NFTA_DATA_VALUE, len, bytes);
	nfsock_nest_end(m, nest);
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

/* The comment as libnftnl's user data: {type, length, text with its NUL}. */
static void put_comment(struct nfsock_msg *m, const char *comment)
{
	unsigned char udata[256];
	size_t len = strlen(comment) + 1;

	if (len + 2 > sizeof(udata) || len > UINT8_MAX) {
		m->overflow = true;
		return;
	}
	udata[0] = USERDATA_COMMENT;
	udata[1] = (unsigned char)len;
	memcpy(udata + 2, comment, len);
	nfsock_put(m, NFTA_SET_ELEM_USERDATA, len + 2, udata);
}

/* One NEWSETELEM, DELSETELEM or GETSETELEM message for one element, in
 * buf[MESSAGE_MAX]; m->overflow when it did not fit. */
static void build(struct nfsock_msg *m, unsigned char *buf, uint8_t msg, uint16_t flags, unsigned seq,
		  const struct element *e, bool with_data, bool with_comment)
{
	uint8_t family = e->table == ELEMENT_BRIDGE ? NFPROTO_BRIDGE : NFPROTO_INET;
	struct nlattr *list, *elem;

	nfsock_msg_start(m, buf, MESSAGE_MAX, (NFNL_SUBSYS_NFTABLES << 8) | msg, flags, family, seq, 0);
	nfsock_put_strz(m, NFTA_SET_ELEM_LIST_TABLE, NETPOLICY_TABLE);
	nfsock_put_strz(m, NFTA_SET_ELEM_LIST_SET, e->set);
	list = nfsock_nest_start(m, NFTA_SET_ELEM_LIST_ELEMENTS);
	elem = nfsock_nest_start(m, NFTA_LIST_ELEM);
	put_data(m, NFTA_SET_ELEM_KEY, e->key, e->key_count, false);
	if (is_range(e))
		put_data(m, NFTA_SET_ELEM_KEY_END, e->key, e->key_count, true);
	if (with_data && e->data_count > 0)
		put_data(m, NFTA_SET_ELEM_DATA, e->data, e->data_count, false);
	if (with_comment && e->comment != NULL)
		put_comment(m, e->comment);
	nfsock_nest_end(m, elem);
	nfsock_nest_end(m, list);
}

static void queue(struct nftwire *w, const char *verb, uint8_t msg, uint16_t flags, const struct element *e,
		  bool with_data, bool with_comment)
{
	unsigned char message[MESSAGE_MAX];
	cleanup_strbuf struct strbuf line = STRBUF_INIT;
	size_t at = w->text.len;
	struct nfsock_msg m;
	struct nlmsghdr *nlh;

	build(&m, message, msg, flags, w->next_seq, e, with_data, with_comment);
	nlh = m.nlh;
	if (m.overflow || !reserve((void **)&w->buf, &w->cap, w->len + nlh->nlmsg_len, 1) ||
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

void nftwire_delete(struct nftwire *w, const struct element *e)
{
	if (!encodable(e)) {
		w->failed = true;
		return;
	}
	queue(w, "delete", NFT_MSG_DELSETELEM, 0, e, false, false);
}

/* The first refusal of a batch: "could not add <table> <set> { <key> }"
 * for one of its messages, else the batch's header was refused. */
static void refused(void *data, unsigned seq, int errnum, struct jn_error *err)
{
	const struct nftwire *w = data;
	const char *text;

	if (seq <= w->first_seq || seq >= w->next_seq) {
		jn_error_errno(err, JN_ERR_NFTABLES, errnum, "nftables refused a transaction of %zu changes",
			       nftwire_messages(w));
		return;
	}
	text = strbuf_text(&w->text) + w->text_at[seq - w->first_seq - 1];
	jn_error_errno(err, JN_ERR_NFTABLES, errnum, "nftables could not %.*s", (int)strcspn(text, "\n"), text);
}

int nftwire_commit(struct nftwire *w, struct jn_error *err)
{
	unsigned char begin[NFSOCK_HEADER_LEN], end[NFSOCK_HEADER_LEN];
	struct nfsock_msg head, tail;
	struct nlmsghdr *last = NULL;
	struct iovec iov[3];
	struct nfsock_request req = { .iov = iov,
				      .iov_count = 3,
				      .first_seq = w->first_seq,
				      .last_seq = w->next_seq - 1,
				      .data = w,
				      .on_refusal = refused,
				      .code = JN_ERR_NFTABLES,
				      .what = "sending an nftables transaction" };

	if (w->failed || strbuf_failed(&w->text))
		return jn_error_set(err, JN_ERR_NFTABLES,
				    "cannot build an nftables transaction (out of memory, or an element too long)");
	if (nftwire_messages(w) == 0)
		return 0;
	/* Find the last message and ask for its acknowledgement. */
	for (size_t at = 0; at < w->len; at += ((struct nlmsghdr *)(w->buf + at))->nlmsg_len)
		last = (struct nlmsghdr *)(w->buf + at);
	last->nlmsg_flags |= NLM_F_ACK;
	nfsock_msg_start(&head, begin, sizeof(begin), NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, w->first_seq,
			 NFNL_SUBSYS_NFTABLES);
	nfsock_msg_start(&tail, end, sizeof(end), NFNL_MSG_BATCH_END, 0, AF_UNSPEC, w->next_seq, NFNL_SUBSYS_NFTABLES);
	iov[0] = (struct iovec){ begin, sizeof(begin) };
	iov[1] = (struct iovec){ w->buf, w->len };
	iov[2] = (struct iovec){ end, sizeof(end) };
	return nfsock_exchange(&req, err);
}

/* The data of the one element a GETSETELEM reply carries. */
struct reply_data {
	const uint8_t *value;
	size_t len;
};

static int on_elem_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr *inner;

	if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_DATA || mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(inner, attr)
	{
		if (mnl_attr_get_type(inner) == NFTA_DATA_VALUE) {
			((struct reply_data *)data)->value = mnl_attr_get_payload(inner);
			((struct reply_data *)data)->len = mnl_attr_get_payload_len(inner);
		}
	}
	return MNL_CB_OK;
}

static int on_list_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr *elem;

	if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS || mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(elem, attr)
	{
		mnl_attr_parse_nested(elem, on_elem_attr, data);
	}
	return MNL_CB_OK;
}

/* Whether the kernel's element has e's data (a map element of this job,
 * not another's under the same key). */
static bool same_data(const struct element *e, const struct nlmsghdr *nlh)
{
	struct reply_data got = { 0 };
	unsigned char want[VALUE_MAX] = { 0 };
	size_t len = 0;

	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), on_list_attr, &got);
	for (size_t i = 0; i < e->data_count; i++)
		len += put_value(want + len, &e->data[i], false);
	return got.value != NULL && got.len == len && memcmp(got.value, want, len) == 0;
}

struct lookup {
	const struct element *e;
	bool *exists, *same;
};

static int on_element(const struct nlmsghdr *nlh, void *data)
{
	struct lookup *l = data;

	*l->exists = true;
	if (l->same != NULL)
		*l->same = same_data(l->e, nlh);
	return MNL_CB_OK;
}

int nftwire_element_exists(const struct element *e, bool *exists, struct jn_error *err)
{
	return nftwire_element_lookup(e, exists, NULL, err);
}

int nftwire_element_lookup(const struct element *e, bool *exists, bool *same, struct jn_error *err)
{
	unsigned char buf[MESSAGE_MAX];
	struct jn_error failure = { 0 };
	struct lookup l = { .e = e, .exists = exists, .same = same };
	struct nfsock_msg m;
	char what[96];

	*exists = false;
	if (same != NULL)
		*same = false;
	if (!encodable(e))
		return jn_error_set(err, JN_ERR_NFTABLES, "cannot look up an element of %s directly", e->set);
	snprintf(what, sizeof(what), "looking up an element of %.64s", e->set);
	build(&m, buf, NFT_MSG_GETSETELEM, NLM_F_ACK, nfsock_seq(), e, false, false);
	if (nfsock_request(&m, on_element, &l, JN_ERR_NFTABLES, what, &failure) == 0)
		return 0;
	/* No such element. */
	return jn_error_absorb(&failure, ENOENT) ? 0 : jn_error_keep_first(err, &failure);
}
