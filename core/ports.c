#include "core/ports.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/names.h"
#include "base/service.h"
#include "core/statelayout.h"
#include "kernel/sysctl.h"

#define OWNER_MAX PORTS_OWNER_MAX
#define EPHEMERAL_TRIES 4096

static void port_dir(const char *state_dir, const struct portmap *m, char *out, size_t size)
{
	snprintf(out, size, "%s/%s/%s-%u", state_dir, JN_STATE_PORTS_DIR, service_proto_name(m->proto), m->host_port);
}

static void entry_name(const struct portmap *m, char out[JN_ADDR_STRLEN])
{
	if (portmap_is_any(m))
		strcpy(out, "any");
	else
		addr_format(&m->host_ip, out);
}

/* Another owner's claim that overlaps m, into holder: 1, none: 0. */
static int find_conflict(const char *dir, const struct portmap *m, const char *owner, char *holder,
			 struct jn_error *err)
{
	char mine[JN_ADDR_STRLEN];
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : jn_error_errno(err, JN_ERR_STATE, errno, "reading %s", dir);
	entry_name(m, mine);
	while (!found && (e = readdir(d)) != NULL) {
		ssize_t n;
		if (e->d_name[0] == '.')
			continue;
		/* "any" overlaps every address, and every address overlaps "any". */
		if (strcmp(e->d_name, mine) != 0 && strcmp(e->d_name, "any") != 0 && strcmp(mine, "any") != 0)
			continue;
		n = readlinkat(dirfd(d), e->d_name, holder, OWNER_MAX - 1);
		if (n < 0)
			continue;
		holder[n] = '\0';
		found = strcmp(holder, owner) != 0;
	}
	closedir(d);
	return found;
}

/* Whether a process of the node holds the port on this address: a bind
 * that fails fills err with its errno (EADDRINUSE: held). */
static int bind_test(int family, const struct jn_addr *addr, const struct portmap *m, struct jn_error *err)
{
	char text[96];
	int type = m->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM, one = 1;
	int proto = m->proto == IPPROTO_SCTP ? IPPROTO_SCTP : 0, saved;
	cleanup_close int fd = socket(family, type | SOCK_CLOEXEC, proto);
	struct sockaddr_storage ss;
	socklen_t len;

	if (fd < 0)
		return 0; /* no SCTP in this kernel: nothing can hold the port */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	len = addr_to_sockaddr(addr != NULL ? addr : &(struct jn_addr){ .family = family }, m->host_port, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len) == 0)
		return 0;
	saved = errno;
	portmap_describe(m, text, sizeof(text));
	return jn_error_errno(err, JN_ERR_KERNEL, saved, "checking host port %s", text);
}

static int check_bound(const struct portmap *m, bool has_v4, bool has_v6, struct jn_error *err)
{
	char text[96], ip[JN_ADDR_STRLEN];
	struct jn_error failure = { 0 };
	int rc = 0;

	if (!portmap_is_any(m))
		rc = bind_test(m->host_ip.family, &m->host_ip, m, &failure);
	else if (has_v4 && (rc = bind_test(AF_INET, NULL, m, &failure)) == 0 && has_v6)
		rc = bind_test(AF_INET6, NULL, m, &failure);
	if (rc == 0)
		return 0;
	portmap_describe(m, text, sizeof(text));
	if (jn_error_errnum(&failure) == EADDRINUSE)
		return jn_error_set(err, JN_ERR_PORT_CONFLICT, "host port %s is bound by a process on the node", text);
	if (jn_error_errnum(&failure) == EADDRNOTAVAIL)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"hostIP\": %s is not an address of the node",
				    addr_format(&m->host_ip, ip));
	return jn_error_keep_first(err, &failure);
}

/* 0 when the port is free for m, -1 with err (107) when it is not. */
static int check_free(const char *state_dir, const struct portmap *m, const char *owner, bool has_v4, bool has_v6,
		      struct jn_error *err)
{
	char dir[PATH_MAX], holder[OWNER_MAX], text[96];
	int rc;

	port_dir(state_dir, m, dir, sizeof(dir));
	rc = find_conflict(dir, m, owner, holder, err);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		portmap_describe(m, text, sizeof(text));
		return jn_error_set(err, JN_ERR_PORT_CONFLICT, "host port %s is already mapped by %s", text, holder);
	}
	return check_bound(m, has_v4, has_v6, err);
}

