/* The process's one nfnetlink socket, for nf_tables and conntrack
 * requests (nftwire.c, nfquery.c, conntrack.c), how their messages are
 * built, and the one exchange every request goes through.
 *
 * Closing a netfilter netlink socket right after a transaction that deleted
 * elements waits for an RCU grace period (the kernel finishes the deferred
 * destruction first): 15-20 ms here. Kept open, the socket goes at
 * nfsock_release(), after the rest of the work, by when the grace period
 * has passed alongside it.
 */
#ifndef JOBNET_NFSOCK_H
#define JOBNET_NFSOCK_H

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/error.h"

/* The socket, opened on first use, with nothing left to read from an
 * earlier request. NULL with err filled when it cannot be opened. */
struct mnl_socket *nfsock_get(struct jn_error *err);

/* Close it; call last. A later nfsock_get opens a new one. */
void nfsock_release(void);

/* The next sequence number for a request (they increase from a time-based
 * start, so a reply to an earlier process is not taken for one). */
unsigned nfsock_seq(void);

/* What a message's headers take: struct nlmsghdr and struct nfgenmsg. */
#define NFSOCK_HEADER_LEN (MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)))

/* A message built in a buffer of fixed size. Every put checks the room
 * left; the first that does not fit marks the message overflowed and the
 * later ones do nothing, so the builder looks once, at the end, and
 * nfsock_request() refuses to send it. */
struct nfsock_msg {
	struct nlmsghdr *nlh;
	size_t size; /* of the buffer */
	bool overflow;
};

/* Start a request in buf[size]: type is (subsystem << 8) | message, flags
 * are added to NLM_F_REQUEST, res_id is host order. */
void nfsock_msg_start(struct nfsock_msg *m, void *buf, size_t size, uint16_t type, uint16_t flags, uint8_t family,
		      unsigned seq, uint16_t res_id);
void nfsock_put(struct nfsock_msg *m, uint16_t type, size_t len, const void *data);
void nfsock_put_strz(struct nfsock_msg *m, uint16_t type, const char *text);
void nfsock_put_u8(struct nfsock_msg *m, uint16_t type, uint8_t value);
void nfsock_put_u16(struct nfsock_msg *m, uint16_t type, uint16_t value);
void nfsock_put_u32(struct nfsock_msg *m, uint16_t type, uint32_t value);
/* NULL when it does not fit; nfsock_nest_end takes that too. */
struct nlattr *nfsock_nest_start(struct nfsock_msg *m, uint16_t type);
void nfsock_nest_end(struct nfsock_msg *m, struct nlattr *nest);

/* Fills err for the first error the kernel reported: errnum, for the
 * message of sequence number seq. */
typedef void (*nfsock_refusal_fn)(void *data, unsigned seq, int errnum, struct jn_error *err);

struct nfsock_request {
	const struct iovec *iov; /* one message, or a batch */
	size_t iov_count;
	unsigned first_seq, last_seq; /* the sequence numbers the replies may carry */
	mnl_cb_t on_data; /* each data message (MNL_CB_OK or MNL_CB_ERROR); NULL: none expected */
	void *data;
	nfsock_refusal_fn on_refusal; /* NULL: err says what, with the errno */
	int code; /* the CNI code of a failure */
	const char *what; /* the request, for messages ("asking nf_tables for table jobnet") */
};

/* Send the request and read the answer, until the reply that ends last_seq
 * (its ACK, an error, or the DONE of a dump); an error for first_seq, the
 * header of a batch, ends it too, since the kernel then reads no further.
 * Every reply must come from the kernel to this socket's port id with a
 * sequence number in [first_seq, last_seq] (mnl_cb_run2 checks the port).
 * A batch's refusals each name their message: the first fills err. So the
 * last message must ask for an ACK (NLM_F_ACK) unless it is a dump. */
int nfsock_exchange(const struct nfsock_request *req, struct jn_error *err);

/* One message: nfsock_exchange() for it, or err when it overflowed. */
int nfsock_request(const struct nfsock_msg *m, mnl_cb_t on_data, void *data, int code, const char *what,
		   struct jn_error *err);

#endif
