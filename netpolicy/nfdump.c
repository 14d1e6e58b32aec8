#include "netpolicy/nfdump.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <string.h>

#include "netpolicy/nfsock.h"

struct dump {
	nfdump_fn fn;
	void *ctx;
};

/* NFTA_DATA_VALUE inside a NFTA_SET_ELEM_KEY or _KEY_END nest. */
static const struct nlattr *data_value(const struct nlattr *nest)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, nest)
	{
		if (mnl_attr_get_type(attr) == NFTA_DATA_VALUE && mnl_attr_validate(attr, MNL_TYPE_BINARY) >= 0)
			return attr;
	}
	return NULL;
}

static void on_element(const struct nlattr *elem, struct dump *d)
{
	struct nfdump_element e = { 0 };
	const struct nlattr *attr, *value;

	mnl_attr_for_each_nested(attr, elem)
	{
		uint16_t type = mnl_attr_get_type(attr);
		if ((type != NFTA_SET_ELEM_KEY && type != NFTA_SET_ELEM_KEY_END) ||
		    mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 || (value = data_value(attr)) == NULL)
			continue;
		if (type == NFTA_SET_ELEM_KEY) {
			e.key = mnl_attr_get_payload(value);
			e.key_len = mnl_attr_get_payload_len(value);
		} else {
			e.key_end = mnl_attr_get_payload(value);
			e.key_end_len = mnl_attr_get_payload_len(value);
		}
	}
	if (e.key != NULL)
		d->fn(&e, d->ctx);
}

static int on_list_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr *elem;

	if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS || mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(elem, attr)
	{
		if (mnl_attr_validate(elem, MNL_TYPE_NESTED) >= 0)
			on_element(elem, data);
	}
	return MNL_CB_OK;
}

static int on_message(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct nfgenmsg), on_list_attr, data);
}

int nfdump_set(uint8_t family, const char *set, nfdump_fn fn, void *ctx, struct jn_error *err)
{
	unsigned char buf[NFSOCK_HEADER_LEN + 128];
	struct dump d = { .fn = fn, .ctx = ctx };
	struct nfsock_msg m;
	char what[96];

	snprintf(what, sizeof(what), "listing the elements of %.64s", set);
	nfsock_msg_start(&m, buf, sizeof(buf), (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM, NLM_F_DUMP, family,
			 nfsock_seq(), 0);
	nfsock_put_strz(&m, NFTA_SET_ELEM_LIST_TABLE, "jobnet");
	nfsock_put_strz(&m, NFTA_SET_ELEM_LIST_SET, set);
	return nfsock_request(&m, on_message, &d, JN_ERR_NFTABLES, what, err);
}