static int write_claim(const char *state_dir, const struct portmap *m, const char *owner, struct jn_error *err)
{
	char dir[PATH_MAX], path[PATH_MAX + JN_ADDR_STRLEN], name[JN_ADDR_STRLEN];

	snprintf(dir, sizeof(dir), "%s/%s", state_dir, JN_STATE_POLICY_DIR);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/%s", state_dir, JN_STATE_PORTS_DIR);
	mkdir(dir, 0700);
	port_dir(state_dir, m, dir, sizeof(dir));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return jn_error_errno(err, JN_ERR_STATE, errno, "creating %s", dir);
	entry_name(m, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	if (symlink(owner, path) < 0)
		return jn_error_errno(err, JN_ERR_STATE, errno, "claiming %s", path);
	return 0;
}

static int ephemeral_range(unsigned *lo, unsigned *hi)
{
	char text[64];
	struct jn_error ignored = { 0 };

	if (sysctl_read("net/ipv4/ip_local_port_range", text, sizeof(text), &ignored) < 0 ||
	    sscanf(text, "%u %u", lo, hi) != 2 || *lo < 1 || *hi > 65535 || *lo > *hi)
		return -1;
	return 0;
}

/* A port in the ephemeral range that passes check_free, from a random start. */
static int pick_port(const char *state_dir, struct portmap *m, const char *owner, bool has_v4, bool has_v6,
		     struct jn_error *err)
{
	unsigned lo, hi, start = 0, span;
	char text[96];

	if (ephemeral_range(&lo, &hi) < 0)
		return jn_error_set(err, JN_ERR_KERNEL, "cannot read net.ipv4.ip_local_port_range");
	span = hi - lo + 1;
	if (getrandom(&start, sizeof(start), GRND_NONBLOCK) < 0)
		start = (unsigned)getpid();
	for (unsigned i = 0; i < span && i < EPHEMERAL_TRIES; i++) {
		struct jn_error busy = { 0 };
		m->host_port = (uint16_t)(lo + (start + i) % span);
		if (check_free(state_dir, m, owner, has_v4, has_v6, &busy) == 0)
			return 0;
		if (busy.code != JN_ERR_PORT_CONFLICT)
			return jn_error_keep_first(err, &busy);
	}
	m->host_port = 0;
	portmap_describe(m, text, sizeof(text));
	return jn_error_set(err, JN_ERR_PORT_CONFLICT, "no free host port in %u-%u for %s", lo, hi, text);
}

int ports_claim(const char *state_dir, const char *owner, struct portmap *maps, size_t count, bool has_v4, bool has_v6,
		struct jn_error *err)
{
	size_t claimed = 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < count; i++) {
		struct portmap *m = &maps[i];
		bool wanted0 = m->host_port == 0;
		rc = wanted0 ? pick_port(state_dir, m, owner, has_v4, has_v6, err)
			     : check_free(state_dir, m, owner, has_v4, has_v6, err);
		if (rc == 0)
			rc = write_claim(state_dir, m, owner, err);
		if (rc == 0)
			claimed = i + 1;
		else if (wanted0)
			m->host_port = 0;
	}
	if (rc < 0)
		ports_release(state_dir, owner, maps, claimed, NULL);
	return rc;
}

int ports_reclaim(const char *state_dir, const char *owner, const struct portmap *maps, size_t count, size_t *restored,
		  struct jn_error *err)
{
	char dir[PATH_MAX], holder[OWNER_MAX], text[96];

	*restored = 0;
	for (size_t i = 0; i < count; i++) {
		int rc = ports_held_by(state_dir, owner, &maps[i], err);
		if (rc < 0)
			return -1;
		if (rc == 1)
			continue;
		port_dir(state_dir, &maps[i], dir, sizeof(dir));
		rc = find_conflict(dir, &maps[i], owner, holder, err);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			portmap_describe(&maps[i], text, sizeof(text));
			return jn_error_set(err, JN_ERR_PORT_CONFLICT, "host port %s is now held by %s", text, holder);
		}
		if (write_claim(state_dir, &maps[i], owner, err) < 0)
			return -1;
		(*restored)++;
	}
	return 0;
}

