#include "ctl/ctlcache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"
#include "base/names.h"

static int entry_path(const struct ctlcache_key *k, char out[PATH_MAX], struct jn_error *err)
{
	char name[JN_ATTACHMENT_KEY_MAX];

	names_attachment_key(k->container_id, k->ifname, name);
	if (snprintf(out, PATH_MAX, "%s/%s/%s", k->dir, k->network, name) >= PATH_MAX)
		return jn_error_set(err, JN_ERR_IO, "cache path under %.64s is too long", k->dir);
	return 0;
}

/* mkdir -p of the cache directory and the network's below it, which path
 * receives. */
static int make_dirs(const struct ctlcache_key *k, char path[PATH_MAX], struct jn_error *err)
{
	if (snprintf(path, PATH_MAX, "%s/%s", k->dir, k->network) >= PATH_MAX)
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

int ctlcache_write(const struct ctlcache_key *k, const json_t *entry, struct jn_error *err)
{
	cleanup_free char *text = json_dumps(entry, JSON_COMPACT);
	cleanup_close int dir_fd = -1;
	char dir[PATH_MAX], name[JN_ATTACHMENT_KEY_MAX];

	if (text == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	if (make_dirs(k, dir, err) < 0)
		return -1;
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return jn_error_errno(err, JN_ERR_IO, errno, "opening the cache directory %s", dir);
	names_attachment_key(k->container_id, k->ifname, name);
	return fileio_write_atomic(dir_fd, dir, name, text, strlen(text), err);
}

int ctlcache_read(const struct ctlcache_key *k, json_t **out, struct jn_error *err)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	if (entry_path(k, path, err) < 0)
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

	if (entry_path(k, path, err) < 0)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return jn_error_errno(err, JN_ERR_IO, errno, "removing the cache entry %s", path);
	return 0;
}
