/* The relay's event loop: TCP connections copied both ways with half-close,
 * UDP datagrams through one upstream socket per client. Level-triggered
 * epoll; every fd is non-blocking. */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <unistd.h>

#include "relay/relay.h"

#define CONN_MAX 1024
#define SESSION_MAX 1024
#define BUF_SIZE 16384
#define UDP_IDLE_SECONDS 120

enum kind { LISTENER = 1, TCP_CLIENT, TCP_UPSTREAM, UDP_UPSTREAM, LINK_EVENTS };

struct tcp_conn {
	bool used;
	bool connecting;
	int fd[2]; /* 0: the client, 1: the job */
	char buf[2][BUF_SIZE]; /* buf[d] holds what was read from fd[d] */
	size_t len[2], off[2];
	bool eof[2];
};

struct udp_session {
	bool used;
	int fd; /* connected to the job */
	size_t listener;
	struct sockaddr_storage client;
	socklen_t client_len;
	time_t last;
};

struct loop {
	int ep;
	const int *fds;
	const struct relay_listener *listeners;
	size_t count;
	struct tcp_conn *conns;
	struct udp_session *sessions;
	bool link_changed; /* a link event came: is the watched veth still there? */
};

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static uint64_t tag(enum kind kind, size_t index)
{
	return (uint64_t)kind << 32 | index;
}

static void watch(struct loop *l, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	epoll_ctl(l->ep, op, fd, &ev);
}

static void close_conn(struct tcp_conn *c)
{
	for (int d = 0; d < 2; d++)
		if (c->fd[d] >= 0)
			close(c->fd[d]); /* also leaves the epoll set */
	c->used = false;
}

/* Read what fd[d] has while there is room, write it to the other side. */
static int pump(struct tcp_conn *c, int d)
{
	int other = 1 - d;

	if (c->len[d] == 0 && !c->eof[d]) {
		ssize_t n = read(c->fd[d], c->buf[d], BUF_SIZE);
		if (n == 0)
			c->eof[d] = true;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		else if (n > 0)
			c->len[d] = (size_t)n, c->off[d] = 0;
	}
	while (c->len[d] > 0) {
		ssize_t n = write(c->fd[other], c->buf[d] + c->off[d], c->len[d]);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->off[d] += (size_t)n;
		c->len[d] -= (size_t)n;
	}
	if (c->eof[d] && c->len[d] == 0)
		shutdown(c->fd[other], SHUT_WR);
	return 0;
}

static void update_interest(struct loop *l, struct tcp_conn *c, size_t i)
{
	uint32_t client = 0, upstream = 0;

	if (c->len[0] == 0 && !c->eof[0])
		client |= EPOLLIN;
	if (c->len[1] > 0)
		client |= EPOLLOUT;
	if (c->connecting || c->len[0] > 0)
		upstream |= EPOLLOUT;
	if (!c->connecting && c->len[1] == 0 && !c->eof[1])
		upstream |= EPOLLIN;
	watch(l, EPOLL_CTL_MOD, c->fd[0], client, tag(TCP_CLIENT, i));
	watch(l, EPOLL_CTL_MOD, c->fd[1], upstream, tag(TCP_UPSTREAM, i));
}

static void on_tcp(struct loop *l, size_t i, uint32_t events)
{
	struct tcp_conn *c = &l->conns[i];
	int error = 0;
	socklen_t len = sizeof(error);

	if (!c->used)
		return;
	if (c->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &error, &len) < 0 || error != 0) {
			close_conn(c);
			return;
		}
		c->connecting = false;
	}
	if (!c->connecting && (pump(c, 0) < 0 || pump(c, 1) < 0)) {
		close_conn(c);
		return;
	}
	if (c->eof[0] && c->eof[1] && c->len[0] == 0 && c->len[1] == 0) {
		close_conn(c);
		return;
	}
	update_interest(l, c, i);
}

static void accept_tcp(struct loop *l, size_t li)
{
	const struct relay_listener *t = &l->listeners[li];
	int client = accept4(l->fds[li], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), up;
	size_t i;

	if (client < 0)
		return;
	for (i = 0; i < CONN_MAX && l->conns[i].used; i++)
		;
	up = i < CONN_MAX ? socket(t->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) : -1;
	if (up < 0 || (connect(up, (const struct sockaddr *)&t->target, t->target_len) < 0 && errno != EINPROGRESS)) {
		close(client);
		if (up >= 0)
			close(up);
		return;
	}
	struct tcp_conn *c = &l->conns[i];
	c->used = c->connecting = true;
	c->fd[0] = client;
	c->fd[1] = up;
	c->len[0] = c->len[1] = c->off[0] = c->off[1] = 0;
	c->eof[0] = c->eof[1] = false;
	watch(l, EPOLL_CTL_ADD, client, 0, tag(TCP_CLIENT, i));
	watch(l, EPOLL_CTL_ADD, up, EPOLLOUT, tag(TCP_UPSTREAM, i));
}

static struct udp_session *find_session(struct loop *l, size_t li, const struct sockaddr_storage *from, socklen_t len)
{
	const struct relay_listener *t = &l->listeners[li];
	size_t free_slot = SESSION_MAX;

