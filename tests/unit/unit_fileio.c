/* The atomic file writer, in a temporary directory (no root needed). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fileio.h"
#include "unit.h"

struct scratch {
	char path[PATH_MAX];
	int fd;
};

static int make_scratch(void **state)
{
	struct scratch *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -1;
	snprintf(s->path, sizeof(s->path), "%s/jobnet-unit-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(s->path) == NULL)
		return -1;
	s->fd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = s;
	return s->fd < 0 ? -1 : 0;
}

static void remove_tree(int dir_fd)
{
	DIR *d = fdopendir(dup(dir_fd));
	struct dirent *e;

	/* The duplicate shares the offset a test's own listing moved. */
	if (d != NULL)
		rewinddir(d);
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dir_fd, e->d_name, 0) < 0 && errno == EISDIR) {
			int sub = openat(dir_fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			remove_tree(sub);
			close(sub);
			unlinkat(dir_fd, e->d_name, AT_REMOVEDIR);
		}
	}
	if (d != NULL)
		closedir(d);
}

static int drop_scratch(void **state)
{
	struct scratch *s = *state;

	remove_tree(s->fd);
	close(s->fd);
	rmdir(s->path);
	free(s);
	return 0;
}

/* The file's text, or "" when it cannot be read. */
static const char *contents(int dir_fd, const char *name)
{
	static char buf[256];
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* How many entries the directory has, temporaries included. */
static size_t entries(int dir_fd)
{
	DIR *d = fdopendir(dup(dir_fd));
	struct dirent *e;
	size_t count = 0;

	rewinddir(d);
	while ((e = readdir(d)) != NULL)
		count += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return count;
}

static void test_writes_and_replaces(void **state)
{
	struct scratch *s = *state;
	struct jn_error err = { 0 };
	struct stat st;

	assert_int_equal(fileio_write_atomic(s->fd, s->path, "record", "old\n", 4, &err), 0);
	assert_string_equal(contents(s->fd, "record"), "old\n");
	assert_int_equal(fstatat(s->fd, "record", &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fileio_write_atomic(s->fd, s->path, "record", "new text", 8, &err), 0);
	assert_string_equal(contents(s->fd, "record"), "new text");
	assert_int_equal(fileio_write_atomic(s->fd, s->path, "empty", "", 0, &err), 0);
	assert_string_equal(contents(s->fd, "empty"), "");
	assert_false(jn_error_is_set(&err));
	assert_int_equal(entries(s->fd), 2);
}

/* A write cut short by the file size limit: the first write() is short,
 * the next fails with EFBIG. */
static void test_failed_write_leaves_the_old_file(void **state)
{
	struct scratch *s = *state;
	struct jn_error err = { 0 };
	struct rlimit saved, small;
	char big[100];
	int rc;

	memset(big, 'x', sizeof(big));
	assert_int_equal(fileio_write_atomic(s->fd, s->path, "record", "old\n", 4, &err), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small = (struct rlimit){ .rlim_cur = 10, .rlim_max = saved.rlim_max };
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	rc = fileio_write_atomic(s->fd, s->path, "record", big, sizeof(big), &err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, JN_ERR_STATE);
	assert_int_equal(jn_error_errnum(&err), EFBIG);
	assert_non_null(strstr(err.msg, s->path));
	assert_non_null(strstr(err.msg, "/record"));
	assert_string_equal(contents(s->fd, "record"), "old\n");
	assert_int_equal(entries(s->fd), 1);
}

/* The rename fails (a directory holds the name): the temporary goes. */
static void test_failed_rename_leaves_no_temporary(void **state)
{
	struct scratch *s = *state;
	struct jn_error err = { 0 };
	int fd;

	assert_int_equal(mkdirat(s->fd, "busy", 0700), 0);
	fd = openat(s->fd, "busy/x", O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0 && write(fd, "kept", 4) == 4);
	close(fd);
	assert_int_equal(fileio_write_atomic(s->fd, s->path, "busy", "y", 1, &err), -1);
	assert_int_equal(jn_error_errnum(&err), EISDIR);
	assert_string_equal(contents(s->fd, "busy/x"), "kept");
	assert_int_equal(entries(s->fd), 1); /* busy/ alone: no temporary */
}

/* A symlink planted where the temporary goes is not followed. */
static void test_temporary_symlink_is_not_followed(void **state)
{
	struct scratch *s = *state;
	struct jn_error err = { 0 };
	char tmp[64];

	assert_int_equal(fileio_write_atomic(s->fd, s->path, "victim", "victim", 6, &err), 0);
	assert_int_equal(fileio_temporary_name("record", tmp, sizeof(tmp)), 0);
	assert_int_equal(symlinkat("victim", s->fd, tmp), 0);
	assert_int_equal(fileio_write_atomic(s->fd, s->path, "record", "x", 1, &err), -1);
	assert_int_equal(jn_error_errnum(&err), ELOOP);
	assert_string_equal(contents(s->fd, "victim"), "victim");
	assert_int_equal(entries(s->fd), 1);
}

static void test_first_error_stays(void **state)
{
	struct scratch *s = *state;
	struct jn_error err = { 0 };
	struct rlimit saved, small = { .rlim_cur = 0 };

	jn_error_set(&err, JN_ERR_KERNEL, "earlier");
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small.rlim_max = saved.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(fileio_write_atomic(s->fd, s->path, "record", "x", 1, &err), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_string_equal(err.msg, "earlier");
	assert_int_equal(entries(s->fd), 0);
}

static void test_temporary_names(void **state)
{
	char out[24];

	(void)state;
	assert_int_equal(fileio_temporary_name("network.json", out, sizeof(out)), 0);
	assert_string_equal(out, ".network.json.tmp");
	assert_true(fileio_is_temporary(out));
	assert_int_equal(fileio_temporary_name("a-name-of-twenty-bytes", out, sizeof(out)), -1);
	assert_true(fileio_is_temporary("..c1:eth0.copy.tmp"));
	assert_false(fileio_is_temporary(".tmp"));
	assert_false(fileio_is_temporary("c1:eth0"));
	assert_false(fileio_is_temporary(".c1:eth0.copy"));
	assert_false(fileio_is_temporary("x.tmp"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_writes_and_replaces, make_scratch, drop_scratch),
		cmocka_unit_test_setup_teardown(test_failed_write_leaves_the_old_file, make_scratch, drop_scratch),
		cmocka_unit_test_setup_teardown(test_failed_rename_leaves_no_temporary, make_scratch, drop_scratch),
		cmocka_unit_test_setup_teardown(test_temporary_symlink_is_not_followed, make_scratch, drop_scratch),
		cmocka_unit_test_setup_teardown(test_first_error_stays, make_scratch, drop_scratch),
		cmocka_unit_test(test_temporary_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
