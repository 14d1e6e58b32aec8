/* Starting and stopping relays. A relay is a grandchild of the plugin in a
 * session of its own, so it outlives the plugin and is nobody's zombie; its
 * stdio is /dev/null, so the runtime's pipes close when the plugin exits. */
#include "relay/relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/cleanup.h"
#include "base/log.h"

#define NOBODY 65534

/* What the relay tells the plugin once it has bound its sockets. */
struct relay_report {
	int pid;
	int failed_index; /* -1 when all are bound */
	int errnum;
	uint16_t ports[JN_RELAY_MAX_LISTENERS]; /* each listener's, as bound */
};

/* The report is one write to a pipe: it must not be split. */
_Static_assert(sizeof(struct relay_report) <= PIPE_BUF, "the relay's report fits one pipe write");

static uint16_t bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ? 0 : sockaddr_port(&ss);
}

static int bind_one(const struct relay_listener *l)
{
	int type = l->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM, one = 1;
	int fd = socket(l->listen.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* TCP: TIME_WAIT leftovers must not block; a listener still does. */
	if ((type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    (l->listen.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (const struct sockaddr *)&l->listen, l->listen_len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) < 0)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void drop_privileges(void)
{
	/* Binding is done; relaying needs no privilege. */
	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		_exit(1);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* Fixed descriptors in the relay: the report pipe (written once) and the
 * commit pipe (read once). */
#define REPORT_FD 3
#define COMMIT_FD 4

/* Blocks until the plugin has written the record that names this relay; a
 * plugin that died first (EOF) means no record will: the relay ends. */
static bool wait_for_commit(void)
{
	char go;
	ssize_t n;

	do
		n = read(COMMIT_FD, &go, 1);
	while (n < 0 && errno == EINTR);
	close(COMMIT_FD);
	return n == 1;
}

/* In the grandchild: bind, report, wait for the commit, then serve. */
static void run_relay(int report_fd, const struct relay_listener *listeners, size_t count, const char *watch)
{
	int fds[JN_RELAY_MAX_LISTENERS];
	struct relay_report r = { .pid = getpid(), .failed_index = -1 };
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	for (size_t i = 0; i < count; i++) {
		fds[i] = bind_one(&listeners[i]);
		if (fds[i] < 0) {
			r.failed_index = (int)i;
			r.errnum = errno;
			break;
		}
		r.ports[i] = bound_port(fds[i]);
	}
	if (write(report_fd, &r, sizeof(r)) != sizeof(r) || r.failed_index >= 0)
		_exit(1);
	close(report_fd);
	if (!wait_for_commit())
		_exit(0);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	prctl(PR_SET_NAME, "jobnet-relay", 0, 0, 0);
	drop_privileges();
	_exit(relay_serve(fds, listeners, count, watch) < 0 ? 1 : 0);
}

static void start_child(int report_fd, int commit_fd, const struct relay_listener *listeners, size_t count,
			const char *watch)
{
	/* Nothing of the plugin's stays open but the two pipes: not the
	 * runtime's pipes, not netlink sockets, not locks. dup2 clears
	 * close-on-exec, which does not matter: the relay never executes. */
	int report = fcntl(report_fd, F_DUPFD_CLOEXEC, 16), commit = fcntl(commit_fd, F_DUPFD_CLOEXEC, 16);

	if (report < 0 || commit < 0 || dup2(report, REPORT_FD) < 0 || dup2(commit, COMMIT_FD) < 0)
		_exit(1);
	close_range(COMMIT_FD + 1, ~0U, 0);
	if (setsid() < 0)
		_exit(1);
	signal(SIGHUP, SIG_IGN);
	switch (fork()) {
	case -1:
		_exit(1);
	case 0:
		run_relay(REPORT_FD, listeners, count, watch);
		_exit(1);
	default:
		_exit(0);
	}
}

static unsigned long long start_time(int pid)
{
	char path[64], buf[1024];
	cleanup_close int fd = -1;
	unsigned long long start = 0;
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* Field 22, counted after the command name, which may hold spaces; a
	 * zombie (state Z) is as good as gone. */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] == '\0' || p[2] == 'Z')
		return 0;
	for (int field = 2; p != NULL && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		sscanf(p + 1, "%llu", &start);
	return start;
}

static int read_report(int fd, struct relay_report *r)
{
	ssize_t n;

	do
		n = read(fd, r, sizeof(*r));
	while (n < 0 && errno == EINTR);
	return n == sizeof(*r) ? 0 : -1;
}

static int report_error(const struct relay_report *r, const struct relay_listener *listeners, struct jn_error *err)
{
	char host[64] = "?";
	const struct relay_listener *l = &listeners[r->failed_index];
	int port;

	if (l->listen.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&l->listen;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)&l->listen;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
	}
	if (r->errnum == EADDRINUSE)
		return jn_error_set(err, JN_ERR_PORT_CONFLICT,
				    "host port %s/%d on %s is bound by a process on the node",
				    l->proto == IPPROTO_UDP ? "udp" : "tcp", port, host);
	return jn_error_errno(err, JN_ERR_KERNEL, r->errnum, "binding %s port %d for the loopback relay", host, port);
}

int relay_spawn(struct relay_listener *listeners, size_t count, const char *watch_ifname, struct relay_handle *out,
		int *commit_fd, struct jn_error *err)
{
	struct relay_report r = { .failed_index = -1 };
	int report[2], commit[2], status;
	pid_t child;

	out->pid = 0;
	out->start = 0;
	*commit_fd = -1;
	if (count == 0)
		return 0;
	if (count > JN_RELAY_MAX_LISTENERS)
		return jn_error_set(err, JN_ERR_KERNEL, "%zu loopback mappings; at most %d", count,
				    JN_RELAY_MAX_LISTENERS);
	if (pipe2(report, O_CLOEXEC) < 0)
		return jn_error_errno(err, JN_ERR_KERNEL, errno, "starting the loopback relay");
	if (pipe2(commit, O_CLOEXEC) < 0) {
		close(report[0]);
		close(report[1]);
		return jn_error_errno(err, JN_ERR_KERNEL, errno, "starting the loopback relay");
	}
	child = fork();
	if (child == 0)
		start_child(report[1], commit[0], listeners, count, watch_ifname);
	close(report[1]);
	close(commit[0]);
	if (child < 0) {
		close(report[0]);
		close(commit[1]);
		return jn_error_errno(err, JN_ERR_KERNEL, errno, "starting the loopback relay");
	}
	waitpid(child, &status, 0);
	if (read_report(report[0], &r) < 0) {
		close(report[0]);
		close(commit[1]);
		return jn_error_set(err, JN_ERR_KERNEL, "the loopback relay died before it bound its sockets");
	}
	close(report[0]);
	if (r.failed_index >= 0) {
		close(commit[1]);
		return report_error(&r, listeners, err);
	}
	out->pid = r.pid;
	out->start = start_time(r.pid);
	for (size_t i = 0; i < count; i++)
		sockaddr_set_port(&listeners[i].listen, r.ports[i]);
	*commit_fd = commit[1];
	return 0;
}

void relay_commit(int *commit_fd)
{
	if (*commit_fd < 0)
		return;
	/* A relay that is gone already is CHECK's to report. */
	if (write(*commit_fd, "", 1) < 0)
		log_warn("the loopback relay ended before it was told to serve");
	close(*commit_fd);
	*commit_fd = -1;
}

void relay_abandon(int *commit_fd)
{
	if (*commit_fd >= 0)
		close(*commit_fd);
	*commit_fd = -1;
}

bool relay_is_alive(const struct relay_handle *h)
{
	return h->pid > 0 && h->start != 0 && start_time(h->pid) == h->start;
}

int relay_stop(const struct relay_handle *h, struct jn_error *err)
{
	struct timespec pause = { .tv_nsec = 5 * 1000 * 1000 };

	if (!relay_is_alive(h))
		return 0;
	if (kill(h->pid, SIGTERM) < 0 && errno != ESRCH)
		return jn_error_errno(err, JN_ERR_KERNEL, errno, "stopping loopback relay %d", h->pid);
	for (int i = 0; i < 200 && relay_is_alive(h); i++)
		nanosleep(&pause, NULL);
	if (relay_is_alive(h))
		kill(h->pid, SIGKILL);
	return 0;
}
