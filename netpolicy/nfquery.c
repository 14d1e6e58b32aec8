#include "netpolicy/nfquery.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
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

static int request(struct mnl_socket *nl, uint8_t family, const char *name, struct table_reply *reply)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned seq = nfsock_seq(), port = mnl_socket_get_portid(nl);
	struct nlmsghdr *nlh =
		nfsock_header(buf, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE, NLM_F_ACK, family, seq, 0);
	ssize_t n;
	int rc;

	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)n, seq, port, on_table, reply);
	} while (rc == MNL_CB_OK);
	return rc < 0 ? -errno : 0;
}

int nfquery_table(uint8_t family, const char *name, bool *exists, char *comment, size_t size, struct jn_error *err)
{
	struct mnl_socket *nl = nfsock_get(err);
	struct table_reply reply = { .comment = comment, .size = size };
	int rc;

	*exists = false;
	comment[0] = '\0';
	if (nl == NULL)
		return -1;
	rc = request(nl, family, name, &reply);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return jn_error_errno(err, JN_ERR_NFTABLES, -rc, "asking nf_tables for table %s", name);
	*exists = true;
	return 0;
}