int ports_held_by(const char *state_dir, const char *owner, const struct portmap *m, struct jn_error *err)
{
	char dir[PATH_MAX], path[PATH_MAX + JN_ADDR_STRLEN], name[JN_ADDR_STRLEN], holder[OWNER_MAX];
	ssize_t n;

	port_dir(state_dir, m, dir, sizeof(dir));
	entry_name(m, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = readlink(path, holder, sizeof(holder) - 1);
	if (n < 0)
		return errno == ENOENT ? 0 : jn_error_errno(err, JN_ERR_STATE, errno, "reading %s", path);
	holder[n] = '\0';
	return strcmp(holder, owner) == 0;
}

int ports_release(const char *state_dir, const char *owner, const struct portmap *maps, size_t count,
		  struct jn_error *err)
{
	for (size_t i = 0; i < count; i++) {
		char dir[PATH_MAX], path[PATH_MAX + JN_ADDR_STRLEN], name[JN_ADDR_STRLEN];
		int rc;
		if (maps[i].host_port == 0)
			continue;
		rc = ports_held_by(state_dir, owner, &maps[i], err);
		if (rc <= 0)
			continue; /* someone else's, or gone: not ours to remove */
		port_dir(state_dir, &maps[i], dir, sizeof(dir));
		entry_name(&maps[i], name);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (unlink(path) < 0 && errno != ENOENT)
			return jn_error_errno(err, JN_ERR_STATE, errno, "releasing %s", path);
		rmdir(dir); /* fails while another claim shares the port: fine */
	}
	return 0;
}

bool ports_is_mapped(const char *state_dir, uint8_t proto, uint16_t port)
{
	struct portmap m = { .proto = proto, .host_port = port };
	char dir[PATH_MAX];
	struct stat st;

	port_dir(state_dir, &m, dir, sizeof(dir));
	return stat(dir, &st) == 0;
}

int ports_each_claim(const char *state_dir, ports_claim_fn fn, void *ctx, struct jn_error *err)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/%s", state_dir, JN_STATE_PORTS_DIR);
	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : jn_error_errno(err, JN_ERR_STATE, errno, "reading %s", dir);
	while ((e = readdir(d)) != NULL) {
		DIR *p;
		struct dirent *c;
		int fd;
		if (e->d_name[0] == '.' || (fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			continue;
		p = fdopendir(fd);
		if (p == NULL) {
			close(fd);
			continue;
		}
		while ((c = readdir(p)) != NULL) {
			char owner[OWNER_MAX], claim[NAME_MAX * 2 + 2];
			ssize_t n = readlinkat(dirfd(p), c->d_name, owner, sizeof(owner) - 1);
			if (n < 0)
				continue;
			owner[n] = '\0';
			snprintf(claim, sizeof(claim), "%s/%s", e->d_name, c->d_name);
			fn(owner, claim, ctx);
		}
		closedir(p);
	}
	closedir(d);
	return 0;
}

int ports_drop_claim(const char *state_dir, const char *claim, struct jn_error *err)
{
	char path[PATH_MAX], dir[PATH_MAX];

	if (strstr(claim, "..") != NULL || strchr(claim, '/') == NULL)
		return jn_error_set(err, JN_ERR_STATE, "bad claim name \"%.64s\"", claim);
	snprintf(path, sizeof(path), "%s/%s/%s", state_dir, JN_STATE_PORTS_DIR, claim);
	if (unlink(path) < 0 && errno != ENOENT)
		return jn_error_errno(err, JN_ERR_STATE, errno, "removing %s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
	return 0;
}

void ports_owner(const char *network, const char *container_id, const char *ifname, char out[PORTS_OWNER_MAX])
{
	snprintf(out, PORTS_OWNER_MAX, "%s:%s:%s", network, container_id, ifname);
}

struct drop_walk {
	const char *state_dir;
	ports_keep_fn keep;
	ports_dropped_fn dropped;
	void *ctx;
};

static void drop_unless_kept(const char *owner, const char *claim, void *data)
{
	struct drop_walk *w = data;
	struct jn_error failure = { 0 };

	if (w->keep(owner, w->ctx))
		return;
	ports_drop_claim(w->state_dir, claim, &failure);
	w->dropped(owner, claim, &failure, w->ctx);
}

int ports_drop_claims_unless(const char *state_dir, ports_keep_fn keep, ports_dropped_fn dropped, void *ctx,
			     struct jn_error *err)
{
	struct drop_walk w = { .state_dir = state_dir, .keep = keep, .dropped = dropped, .ctx = ctx };

	return ports_each_claim(state_dir, drop_unless_kept, &w, err);
}
