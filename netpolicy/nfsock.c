#include "netpolicy/nfsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

static struct mnl_socket *shared;

/* Replies an earlier caller left unread (it stopped at an error). */
static void drain(struct mnl_socket *nl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	while (recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

struct mnl_socket *nfsock_get(struct jn_error *err)
{
	struct timeval timeout = { .tv_sec = 10 };
	int one = 1;

	if (shared != NULL) {
		drain(shared);
		return shared;
	}
	shared = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (shared == NULL || mnl_socket_bind(shared, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(shared), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0 ||
	    mnl_socket_setsockopt(shared, NETLINK_CAP_ACK, &one, sizeof(one)) < 0) {
		int saved = errno;
		nfsock_release();
		jn_error_errno(err, JN_ERR_NFTABLES, saved, "opening a netfilter netlink socket");
		return NULL;
	}
	return shared;
}

struct nlmsghdr *nfsock_header(void *buf, uint16_t type, uint16_t flags, uint8_t family, unsigned seq, uint16_t res_id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
	return nlh;
}

unsigned nfsock_seq(void)
{
	static unsigned seq;

	if (seq == 0)
		seq = (unsigned)time(NULL);
	return ++seq;
}

void nfsock_release(void)
{
	if (shared != NULL)
		mnl_socket_close(shared);
	shared = NULL;
}
