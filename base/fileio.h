/* Files jobnet replaces whole (records, the network record, the saved
 * ruleset): the new text goes to a temporary beside the file, ".<name>.tmp",
 * and is renamed over it, so a reader sees the old file or the new one,
 * never half of either.
 */
#ifndef JOBNET_FILEIO_H
#define JOBNET_FILEIO_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* Replace <dir_fd>/<name> (mode 0600 when new) with len bytes of data:
 * written in full to the temporary (short writes and EINTR resumed), then
 * renamed over name. Neither is followed if it is a symlink. On failure the
 * temporary is gone, the old file is as it was, and err (code 109) names
 * dir_path/name with the errno. dir_path only names the directory in
 * messages. */
int fileio_write_atomic(int dir_fd, const char *dir_path, const char *name, const void *data, size_t len,
			struct jn_error *err);

/* The temporary fileio_write_atomic writes name through, into out[size];
 * -1 when it does not fit. */
int fileio_temporary_name(const char *name, char *out, size_t size);

/* Whether a directory entry is such a temporary: what a writer killed
 * before its rename leaves. */
bool fileio_is_temporary(const char *entry);

/* Read fd to its end into a NUL-terminated buffer of at most max bytes
 * (EINTR resumed). what names the stream in messages ("the configuration
 * on stdin"): code 5 with the errno, or naming the limit (which must not
 * exceed SIZE_MAX / 4). */
int fileio_read_stream(int fd, size_t max, const char *what, char **out, struct jn_error *err);

#endif
