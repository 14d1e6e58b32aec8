#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"

#define TEMPORARY_PREFIX "."
#define TEMPORARY_SUFFIX ".tmp"

int fileio_temporary_name(const char *name, char *out, size_t size)
{
	int n = snprintf(out, size, TEMPORARY_PREFIX "%s" TEMPORARY_SUFFIX, name);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

bool fileio_is_temporary(const char *entry)
{
	size_t len = strlen(entry), prefix = strlen(TEMPORARY_PREFIX), suffix = strlen(TEMPORARY_SUFFIX);

	return len > prefix + suffix && strncmp(entry, TEMPORARY_PREFIX, prefix) == 0 &&
		strcmp(entry + len - suffix, TEMPORARY_SUFFIX) == 0;
}

/* 0, or -1 with errno set; a write that makes no progress is EIO. */
static int write_all(int fd, const unsigned char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The temporary, written and closed: 0, or -1 with errno set. */
static int write_temporary(int dir_fd, const char *tmp, const void *data, size_t len)
{
	cleanup_close int fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 || write_all(fd, data, len) < 0)
		return -1;
	/* Some file systems report a failed write only at close. */
	return close(take_fd(fd));
}

int fileio_write_atomic(int dir_fd, const char *dir_path, const char *name, const void *data, size_t len,
			struct jn_error *err)
{
	char tmp[NAME_MAX + 1];
	int saved;

	if (fileio_temporary_name(name, tmp, sizeof(tmp)) < 0)
		return jn_error_set(err, JN_ERR_STATE, "file name \"%.64s...\" in %s is too long", name, dir_path);
	if (write_temporary(dir_fd, tmp, data, len) == 0 && renameat(dir_fd, tmp, dir_fd, name) == 0)
		return 0;
	saved = errno;
	unlinkat(dir_fd, tmp, 0);
	return jn_error_errno(err, JN_ERR_STATE, saved, "writing %s/%s", dir_path, name);
}