	for (size_t i = 0; i < SESSION_MAX; i++) {
		struct udp_session *s = &l->sessions[i];
		if (s->used && s->listener == li && s->client_len == len && memcmp(&s->client, from, len) == 0)
			return s;
		if (!s->used && free_slot == SESSION_MAX)
			free_slot = i;
	}
	if (free_slot == SESSION_MAX)
		return NULL;
	struct udp_session *s = &l->sessions[free_slot];
	s->fd = socket(t->target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || connect(s->fd, (const struct sockaddr *)&t->target, t->target_len) < 0) {
		if (s->fd >= 0)
			close(s->fd);
		return NULL;
	}
	s->used = true;
	s->listener = li;
	memcpy(&s->client, from, len);
	s->client_len = len;
	watch(l, EPOLL_CTL_ADD, s->fd, EPOLLIN, tag(UDP_UPSTREAM, free_slot));
	return s;
}

static void on_udp_listener(struct loop *l, size_t li)
{
	char buf[65536];
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);
	ssize_t n = recvfrom(l->fds[li], buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	struct udp_session *s;

	if (n < 0 || (s = find_session(l, li, &from, len)) == NULL)
		return;
	s->last = time(NULL);
	if (send(s->fd, buf, (size_t)n, 0) < 0 && errno != EAGAIN)
		return;
}

static void on_udp_upstream(struct loop *l, size_t i)
{
	struct udp_session *s = &l->sessions[i];
	char buf[65536];
	ssize_t n;

	if (!s->used)
		return;
	n = recv(s->fd, buf, sizeof(buf), 0);
	if (n < 0)
		return;
	s->last = time(NULL);
	sendto(l->fds[s->listener], buf, (size_t)n, 0, (const struct sockaddr *)&s->client, s->client_len);
}

static void expire_sessions(struct loop *l)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < SESSION_MAX; i++) {
		struct udp_session *s = &l->sessions[i];
		if (s->used && now - s->last > UDP_IDLE_SECONDS) {
			close(s->fd);
			s->used = false;
		}
	}
}

/* What the messages say does not matter: the name is looked up after. */
static void drain_link_events(int fd)
{
	char buf[8192];

	while (recv(fd, buf, sizeof(buf), 0) > 0 || errno == ENOBUFS)
		;
}

static void dispatch(struct loop *l, uint64_t data, uint32_t events)
{
	size_t index = (size_t)(data & 0xffffffffu);

	switch ((enum kind)(data >> 32)) {
	case LISTENER:
		if (l->listeners[index].proto == IPPROTO_UDP)
			on_udp_listener(l, index);
		else
			accept_tcp(l, index);
		break;
	case TCP_CLIENT:
	case TCP_UPSTREAM:
		on_tcp(l, index, events);
		break;
	case UDP_UPSTREAM:
		on_udp_upstream(l, index);
		break;
	case LINK_EVENTS:
		drain_link_events((int)index);
		l->link_changed = true;
		break;
	}
}

/* Link notifications of the node's namespace, so the relay ends as soon as
 * its job's veth is deleted rather than at the next periodic look. Needs no
 * privilege. -1 when it cannot be had: the periodic look remains. */
static int open_link_events(void)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int relay_serve(const int *fds, const struct relay_listener *listeners, size_t count, const char *watch_ifname)
{
	struct loop l = { .fds = fds, .listeners = listeners, .count = count };
	struct sigaction term = { .sa_handler = on_term };
	struct epoll_event events[64];
	int link_events = -1;

	sigaction(SIGTERM, &term, NULL);
	sigaction(SIGINT, &term, NULL);
	signal(SIGPIPE, SIG_IGN);
	l.ep = epoll_create1(EPOLL_CLOEXEC);
	l.conns = calloc(CONN_MAX, sizeof(*l.conns));
	l.sessions = calloc(SESSION_MAX, sizeof(*l.sessions));
	if (l.ep < 0 || l.conns == NULL || l.sessions == NULL) {
		free(l.conns);
		free(l.sessions);
		if (l.ep >= 0)
			close(l.ep);
		return -1;
	}
	for (size_t i = 0; i < count; i++)
		watch(&l, EPOLL_CTL_ADD, fds[i], EPOLLIN, tag(LISTENER, i));
	if (watch_ifname != NULL && watch_ifname[0] != '\0' && (link_events = open_link_events()) >= 0)
		watch(&l, EPOLL_CTL_ADD, link_events, EPOLLIN, tag(LINK_EVENTS, (size_t)link_events));
	while (!stopping) {
		int n = epoll_wait(l.ep, events, 64, 1000);
		for (int i = 0; i < n; i++)
			dispatch(&l, events[i].data.u64, events[i].events);
		expire_sessions(&l);
		/* The job is gone without a DEL: nothing left to relay to. */
		if ((link_events < 0 || l.link_changed) && watch_ifname != NULL && watch_ifname[0] != '\0' &&
		    if_nametoindex(watch_ifname) == 0)
			break;
		l.link_changed = false;
	}
	if (link_events >= 0)
		close(link_events);
	for (size_t i = 0; i < CONN_MAX; i++)
		if (l.conns[i].used)
			close_conn(&l.conns[i]);
	free(l.conns);
	free(l.sessions);
	close(l.ep);
	return 0;
}
