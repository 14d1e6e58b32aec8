/* The job's side of an attachment: its namespace, its interface, addresses
 * and routes. Everything here acts inside CNI_NETNS.
 */
#ifndef JOBNET_SANDBOX_H
#define JOBNET_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "base/addr.h"
#include "core/attachment.h"
#include "base/error.h"

struct nl_sock;

struct sandbox {
	int netns_fd;
	struct nl_sock *sk;
};

/* Open the namespace and a netlink socket inside it. A path that does not
 * exist fails as netns_open says (error 110, errno ENOENT). */
int sandbox_open(const char *netns_path, struct sandbox *out, struct jn_error *err);

/* The same for a recorded job: the path must still name the namespace ADD
 * attached (netns_open_same), else it fails as one that is gone. */
int sandbox_open_job(const char *netns_path, const struct attachment *a, struct sandbox *out, struct jn_error *err);
void sandbox_close(struct sandbox *sb);

/* The identity of the sandbox's namespace (netns_identify). */
int sandbox_identify(const struct sandbox *sb, struct netns_id *out, struct jn_error *err);

/* Error 104 when ifname already exists in the namespace. */
int sandbox_require_absent(struct sandbox *sb, const char *ifname, struct jn_error *err);

/* Configure the job's interface (already moved in): no DAD wait, the
 * addresses without subnet routes, link up, default routes via gateways. */
int sandbox_configure(struct sandbox *sb, const struct attachment *a, struct jn_error *err);

/* Delete the interface; absent is success. */
int sandbox_delete_link(struct sandbox *sb, const char *ifname, struct jn_error *err);

/* Compare the interface with the record; error 108 names the difference. */
int sandbox_check(struct sandbox *sb, const struct attachment *a, unsigned mtu, struct jn_error *err);

#endif
