#include "netpolicy/nfsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

/* Batches longer than this need a larger send buffer, or the kernel
 * refuses them whole. */
#define SEND_BUFFER_DEFAULT 65536

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

void nfsock_msg_start(struct nfsock_msg *m, void *buf, size_t size, uint16_t type, uint16_t flags, uint8_t family,
		      unsigned seq, uint16_t res_id)
{
	struct nfgenmsg *nfg;

	*m = (struct nfsock_msg){ .nlh = buf, .size = size, .overflow = size < NFSOCK_HEADER_LEN };
	if (m->overflow)
		return;
	m->nlh = mnl_nlmsg_put_header(buf);
	m->nlh->nlmsg_type = type;
	m->nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	m->nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(m->nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
}

void nfsock_put(struct nfsock_msg *m, uint16_t type, size_t len, const void *data)
{
	if (!m->overflow && !mnl_attr_put_check(m->nlh, m->size, type, len, data))
		m->overflow = true;
}

void nfsock_put_strz(struct nfsock_msg *m, uint16_t type, const char *text)
{
	if (!m->overflow && !mnl_attr_put_strz_check(m->nlh, m->size, type, text))
		m->overflow = true;
}

void nfsock_put_u8(struct nfsock_msg *m, uint16_t type, uint8_t value)
{
	nfsock_put(m, type, sizeof(value), &value);
}

void nfsock_put_u16(struct nfsock_msg *m, uint16_t type, uint16_t value)
{
	nfsock_put(m, type, sizeof(value), &value);
}

void nfsock_put_u32(struct nfsock_msg *m, uint16_t type, uint32_t value)
{
	nfsock_put(m, type, sizeof(value), &value);
}

struct nlattr *nfsock_nest_start(struct nfsock_msg *m, uint16_t type)
{
	struct nlattr *nest = m->overflow ? NULL : mnl_attr_nest_start_check(m->nlh, m->size, type);

	if (nest == NULL)
		m->overflow = true;
	return nest;
}

void nfsock_nest_end(struct nfsock_msg *m, struct nlattr *nest)
{
	if (!m->overflow && nest != NULL)
		mnl_attr_nest_end(m->nlh, nest);
}

/* What the answer said so far. */
struct exchange {
	const struct nfsock_request *req;
	bool done;
	int errnum; /* of the first error the kernel reported */
	unsigned error_seq;
};

static bool is_ours(const struct exchange *x, const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_seq >= x->req->first_seq && nlh->nlmsg_seq <= x->req->last_seq;
}

static void note_error(struct exchange *x, const struct nlmsghdr *nlh, int error)
{
	if (error == 0 || x->errnum != 0)
		return;
	x->errnum = error < 0 ? -error : error;
	x->error_seq = nlh->nlmsg_seq;
}

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct exchange *x = data;

	if (!is_ours(x, nlh)) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	return x->req->on_data != NULL ? x->req->on_data(nlh, x->req->data) : MNL_CB_OK;
}

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	struct exchange *x = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (!is_ours(x, nlh) || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = is_ours(x, nlh) ? EBADMSG : EPROTO;
		return MNL_CB_ERROR;
	}
	note_error(x, nlh, e->error);
	x->done = nlh->nlmsg_seq == x->req->last_seq || (e->error != 0 && nlh->nlmsg_seq == x->req->first_seq);
	return x->done ? MNL_CB_STOP : MNL_CB_OK;
}

/* The end of a dump; its payload, when there is one, is the dump's error. */
static int on_done(const struct nlmsghdr *nlh, void *data)
{
	struct exchange *x = data;

	if (!is_ours(x, nlh)) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
		note_error(x, nlh, *(const int *)mnl_nlmsg_get_payload(nlh));
	x->done = nlh->nlmsg_seq == x->req->last_seq;
	return x->done ? MNL_CB_STOP : MNL_CB_OK;
}

static int on_noop(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int send_request(struct mnl_socket *nl, const struct nfsock_request *req, struct jn_error *err)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &kernel,
			      .msg_namelen = sizeof(kernel),
			      .msg_iov = (struct iovec *)req->iov,
			      .msg_iovlen = req->iov_count };
	size_t len = 0;
	int size;

	for (size_t i = 0; i < req->iov_count; i++)
		len += req->iov[i].iov_len;
	size = (int)(len * 2);
	if (len > SEND_BUFFER_DEFAULT &&
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		return jn_error_errno(err, req->code, errno, "%s: sizing a netlink socket for %zu bytes", req->what,
				      len);
	if (sendmsg(mnl_socket_get_fd(nl), &msg, 0) < 0)
		return jn_error_errno(err, req->code, errno, "%s: sending it", req->what);
	return 0;
}

static int read_answer(struct mnl_socket *nl, struct exchange *x, struct jn_error *err)
{
	/* Not const: libmnl takes a plain array. */
	static mnl_cb_t control[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = on_noop, [NLMSG_ERROR] = on_error, [NLMSG_DONE] = on_done, [NLMSG_OVERRUN] = on_noop
	};
	unsigned char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned port = mnl_socket_get_portid(nl);
	/* One request: libmnl checks the sequence number too. */
	unsigned seq = x->req->first_seq == x->req->last_seq ? x->req->last_seq : 0;

	while (!x->done) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		int rc = n < 0 ? MNL_CB_ERROR
			       : mnl_cb_run2(buf, (size_t)n, seq, port, on_data, x, control, NLMSG_MIN_TYPE);
		if (rc == MNL_CB_ERROR)
			return jn_error_errno(err, x->req->code, errno, "%s: reading the answer", x->req->what);
		if (rc == MNL_CB_STOP)
			x->done = true;
	}
	return 0;
}

int nfsock_exchange(const struct nfsock_request *req, struct jn_error *err)
{
	struct mnl_socket *nl = nfsock_get(err);
	struct exchange x = { .req = req };

	if (nl == NULL || send_request(nl, req, err) < 0 || read_answer(nl, &x, err) < 0)
		return -1;
	if (x.errnum == 0)
		return 0;
	if (req->on_refusal != NULL)
		req->on_refusal(req->data, x.error_seq, x.errnum, err);
	return jn_error_errno(err, req->code, x.errnum, "%s", req->what);
}

int nfsock_request(const struct nfsock_msg *m, mnl_cb_t on_data, void *data, int code, const char *what,
		   struct jn_error *err)
{
	struct iovec iov;
	struct nfsock_request req = {
		.iov = &iov, .iov_count = 1, .on_data = on_data, .data = data, .code = code, .what = what
	};

	if (m->overflow)
		return jn_error_set(err, code, "%s: the request does not fit its buffer", what);
	iov = (struct iovec){ .iov_base = m->nlh, .iov_len = m->nlh->nlmsg_len };
	req.first_seq = req.last_seq = m->nlh->nlmsg_seq;
	return nfsock_exchange(&req, err);
}
