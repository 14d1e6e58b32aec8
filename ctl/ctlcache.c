#include "ctl/ctlcache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"

static int entry_path(const struct ctlcache_key *k, const char *prefix, const char *suffix, char out[PATH_MAX],
		      struct jn_error *err)
{
	if (snprintf(out, PATH_MAX, "%s/%s/%s%s:%s%s", k->dir, k->network, prefix, k->container_id, k->ifname,
		     suffix) >= PATH_MAX)
		return jn_error_set(err, JN_ERR_IO, "cache path under %.64s is too long", k->dir);
	return 0;
}

/* mkdir -p of the cache directory and the network's below it. */
static int make_dirs(const struct ctlcache_key *k, struct jn_error *err)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", k->dir, k->network) >= (int)sizeof(path))
		return jn_error_set(err, JN_ERR_IO, "cache path under %.64s is too long", k->dir);
	for (char *p = path + 1;; p++) {
		char c = *p;
		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return jn_error_errno(err, JN_ERR_IO, errno, "creating the cache directory %s", path);
		*p = c;
		if (c == '\0')
			return 0;
	}
}

static int write_file(const char *path, const char *text, struct jn_error *err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t len = strlen(text), done = 0;

	if (fd < 0)
		return jn_error_errno(err, JN_ERR_IO, errno, "writing the cache entry %s", path);
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return jn_error_errno(err, JN_ERR_IO, n < 0 ? errno : EIO, "writing the cache entry %s", path);
		done += (size_t)n;
	}
	if (close(take_fd(fd)) < 0)
		return jn_error_errno(err, JN_ERR_IO, errno, "writing the cache entry %s", path);
	return 0;
}

int ctlcache_write(const struct ctlcache_key *k, const json_t *entry, struct jn_error *err)
{
	cleanup_free char *text = json_dumps(entry, JSON_COMPACT);
	char path[PATH_MAX], tmp[PATH_MAX];

	if (text == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	if (make_dirs(k, err) < 0 || entry_path(k, "", "", path, err) < 0 || entry_path(k, ".", ".tmp", tmp, err) < 0)
		return -1;
	if (write_file(tmp, text, err) < 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		jn_error_errno(err, JN_ERR_IO, errno, "writing the cache entry %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int ctlcache_read(const struct ctlcache_key *k, json_t **out, struct jn_error *err)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	if (entry_path(k, "", "", path, err) < 0)
		return -1;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return jn_error_set(err, JN_ERR_DECODE, "the cache entry %s does not read: %s", path, jerr.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return jn_error_set(err, JN_ERR_DECODE, "the cache entry %s is not a JSON object", path);
	}
	*out = j;
	return 0;
}

int ctlcache_remove(const struct ctlcache_key *k, struct jn_error *err)
{
	char path[PATH_MAX];

	if (entry_path(k, "", "", path, err) < 0)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return jn_error_errno(err, JN_ERR_IO, errno, "removing the cache entry %s", path);
	return 0;
}
