#include "core/ipam.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"

/* Upper bound of addresses tried per pick, so a huge IPv6 pool that is
 * nearly full still answers quickly. */
#define IPAM_SCAN_LIMIT (1u << 20)

static const char *hint_name(int family)
{
	return family == AF_INET ? "last-reserved-v4" : "last-reserved-v6";
}

int ipam_owner(struct state_network *net, const struct jn_addr *addr, char *owner, struct jn_error *err)
{
	char name[JN_ADDR_STRLEN];
	ssize_t n;

	addr_format(addr, name);
	n = readlinkat(net->ipam_fd, name, owner, JN_ATTACHMENT_KEY_MAX - 1);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		return jn_error_errno(err, JN_ERR_STATE, errno, "reading reservation %s/ipam/%s", net->path, name);
	}
	owner[n] = '\0';
	return 1;
}

/* Network, gateway and (IPv4) broadcast addresses are never handed out. */
static const char *reserved_role(const struct ipam_pool *pool, const struct jn_addr *addr)
{
	struct jn_addr last;

	if (addr_equal(addr, &pool->subnet.addr))
		return "the network address";
	if (addr_equal(addr, &pool->gateway))
		return "the gateway";
	prefix_last(&pool->subnet, &last);
	if (addr->family == AF_INET && addr_equal(addr, &last))
		return "the broadcast address";
	return NULL;
}

static int pick_requested(struct state_network *net, const struct ipam_pool *pool, const struct jn_addr *requested,
			  struct jn_addr *out, struct jn_error *err)
{
	char text[JN_ADDR_STRLEN], owner[JN_ATTACHMENT_KEY_MAX];
	const char *role = reserved_role(pool, requested);
	int rc;

	if (!prefix_contains(&pool->subnet, requested))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "requested address %s is outside the subnet",
				    addr_format(requested, text));
	if (role != NULL)
		return jn_error_set(err, JN_ERR_ADDRESS_TAKEN, "requested address %s is %s",
				    addr_format(requested, text), role);
	rc = ipam_owner(net, requested, owner, err);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return jn_error_set(err, JN_ERR_ADDRESS_TAKEN, "requested address %s is taken by %s",
				    addr_format(requested, text), owner);
	*out = *requested;
	return 0;
}

static void read_hint(struct state_network *net, const struct ipam_pool *pool, struct jn_addr *out)
{
	char buf[JN_ADDR_STRLEN] = "";
	cleanup_close int fd = openat(net->ipam_fd, hint_name(pool->subnet.addr.family), O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!addr_parse(buf, out) || !prefix_contains(&pool->subnet, out))
		*out = pool->subnet.addr;
}

static void write_hint(struct state_network *net, const struct jn_addr *addr)
{
	char text[JN_ADDR_STRLEN];
	cleanup_close int fd = openat(net->ipam_fd, hint_name(addr->family),
				      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	/* Only a hint: losing it costs a longer scan, never a wrong answer. */
	addr_format(addr, text);
	if (fd >= 0 && write(fd, text, strlen(text)) < 0)
		return;
}

int ipam_pick(struct state_network *net, const struct ipam_pool *pool, const struct jn_addr *requested,
	      struct jn_addr *out, struct jn_error *err)
{
	char text[JN_ADDR_STRLEN], owner[JN_ATTACHMENT_KEY_MAX];
	uint64_t size = prefix_size(&pool->subnet), tries = size < IPAM_SCAN_LIMIT ? size : IPAM_SCAN_LIMIT;
	struct jn_addr candidate;

	if (requested != NULL && requested->family != 0)
		return pick_requested(net, pool, requested, out, err);
	read_hint(net, pool, &candidate);
	for (uint64_t i = 0; i < tries; i++) {
		int rc;
		addr_add(&candidate, 1);
		if (!prefix_contains(&pool->subnet, &candidate))
			candidate = pool->subnet.addr; /* wrapped past the end */
		if (reserved_role(pool, &candidate) != NULL)
			continue;
		rc = ipam_owner(net, &candidate, owner, err);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			*out = candidate;
			return 0;
		}
	}
	return jn_error_set(err, JN_ERR_POOL_EXHAUSTED, "no free address left in %s",
			    prefix_format(&pool->subnet, text));
}

int ipam_claim(struct state_network *net, const struct jn_addr *addr, const char *owner, struct jn_error *err)
{
	char name[JN_ADDR_STRLEN];

	addr_format(addr, name);
	if (symlinkat(owner, net->ipam_fd, name) < 0) {
		if (errno == EEXIST)
			return jn_error_set(err, JN_ERR_ADDRESS_TAKEN, "address %s is already reserved", name);
		return jn_error_errno(err, JN_ERR_STATE, errno, "reserving %s/ipam/%s", net->path, name);
	}
	write_hint(net, addr);
	return 0;
}

int ipam_release(struct state_network *net, const struct jn_addr *addr, const char *owner, struct jn_error *err)
{
	char name[JN_ADDR_STRLEN], holder[JN_ATTACHMENT_KEY_MAX];
	int rc = ipam_owner(net, addr, holder, err);

	if (rc <= 0)
		return rc;
	/* Someone else's reservation is never ours to release. */
	if (strcmp(holder, owner) != 0)
		return 0;
	addr_format(addr, name);
	if (unlinkat(net->ipam_fd, name, 0) < 0 && errno != ENOENT)
		return jn_error_errno(err, JN_ERR_STATE, errno, "releasing %s/ipam/%s", net->path, name);
	return 0;
}

int ipam_each(struct state_network *net, ipam_entry_fn fn, void *ctx, struct jn_error *err)
{
	cleanup_close int fd = openat(net->ipam_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *entry;
	int rc = 0;

	if (dir == NULL)
		return jn_error_errno(err, JN_ERR_STATE, errno, "listing %s/ipam", net->path);
	take_fd(fd);
	while (rc == 0 && (entry = readdir(dir)) != NULL) {
		char owner[JN_ATTACHMENT_KEY_MAX];
		struct jn_addr addr;
		ssize_t n;
		if (!addr_parse(entry->d_name, &addr))
			continue; /* ".", "..", hint files */
		n = readlinkat(net->ipam_fd, entry->d_name, owner, sizeof(owner) - 1);
		if (n < 0)
			continue;
		owner[n] = '\0';
		rc = fn(net, entry->d_name, owner, ctx);
	}
	closedir(dir);
	return rc;
}

struct orphan_walk {
	ipam_keep_fn keep;
	ipam_dropped_fn dropped;
	void *ctx;
};

static int release_if_orphan(struct state_network *net, const char *address, const char *owner, void *data)
{
	struct orphan_walk *w = data;
	struct jn_error failure = { 0 };

	if (state_has_record(net, owner) || (w->keep != NULL && w->keep(owner, w->ctx)))
		return 0;
	if (unlinkat(net->ipam_fd, address, 0) < 0 && errno != ENOENT)
		jn_error_errno(&failure, JN_ERR_STATE, errno, "releasing %s/ipam/%s", net->path, address);
	w->dropped(address, owner, &failure, w->ctx);
	return 0;
}

int ipam_release_orphans(struct state_network *net, ipam_keep_fn keep, ipam_dropped_fn dropped, void *ctx,
			 struct jn_error *err)
{
	struct orphan_walk w = { .keep = keep, .dropped = dropped, .ctx = ctx };

	return ipam_each(net, release_if_orphan, &w, err);
}
