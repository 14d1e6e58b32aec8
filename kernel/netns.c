#include "kernel/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/cleanup.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

int netns_open(const char *path, int *out, struct jn_error *err)
{
	/* O_NONBLOCK: a FIFO (or a device) given as the namespace must not
	 * block the plugin; whatever it is, the checks below refuse it. */
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct statfs fs;
	int type;

	if (fd < 0) {
		if (errno == ENOENT)
			return jn_error_errno(err, JN_ERR_NETNS, errno, "network namespace \"%s\" does not exist",
					      path);
		return jn_error_errno(err, JN_ERR_NETNS, errno, "cannot open network namespace \"%s\"", path);
	}
	if (fstatfs(fd, &fs) < 0)
		return jn_error_errno(err, JN_ERR_NETNS, errno, "cannot inspect network namespace \"%s\"", path);
	/* The verdicts on what the path names carry no errno (netns_is_gone).
	 * /proc/<pid>/ns/net is reached through procfs but lands on nsfs. */
	if (fs.f_type != NSFS_MAGIC && fs.f_type != PROC_SUPER_MAGIC)
		return jn_error_set(err, JN_ERR_NETNS, "\"%s\" is not a namespace reference", path);
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET)
		return jn_error_set(err, JN_ERR_NETNS, "\"%s\" is not a network namespace", path);
	*out = take_fd(fd);
	return 0;
}

/* The cookie of the namespace sock was made in, 0 when the kernel has none. */
static int cookie_of(int sock, unsigned long long *cookie, struct jn_error *err)
{
	uint64_t value = 0;
	socklen_t len = sizeof(value);

	if (getsockopt(sock, SOL_SOCKET, SO_NETNS_COOKIE, &value, &len) < 0 && errno != ENOPROTOOPT)
		return jn_error_errno(err, JN_ERR_NETNS, errno, "reading a network namespace's cookie");
	*cookie = value;
	return 0;
}

/* In the namespace: a socket made there tells its cookie. */
static int read_cookie(void *arg, struct jn_error *err)
{
	cleanup_close int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return jn_error_errno(err, JN_ERR_NETNS, errno, "reading a network namespace's cookie");
	return cookie_of(s, arg, err);
}

static int stat_id(int fd, struct netns_id *out, struct jn_error *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return jn_error_errno(err, JN_ERR_NETNS, errno, "identifying a network namespace");
	out->dev = (unsigned long long)st.st_dev;
	out->ino = (unsigned long long)st.st_ino;
	return 0;
}

int netns_identify(int fd, struct netns_id *out, struct jn_error *err)
{
	if (stat_id(fd, out, err) < 0)
		return -1;
	return netns_run(fd, read_cookie, &out->cookie, err);
}

int netns_identify_by_socket(int fd, int sock, struct netns_id *out, struct jn_error *err)
{
	if (stat_id(fd, out, err) < 0)
		return -1;
	return cookie_of(sock, &out->cookie, err);
}

static bool same_namespace(const struct netns_id *was, const struct netns_id *now)
{
	if (now->dev != was->dev || now->ino != was->ino)
		return false;
	/* The inode number of a namespace that died goes to a later one. */
	return was->cookie == 0 || now->cookie == 0 || now->cookie == was->cookie;
}

int netns_expect_same(const char *path, const struct netns_id *id, const struct netns_id *now, struct jn_error *err)
{
	if (same_namespace(id, now))
		return 0;
	return jn_error_errno(err, JN_ERR_NETNS, ESTALE,
			      "\"%s\" names another network namespace now (inode %llu, cookie %llu; "
			      "the job's was inode %llu, cookie %llu): the one it named is gone",
			      path, now->ino, now->cookie, id->ino, id->cookie);
}

int netns_open_same(const char *path, const struct netns_id *id, int *out, struct jn_error *err)
{
	cleanup_close int fd = -1;
	struct netns_id now;

	if (netns_open(path, &fd, err) < 0)
		return -1;
	if (netns_id_is_known(id) && (netns_identify(fd, &now, err) < 0 || netns_expect_same(path, id, &now, err) < 0))
		return -1;
	*out = take_fd(fd);
	return 0;
}

bool netns_is_gone(const struct jn_error *err)
{
	int errnum = jn_error_errnum(err);

	return err->code == JN_ERR_NETNS && (errnum == 0 || errnum == ENOENT || errnum == ENOTDIR || errnum == ESTALE);
}

int netns_is_current(int fd, bool *out, struct jn_error *err)
{
	struct stat target, self;

	if (fstat(fd, &target) < 0 || stat("/proc/thread-self/ns/net", &self) < 0)
		return jn_error_errno(err, JN_ERR_NETNS, errno, "comparing network namespaces");
	*out = target.st_dev == self.st_dev && target.st_ino == self.st_ino;
	return 0;
}

struct netns_job {
	int fd;
	netns_fn fn;
	void *arg;
	struct jn_error *err;
	int rc;
};

static void *netns_thread(void *data)
{
	struct netns_job *job = data;

	if (setns(job->fd, CLONE_NEWNET) < 0) {
		job->rc = jn_error_errno(job->err, JN_ERR_NETNS, errno, "entering the network namespace");
		return NULL;
	}
	job->rc = job->fn(job->arg, job->err);
	return NULL;
}

int netns_run(int fd, netns_fn fn, void *arg, struct jn_error *err)
{
	struct netns_job job = { .fd = fd, .fn = fn, .arg = arg, .err = err, .rc = -1 };
	pthread_t thread;
	int rc;

	/* The caller is blocked in pthread_join, so the thread may fill err. */
	rc = pthread_create(&thread, NULL, netns_thread, &job);
	if (rc != 0)
		return jn_error_errno(err, JN_ERR_NETNS, rc, "starting a thread for the network namespace");
	pthread_join(thread, NULL);
	return job.rc;
}
