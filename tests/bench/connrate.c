/* Connection rate between two namespaces, for make bench.
 *
 *   connrate server ADDR PORT          accept and close, until killed
 *   connrate client ADDR PORT SECONDS  connect and close in a loop; prints
 *                                      "<connections> <seconds>"
 *
 * The client resets (SO_LINGER 0) instead of closing, so its ports do not
 * pile up in TIME_WAIT and the rate measures setup and teardown of the
 * connection through the rules, not the ephemeral port range. Each side is
 * one thread; run several clients for more load. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int parse_addr(const char *host, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	int p = atoi(port);

	memset(ss, 0, sizeof(*ss));
	if (p <= 0 || p > 65535)
		return -1;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int serve(const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1, fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, 4096) < 0) {
		perror("connrate server");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			close(c);
		else if (errno != EINTR && errno != ECONNABORTED)
			return 1;
	}
}

static int client(const struct sockaddr_storage *ss, socklen_t len, double seconds)
{
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	double start = now(), end = start + seconds, t;
	unsigned long done = 0, failed = 0;

	while ((t = now()) < end) {
		int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 1;
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
		if (connect(fd, (const struct sockaddr *)ss, len) == 0)
			done++;
		else
			failed++;
		close(fd);
	}
	printf("%lu %.3f %lu\n", done, t - start, failed);
	return failed > done / 100 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (argc >= 4 && parse_addr(argv[2], argv[3], &ss, &len) == 0) {
		if (strcmp(argv[1], "server") == 0 && argc == 4)
			return serve(&ss, len);
		if (strcmp(argv[1], "client") == 0 && argc == 5)
			return client(&ss, len, atof(argv[4]));
	}
	fprintf(stderr, "usage: connrate server ADDR PORT | connrate client ADDR PORT SECONDS\n");
	return 2;
}
