#include "core/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"
#include "core/statelayout.h"

#define STATE_FILE_MAX (1 << 20)

static int mkdir_p(const char *path, struct jn_error *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return jn_error_set(err, JN_ERR_STATE, "state path \"%.64s...\" is too long", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return jn_error_errno(err, JN_ERR_STATE, errno, "creating state directory \"%s\"", buf);
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return jn_error_errno(err, JN_ERR_STATE, errno, "creating state directory \"%s\"", buf);
	return 0;
}

static int open_subdir(int parent, const char *name, bool create, int *out, struct jn_error *err)
{
	if (create && mkdirat(parent, name, 0700) < 0 && errno != EEXIST)
		return jn_error_errno(err, JN_ERR_STATE, errno, "creating state directory \"%s\"", name);
	*out = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (*out < 0)
		return jn_error_errno(err, JN_ERR_STATE, errno, "opening state directory \"%s\"", name);
	return 0;
}

int state_open(const char *state_dir, const char *network, bool create, struct state_network *out, struct jn_error *err)
{
	*out = (struct state_network){
		.dir_fd = -1, .attachments_fd = -1, .ipam_fd = -1, .lock_fd = -1, .lock_timeout = JN_STATE_LOCK_TIMEOUT
	};
	if (snprintf(out->path, sizeof(out->path), "%s/%s", state_dir, network) >= (int)sizeof(out->path))
		return jn_error_set(err, JN_ERR_STATE, "state path for network \"%.64s\" is too long", network);
	if (create && mkdir_p(out->path, err) < 0)
		return -1;
	out->dir_fd = open(out->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (out->dir_fd < 0) {
		if (!create && errno == ENOENT)
			return 0;
		return jn_error_errno(err, JN_ERR_STATE, errno, "opening state directory \"%s\"", out->path);
	}
	if (open_subdir(out->dir_fd, JN_STATE_ATTACHMENTS_DIR, true, &out->attachments_fd, err) < 0 ||
	    open_subdir(out->dir_fd, JN_STATE_IPAM_DIR, true, &out->ipam_fd, err) < 0) {
		jn_error_wrap(err, "in \"%s\"", out->path);
		state_close(out);
		return -1;
	}
	out->lock_fd = openat(out->dir_fd, JN_STATE_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out->lock_fd < 0) {
		jn_error_errno(err, JN_ERR_STATE, errno, "opening lock file \"%s/%s\"", out->path, JN_STATE_LOCK_FILE);
		state_close(out);
		return -1;
	}
	return 0;
}

void state_close(struct state_network *net)
{
	int *fds[] = { &net->lock_fd, &net->ipam_fd, &net->attachments_fd, &net->dir_fd };

	/* Closing the lock fd releases the flock. */
	for (size_t i = 0; i < JN_ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static volatile sig_atomic_t lock_timed_out;

static void on_lock_timeout(int sig)
{
	(void)sig;
	lock_timed_out = 1;
}

/* Blocking flock() interrupted by SIGALRM after the timeout: no polling,
 * so a waiter gets the lock the moment it is released. */
static int lock_fd_timed(int fd, int operation, unsigned timeout, const char *what, struct jn_error *err)
{
	struct sigaction action = { .sa_handler = on_lock_timeout }, old;
	int rc, saved;

	sigemptyset(&action.sa_mask);
	lock_timed_out = 0;
	sigaction(SIGALRM, &action, &old);
	alarm(timeout);
	do {
		rc = flock(fd, operation);
		saved = errno;
	} while (rc < 0 && saved == EINTR && !lock_timed_out);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	if (rc == 0)
		return 0;
	if (saved == EINTR)
		return jn_error_set(err, JN_ERR_TRY_AGAIN,
				    "the lock on %s is held by another process for more than %u s", what, timeout);
	return jn_error_errno(err, JN_ERR_STATE, saved, "locking %s", what);
}

int state_lock(struct state_network *net, struct jn_error *err)
{
	return lock_fd_timed(net->lock_fd, LOCK_EX, net->lock_timeout, net->path, err);
}

int state_lock_shared(struct state_network *net, struct jn_error *err)
{
	return lock_fd_timed(net->lock_fd, LOCK_SH, net->lock_timeout, net->path, err);
}

int state_lock_node(const char *state_dir, const char *name, unsigned timeout, int *out, struct jn_error *err)
{
	char path[PATH_MAX];
	cleanup_close int fd = -1;

	if (snprintf(path, sizeof(path), "%s/%s", state_dir, name) >= (int)sizeof(path))
		return jn_error_set(err, JN_ERR_STATE, "lock path in \"%.64s\" is too long", state_dir);
	if (mkdir_p(state_dir, err) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return jn_error_errno(err, JN_ERR_STATE, errno, "opening lock file \"%s\"", path);
	if (lock_fd_timed(fd, LOCK_EX, timeout, path, err) < 0)
		return -1;
	*out = take_fd(fd);
	return 0;
}

static int record_name(const char *container_id, const char *ifname, char *out, size_t size)
{
	char key[JN_ATTACHMENT_KEY_MAX];

	names_attachment_key(container_id, ifname, key);
	return snprintf(out, size, "%s", key) >= (int)size ? -1 : 0;
}

static void unlink_temporary(struct state_network *net, const char *name)
{
	char tmp[JN_ATTACHMENT_KEY_MAX + 32];

	if (fileio_temporary_name(name, tmp, sizeof(tmp)) == 0)
		unlinkat(net->attachments_fd, tmp, 0);
}

/* Replace the file <name> of the attachments directory with text and a
 * newline. */
static int write_record_file(struct state_network *net, const char *name, const char *text, struct jn_error *err)
{
	char dir[PATH_MAX + sizeof(JN_STATE_ATTACHMENTS_DIR) + 1];
	cleanup_free char *line = NULL;
	size_t len = strlen(text);

	line = malloc(len + 2);
	if (line == NULL)
		return jn_error_set(err, JN_ERR_STATE, "out of memory writing record %s", name);
	memcpy(line, text, len);
	memcpy(line + len, "\n", 2);
	snprintf(dir, sizeof(dir), "%s/%s", net->path, JN_STATE_ATTACHMENTS_DIR);
	return fileio_write_atomic(net->attachments_fd, dir, name, line, len + 1, err);
}

static void copy_name(const char *name, char *out, size_t size)
{
	snprintf(out, size, JN_STATE_COPY_FORMAT, name);
}

int state_write_attachment(struct state_network *net, const struct attachment *a, struct jn_error *err)
{
	char name[JN_ATTACHMENT_KEY_MAX], copy[JN_ATTACHMENT_KEY_MAX + 8];
	cleanup_json json_t *j = attachment_to_json(a);
	cleanup_free char *text = NULL;

	record_name(a->container_id, a->ifname, name, sizeof(name));
	text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (text == NULL)
		return jn_error_set(err, JN_ERR_STATE, "out of memory serialising the record of %s", name);
	/* The copy first: whenever the record exists, a copy at least as old
	 * does too, and jobnetctl repair can restore a damaged record from it. */
	copy_name(name, copy, sizeof(copy));
	if (write_record_file(net, copy, text, err) < 0)
		return -1;
	return write_record_file(net, name, text, err);
}

int state_restore_attachment(struct state_network *net, const char *key, struct jn_error *err)
{
	char copy[JN_ATTACHMENT_KEY_MAX + 8];
	cleanup_free char *text = NULL;
	cleanup_json json_t *j = NULL;
	struct jn_error failure = { 0 };
	struct attachment a;

	copy_name(key, copy, sizeof(copy));
	if (state_read_attachment_key(net, copy, &a, &failure) < 0) {
		if (jn_error_absorb(&failure, ENOENT))
			return jn_error_set(err, JN_ERR_STATE, "record %s has no copy", key);
		return jn_error_keep_first(err, &failure);
	}
	j = attachment_to_json(&a);
	attachment_free(&a);
	text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (text == NULL)
		return jn_error_set(err, JN_ERR_STATE, "out of memory restoring %s", key);
	return write_record_file(net, key, text, err);
}

bool state_has_record(struct state_network *net, const char *key)
{
	return net->dir_fd >= 0 && key[0] != '.' && faccessat(net->attachments_fd, key, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int state_read_attachment_copy(struct state_network *net, const char *key, struct attachment *out, struct jn_error *err)
{
	char copy[JN_ATTACHMENT_KEY_MAX + 8];

	copy_name(key, copy, sizeof(copy));
	return state_read_attachment_key(net, copy, out, err);
}

bool state_copy_agrees(struct state_network *net, const char *key, const struct attachment *a)
{
	struct jn_error ignored = { 0 };
	struct attachment copy;
	cleanup_json json_t *mine = NULL, *theirs = NULL;
	bool agrees;

	if (state_read_attachment_copy(net, key, &copy, &ignored) < 0) {
		attachment_free(&copy);
		return false;
	}
	mine = attachment_to_json(a);
	theirs = attachment_to_json(&copy);
	agrees = mine != NULL && theirs != NULL && json_equal(mine, theirs);
	attachment_free(&copy);
	return agrees;
}

static int read_file_at(int dir_fd, const char *name, char **out, struct jn_error *err)
{
	cleanup_close int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	cleanup_free char *buf = NULL;
	struct stat st;
	ssize_t n;

	/* A missing record is errno ENOENT: absent, to most callers. */
	if (fd < 0)
		return jn_error_errno(err, JN_ERR_STATE, errno, "reading record \"%s\"", name);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATE_FILE_MAX)
		return jn_error_set(err, JN_ERR_STATE, "record \"%s\" is not a regular file under 1 MiB", name);
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return jn_error_set(err, JN_ERR_STATE, "out of memory reading \"%s\"", name);
	n = read(fd, buf, (size_t)st.st_size);
	if (n < 0)
		return jn_error_errno(err, JN_ERR_STATE, errno, "reading record \"%s\"", name);
	buf[n] = '\0';
	*out = take_ptr(buf);
	return 0;
}

int state_read_attachment_key(struct state_network *net, const char *key, struct attachment *out, struct jn_error *err)
{
	cleanup_free char *text = NULL;
	cleanup_json json_t *j = NULL;
	json_error_t jerr;

	attachment_init(out);
	if (read_file_at(net->attachments_fd, key, &text, err) < 0)
		return -1;
	j = json_loads(text, 0, &jerr);
	if (j == NULL)
		jn_error_set(err, JN_ERR_STATE, "record %s/%s/%s is corrupt: %s", net->path, JN_STATE_ATTACHMENTS_DIR,
			     key, jerr.text);
	else if (attachment_from_json(j, out, err) < 0)
		jn_error_wrap(err, "record %s/%s/%s is corrupt", net->path, JN_STATE_ATTACHMENTS_DIR, key);
	else
		return 0;
	if (key[0] != '.')
		jn_error_detail(err,
				"jobnetctl repair restores it from the copy kept beside it; DEL removes the "
				"attachment all the same");
	return -1;
}

int state_read_attachment(struct state_network *net, const char *container_id, const char *ifname,
			  struct attachment *out, bool *found, struct jn_error *err)
{
	char name[JN_ATTACHMENT_KEY_MAX];
	struct jn_error failure = { 0 };

	*found = false;
	attachment_init(out);
	if (net->dir_fd < 0)
		return 0;
	record_name(container_id, ifname, name, sizeof(name));
	if (state_read_attachment_key(net, name, out, &failure) < 0)
		return jn_error_absorb(&failure, ENOENT) ? 0 : jn_error_keep_first(err, &failure);
	*found = true;
	return 0;
}

int state_remove_attachment(struct state_network *net, const char *container_id, const char *ifname,
			    struct jn_error *err)
{
	char name[JN_ATTACHMENT_KEY_MAX], copy[JN_ATTACHMENT_KEY_MAX + 8];

	if (net->dir_fd < 0)
		return 0;
	record_name(container_id, ifname, name, sizeof(name));
	if (unlinkat(net->attachments_fd, name, 0) < 0 && errno != ENOENT)
		return jn_error_errno(err, JN_ERR_STATE, errno, "removing record %s/%s/%s", net->path,
				      JN_STATE_ATTACHMENTS_DIR, name);
	copy_name(name, copy, sizeof(copy));
	unlinkat(net->attachments_fd, copy, 0);
	/* What a writer killed between open and rename left. */
	unlink_temporary(net, name);
	unlink_temporary(net, copy);
	return 0;
}

int state_sweep_temporaries(struct state_network *net, struct jn_error *err)
{
	cleanup_close int fd = -1;
	char tmp[sizeof(JN_STATE_NETWORK_FILE) + 8];
	DIR *dir;
	struct dirent *entry;

	if (net->dir_fd < 0)
		return 0;
	if (fileio_temporary_name(JN_STATE_NETWORK_FILE, tmp, sizeof(tmp)) == 0)
		unlinkat(net->dir_fd, tmp, 0);
	fd = openat(net->attachments_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (dir == NULL)
		return jn_error_errno(err, JN_ERR_STATE, errno, "listing %s/%s", net->path, JN_STATE_ATTACHMENTS_DIR);
	take_fd(fd);
	while ((entry = readdir(dir)) != NULL)
		if (fileio_is_temporary(entry->d_name))
			unlinkat(dirfd(dir), entry->d_name, 0);
	closedir(dir);
	return 0;
}

int state_each_attachment(struct state_network *net, state_key_fn fn, void *ctx, struct jn_error *err)
{
	cleanup_close int fd = -1;
	DIR *dir;
	struct dirent *entry;
	int rc = 0;

	if (net->dir_fd < 0)
		return 0;
	fd = openat(net->attachments_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (dir == NULL)
		return jn_error_errno(err, JN_ERR_STATE, errno, "listing %s/%s", net->path, JN_STATE_ATTACHMENTS_DIR);
	take_fd(fd);
	while (rc == 0 && (entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue; /* ".", ".." and temporary files */
		rc = fn(net, entry->d_name, ctx);
	}
	closedir(dir);
	return rc;
}

bool state_is_network_name(const char *name)
{
	/* The node-wide entries beside the networks' directories. */
	return names_is_valid_id(name) && strcmp(name, JN_STATE_POLICY_DIR) != 0 &&
		strcmp(name, JN_STATE_POLICY_LOCK) != 0;
}

int state_each_network(const char *state_dir, state_network_fn fn, void *ctx, struct jn_error *err)
{
	DIR *dir = opendir(state_dir);
	struct dirent *entry;
	int rc = 0;

	if (dir == NULL) {
		if (errno == ENOENT)
			return 0;
		return jn_error_errno(err, JN_ERR_STATE, errno, "listing state directory \"%s\"", state_dir);
	}
	while (rc == 0 && (entry = readdir(dir)) != NULL) {
		struct stat st;
		if (!state_is_network_name(entry->d_name))
			continue;
		if (entry->d_type != DT_DIR &&
		    (entry->d_type != DT_UNKNOWN || fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		     !S_ISDIR(st.st_mode)))
			continue;
		rc = fn(entry->d_name, ctx);
	}
	closedir(dir);
	return rc;
}
