/* The loopback relay: how a port mapping on 127.0.0.1 or ::1 reaches a
 * bridged job without route_localnet.
 *
 * The kernel refuses to route a packet whose source is a loopback address
 * out of any other interface unless route_localnet is on (the output check
 * and, for the reply, the input check both call it martian), so a DNAT from
 * 127.0.0.1 to a job cannot work without reopening CVE-2020-8558. A
 * connection to a loopback mapping is therefore redirected (nat output,
 * loopback to loopback) to a port of the same loopback address on which a
 * small relay process listens; the relay opens its own connection to the
 * job (from the gateway's address, which rule 5 allows) and copies bytes
 * both ways. This is Docker's userland-proxy, for loopback mappings only,
 * except that the relay does not hold the host port itself: a runtime that
 * binds the host port to reserve it (podman does, after ADD) finds it free.
 *
 * One relay serves all loopback mappings of one attachment. ADD starts it
 * and waits until it has bound every socket (so a failure is an error
 * before anything else changes); DEL stops it. The relay drops to nobody
 * after binding, and knows nothing of jobnet's state.
 */
#ifndef JOBNET_RELAY_H
#define JOBNET_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "base/error.h"

#define JN_RELAY_MAX_LISTENERS 128

struct relay_listener {
	int proto; /* IPPROTO_TCP or IPPROTO_UDP */
	struct sockaddr_storage listen; /* port 0: one the kernel picks */
	socklen_t listen_len;
	struct sockaddr_storage target;
	socklen_t target_len;
};

struct relay_handle {
	int pid; /* 0 when none */
	unsigned long long start; /* /proc/<pid>/stat start time, against pid reuse */
};

/* Start a detached relay. Returns once it has bound every listener, each
 * listen port then set to the one bound, or error 107 naming the one it
 * could not bind. The relay then waits: the
 * caller writes the record that names it (out) and calls relay_commit; if
 * the caller dies first, or calls relay_abandon, the relay exits at once,
 * so no process is ever left that no record names. *commit_fd is -1 when
 * count is 0. Once serving, the relay exits by itself when the node no
 * longer has the link watch_ifname (the job's host veth, gone with the
 * job's namespace), so a job whose DEL never comes leaves no relay. */
int relay_spawn(struct relay_listener *listeners, size_t count, const char *watch_ifname, struct relay_handle *out,
		int *commit_fd, struct jn_error *err);

/* Tell the relay to serve, or to exit; both close *commit_fd and set it
 * to -1, and do nothing when it is -1 already. */
void relay_commit(int *commit_fd);
void relay_abandon(int *commit_fd);

/* Stop it (SIGTERM, then SIGKILL after a second); a relay already gone, or
 * a pid now used by another process, is success. */
int relay_stop(const struct relay_handle *h, struct jn_error *err);

bool relay_is_alive(const struct relay_handle *h);

/* The relay's event loop (in the relay process; returns on SIGTERM or when
 * watch_ifname disappears). */
int relay_serve(const int *fds, const struct relay_listener *listeners, size_t count, const char *watch_ifname);

#endif
