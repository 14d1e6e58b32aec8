/* Network namespaces. Work inside a job's namespace runs in a short-lived
 * thread that calls setns(), so the plugin's main thread never leaves the
 * node's namespace (a netlink socket opened there stays bound to it).
 */
#ifndef JOBNET_NETNS_H
#define JOBNET_NETNS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* Open a namespace reference and check that it is a network namespace
 * (error 110 otherwise); never blocks, whatever the path names. A path that
 * does not exist fails with errno ENOENT, which DEL and GC take for a
 * namespace already gone. */
int netns_open(const char *path, int *out, struct jn_error *err);

/* A namespace's identity. A path does not keep it: /proc/<pid>/ns/net
 * names another namespace once the PID is reused. The device and inode of
 * its nsfs file are what every path that names it shows, but the kernel
 * gives a freed inode number to the next namespace; its cookie
 * (SO_NETNS_COOKIE, kernels 5.14 and later) is never given twice while the
 * node runs. All 0: unknown (a record written before jobnet kept it); a
 * cookie 0: the kernel has none. */
struct netns_id {
	unsigned long long dev;
	unsigned long long ino;
	unsigned long long cookie;
};

/* Whether id says anything: not NULL, and not all 0. */
static inline bool netns_id_is_known(const struct netns_id *id)
{
	return id != NULL && id->ino != 0;
}

/* The identity of the namespace fd refers to (the cookie from a socket
 * made inside it, in a short-lived thread). */
int netns_identify(int fd, struct netns_id *out, struct jn_error *err);

/* The same with sock, a socket already made inside that namespace: no
 * thread. */
int netns_identify_by_socket(int fd, int sock, struct netns_id *out, struct jn_error *err);

/* 0 when now is the namespace id names; else error 110 with errno ESTALE
 * (netns_is_gone): path names another namespace now. */
int netns_expect_same(const char *path, const struct netns_id *id, const struct netns_id *now, struct jn_error *err);

/* netns_open, and the namespace must be id (any, when id is NULL or
 * unknown): a path that names another namespace now fails with errno
 * ESTALE, and the caller counts that namespace as gone. */
int netns_open_same(const char *path, const struct netns_id *id, int *out, struct jn_error *err);

/* Whether a failure of netns_open or netns_open_same means the namespace
 * is gone: the path does not exist (ENOENT, ENOTDIR), names no network
 * namespace (a failure without errno), or names another one (ESTALE). Any
 * other failure (EACCES, EMFILE, a thread that did not start) says nothing
 * of the namespace. */
bool netns_is_gone(const struct jn_error *err);

/* True when fd refers to the namespace the plugin itself runs in (compared
 * by device and inode, not by path). */
int netns_is_current(int fd, bool *out, struct jn_error *err);

typedef int (*netns_fn)(void *arg, struct jn_error *err);

/* Run fn(arg, err) in a thread that has joined the namespace fd. */
int netns_run(int fd, netns_fn fn, void *arg, struct jn_error *err);

#endif
