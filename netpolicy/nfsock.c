#include "nfsock.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>

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

void nfsock_release(void)
{
	if (shared != NULL)
		mnl_socket_close(shared);
	shared = NULL;
}
