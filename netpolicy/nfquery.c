#include "netpolicy/nfquery.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "netpolicy/nfsock.h"

/* libnftnl's user data: {u8 type, u8 len, value} records; 0 is the comment. */
#define UDATA_TABLE_COMMENT 0

struct table_reply {
	char *comment;
	size_t size;
};

static void parse_comment(const struct nlattr *udata, struct table_reply *reply)
{
	const uint8_t *p = mnl_attr_get_payload(udata);
	size_t left = mnl_attr_get_payload_len(udata);

	while (left >= 2 && (size_t)p[1] + 2 <= left) {
		if (p[0] == UDATA_TABLE_COMMENT) {
			size_t n = p[1] < reply->size ? p[1] : reply->size - 1;
			memcpy(reply->comment, p + 2, n);
			reply->comment[n] = '\0';
			return;
		}
		left -= (size_t)p[1] + 2;
		p += p[1] + 2;
	}
}

static int on_table_attr(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == NFTA_TABLE_USERDATA && mnl_attr_validate(attr, MNL_TYPE_BINARY) >= 0)
		parse_comment(attr, data);
	return MNL_CB_OK;
}

static int on_table(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct nfgenmsg), on_table_attr, data);
}

int nfquery_table(uint8_t family, const char *name, bool *exists, char *comment, size_t size, struct jn_error *err)
{
	struct table_reply reply = { .comment = comment, .size = size };
	struct jn_error failure = { 0 };
	char buf[256], what[96];
	struct nfsock_msg m;

	*exists = false;
	comment[0] = '\0';
	snprintf(what, sizeof(what), "asking nf_tables for table %.64s", name);
	nfsock_msg_start(&m, buf, sizeof(buf), (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE, NLM_F_ACK, family,
			 nfsock_seq(), 0);
	nfsock_put_strz(&m, NFTA_TABLE_NAME, name);
	if (nfsock_request(&m, on_table, &reply, JN_ERR_NFTABLES, what, &failure) < 0)
		/* No such table: it is not there. */
		return jn_error_absorb(&failure, ENOENT) ? 0 : jn_error_keep_first(err, &failure);
	*exists = true;
	return 0;
}
