/* A throwaway directory for the unit tests of the state files: made under
 * $TMPDIR (or /tmp) by a cmocka setup, removed with all it holds by the
 * teardown. No root needed. */
#ifndef JOBNET_UNIT_TMPDIR_H
#define JOBNET_UNIT_TMPDIR_H

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

static inline int tmpdir_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* cmocka setup: *state becomes a malloc()ed path of a new empty directory. */
static inline int tmpdir_setup(void **state)
{
	const char *base = getenv("TMPDIR");
	char *path = malloc(PATH_MAX);

	if (path == NULL)
		return -1;
	snprintf(path, PATH_MAX, "%s/jobnet-unit-XXXXXX", base != NULL && base[0] != '\0' ? base : "/tmp");
	if (mkdtemp(path) == NULL) {
		free(path);
		return -1;
	}
	*state = path;
	return 0;
}

static inline int tmpdir_teardown(void **state)
{
	int rc = nftw(*state, tmpdir_remove_one, 16, FTW_DEPTH | FTW_PHYS);

	free(*state);
	return rc;
}

/* Write text into dir/name (replacing it), for damaging state files. */
static inline void tmpdir_write(const char *dir, const char *name, const char *text)
{
	char path[2 * PATH_MAX];
	FILE *f;

	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) < 0, 0);
	assert_int_equal(fclose(f), 0);
}

static inline bool tmpdir_exists(const char *dir, const char *name)
{
	char path[2 * PATH_MAX];

	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path));
	return faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

#endif
