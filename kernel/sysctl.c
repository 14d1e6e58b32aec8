#include "kernel/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"

static int sysctl_path(const char *key, char *out, size_t size, struct jn_error *err)
{
	if (strstr(key, "..") != NULL || snprintf(out, size, "/proc/sys/%s", key) >= (int)size)
		return jn_error_set(err, JN_ERR_KERNEL, "bad sysctl key \"%.64s\"", key);
	return 0;
}

int sysctl_read(const char *key, char *out, size_t size, struct jn_error *err)
{
	char path[PATH_MAX];
	cleanup_close int fd = -1;
	ssize_t n;

	if (sysctl_path(key, path, sizeof(path), err) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return jn_error_errno(err, JN_ERR_KERNEL, errno, "reading %s", path);
	n = read(fd, out, size - 1);
	if (n < 0)
		return jn_error_errno(err, JN_ERR_KERNEL, errno, "reading %s", path);
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

int sysctl_ensure(const char *key, const char *value, struct jn_error *err)
{
	char path[PATH_MAX], current[64];
	cleanup_close int fd = -1;
	size_t len = strlen(value);

	if (sysctl_read(key, current, sizeof(current), err) < 0)
		return -1;
	if (strcmp(current, value) == 0)
		return 0;
	sysctl_path(key, path, sizeof(path), err);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, len) != (ssize_t)len)
		return jn_error_errno(err, JN_ERR_KERNEL, errno, "writing \"%s\" to %s", value, path);
	return 0;
}
