#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
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

static int grow(char **buf, size_t *cap, size_t max, const char *what, struct jn_error *err)
{
	size_t bigger_cap = *cap ? *cap * 2 : 4096;
	char *bigger;

	/* At most room for max + 1 bytes and the NUL: a stream that fills it
	 * is larger than max. */
	if (*cap > max + 1)
		return jn_error_set(err, JN_ERR_IO, "%s is larger than %zu bytes", what, max);
	if (bigger_cap > max + 2)
		bigger_cap = max + 2;
	bigger = realloc(*buf, bigger_cap);
	if (bigger == NULL)
		return jn_error_errno(err, JN_ERR_IO, ENOMEM, "reading %s", what);
	*buf = bigger;
	*cap = bigger_cap;
	return 0;
}

int fileio_read_stream(int fd, size_t max, const char *what, char **out, struct jn_error *err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0, cap = 0;

	if (max > SIZE_MAX / 4)
		return jn_error_set(err, JN_ERR_IO, "reading %s: a limit of %zu bytes is too large", what, max);

	for (;;) {
		ssize_t n;
		if (len + 1 >= cap && grow(&buf, &cap, max, what, err) < 0)
			return -1;
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return jn_error_errno(err, JN_ERR_IO, errno, "reading %s", what);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = take_ptr(buf);
	return 0;
}
