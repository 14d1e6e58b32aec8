#include "netpolicy/groups.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"

/* The index's two directories (groups.h). */
#define MEMBERS_DIR "members"
#define ROUTERS_DIR "routers"
#define KEY_MAX (2 * JN_ID_MAX + JN_IFNAME_MAX + 3)
#define TARGET_MAX (2 * JN_ADDR_STRLEN + JN_ID_MAX + 3)

static int mkdir_at(int parent, const char *name, struct jn_error *err)
{
	if (mkdirat(parent, name, 0700) < 0 && errno != EEXIST)
		return jn_error_errno(err, JN_ERR_STATE, errno, "creating policy index directory %s", name);
	return 0;
}

int groups_open(const char *policy_dir, bool create, int *fd, struct jn_error *err)
{
	*fd = -1;
	if (create && mkdir(policy_dir, 0700) < 0 && errno != EEXIST)
		return jn_error_errno(err, JN_ERR_STATE, errno, "creating %s", policy_dir);
	*fd = open(policy_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0) {
		if (!create && errno == ENOENT)
			return 0;
		return jn_error_errno(err, JN_ERR_STATE, errno, "opening %s", policy_dir);
	}
	if (create && (mkdir_at(*fd, MEMBERS_DIR, err) < 0 || mkdir_at(*fd, ROUTERS_DIR, err) < 0)) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

static void job_key(const struct netpolicy_job *job, char *out)
{
	snprintf(out, KEY_MAX, "%s:%s:%s", job->network, job->container_id, job->ifname);
}

static void job_target(const struct netpolicy_job *job, char *out)
{
	char a4[JN_ADDR_STRLEN] = "-", a6[JN_ADDR_STRLEN] = "-";

	for (size_t i = 0; i < job->addr_count; i++)
		addr_format(&job->addrs[i].addr, job->addrs[i].addr.family == AF_INET ? a4 : a6);
	snprintf(out, TARGET_MAX, "%s|%s|%s", a4, a6, job->group);
}

/* <kind>/<group>/<key> -> target, replacing a stale entry. */
static int put_entry(int fd, const char *kind, const char *group, const char *key, const char *target,
		     struct jn_error *err)
{
	char dir[JN_ID_MAX + 16], path[JN_ID_MAX + KEY_MAX + 16];

	snprintf(dir, sizeof(dir), "%s/%s", kind, group);
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	if (mkdir_at(fd, dir, err) < 0)
		return -1;
	unlinkat(fd, path, 0);
	if (symlinkat(target, fd, path) < 0)
		return jn_error_errno(err, JN_ERR_STATE, errno, "writing policy index entry %s", path);
	return 0;
}

static void drop_entry(int fd, const char *kind, const char *group, const char *key)
{
	char dir[JN_ID_MAX + 16], path[JN_ID_MAX + KEY_MAX + 16];

	snprintf(dir, sizeof(dir), "%s/%s", kind, group);
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	unlinkat(fd, path, 0);
	unlinkat(fd, dir, AT_REMOVEDIR); /* fails while other entries remain: fine */
}

int groups_add(int fd, const struct netpolicy_job *job, struct jn_error *err)
{
	char key[KEY_MAX], target[TARGET_MAX];

	job_key(job, key);
	job_target(job, target);
	if (job->group[0] != '\0' && put_entry(fd, MEMBERS_DIR, job->group, key, target, err) < 0)
		return -1;
	for (size_t i = 0; job->router && i < job->route_count; i++)
		if (put_entry(fd, ROUTERS_DIR, job->routes[i], key, target, err) < 0)
			return -1;
	return 0;
}

int groups_remove(int fd, const struct netpolicy_job *job, struct jn_error *err)
{
	char key[KEY_MAX];

	(void)err;
	if (fd < 0)
		return 0;
	job_key(job, key);
	if (job->group[0] != '\0')
		drop_entry(fd, MEMBERS_DIR, job->group, key);
	for (size_t i = 0; job->router && i < job->route_count; i++)
		drop_entry(fd, ROUTERS_DIR, job->routes[i], key);
	return 0;
}

static bool parse_entry(const char *key, const char *target, struct group_entry *out)
{
	char copy[TARGET_MAX];
	const char *c1 = strchr(key, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char *a6, *group;

	memset(out, 0, sizeof(*out));
	if (c2 == NULL || (size_t)(c1 - key) > JN_ID_MAX || (size_t)(c2 - c1 - 1) > JN_ID_MAX ||
	    strlen(c2 + 1) > JN_IFNAME_MAX || strlen(target) >= sizeof(copy))
		return false;
	memcpy(out->network, key, (size_t)(c1 - key));
	memcpy(out->container_id, c1 + 1, (size_t)(c2 - c1 - 1));
	strcpy(out->ifname, c2 + 1);
	strcpy(copy, target);
	a6 = strchr(copy, '|');
	group = a6 ? strchr(a6 + 1, '|') : NULL;
	if (group == NULL)
		return false;
	*a6++ = '\0';
	*group++ = '\0';
	if ((strcmp(copy, "-") != 0 && !addr_parse(copy, &out->addr4)) ||
	    (strcmp(a6, "-") != 0 && !addr_parse(a6, &out->addr6)) || strlen(group) > JN_ID_MAX)
		return false;
	strcpy(out->group, group);
	return names_is_valid_id(out->network) && names_is_valid_id(out->container_id);
}

static int each_entry(int fd, const char *kind, const char *group, group_entry_fn fn, void *ctx, struct jn_error *err)
{
	char dir[JN_ID_MAX + 16];
	cleanup_close int dfd = -1;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (fd < 0 || group[0] == '\0')
		return 0;
	snprintf(dir, sizeof(dir), "%s/%s", kind, group);
	dfd = openat(fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : jn_error_errno(err, JN_ERR_STATE, errno, "reading policy index %s", dir);
	d = fdopendir(dfd);
	if (d == NULL)
		return jn_error_errno(err, JN_ERR_STATE, errno, "reading policy index %s", dir);
	take_fd(dfd);
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char target[TARGET_MAX];
		struct group_entry entry;
		ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (parse_entry(e->d_name, target, &entry))
			rc = fn(&entry, ctx);
	}
	closedir(d);
	return rc;
}

int groups_each_member(int fd, const char *group, group_entry_fn fn, void *ctx, struct jn_error *err)
{
	return each_entry(fd, MEMBERS_DIR, group, fn, ctx, err);
}

int groups_each_router(int fd, const char *group, group_entry_fn fn, void *ctx, struct jn_error *err)
{
	return each_entry(fd, ROUTERS_DIR, group, fn, ctx, err);
}

static int clear_kind(int fd, const char *kind, struct jn_error *err)
{
	cleanup_close int kfd = openat(fd, kind, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = kfd >= 0 ? fdopendir(kfd) : NULL;
	struct dirent *e;

	if (d == NULL)
		return errno == ENOENT ? 0 : jn_error_errno(err, JN_ERR_STATE, errno, "clearing policy index %s", kind);
	take_fd(kfd);
	while ((e = readdir(d)) != NULL) {
		cleanup_close int gfd = -1;
		DIR *g;
		struct dirent *m;
		if (e->d_name[0] == '.')
			continue;
		gfd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		g = gfd >= 0 ? fdopendir(gfd) : NULL;
		if (g == NULL)
			continue;
		take_fd(gfd);
		while ((m = readdir(g)) != NULL)
			if (m->d_name[0] != '.')
				unlinkat(dirfd(g), m->d_name, 0);
		closedir(g);
		unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
	return 0;
}

int groups_clear(int fd, struct jn_error *err)
{
	if (clear_kind(fd, MEMBERS_DIR, err) < 0 || clear_kind(fd, ROUTERS_DIR, err) < 0)
		return -1;
	return 0;
}

bool groups_is_job(const struct group_entry *entry, const struct netpolicy_job *job)
{
	return strcmp(entry->network, job->network) == 0 && strcmp(entry->container_id, job->container_id) == 0 &&
		strcmp(entry->ifname, job->ifname) == 0;
}
