/* jobnetctl matrix: who reaches whom, among the attached bridged jobs and
 * the node, by ICMP echo over IPv4 and IPv6 (a job's kernel answers pings,
 * whatever it listens on). All echoes are sent at once, from raw sockets
 * opened inside each job's namespace, then the replies are collected. The
 * node, as a destination, is each job's own gateway. */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "kernel/netns.h"
#include "ctl/ctl.h"
#include "ctl/ctlout.h"
#include "ctl/ctlstate.h"

#define MAX_ENDPOINTS 64
#define DEFAULT_WAIT_MS 600

struct endpoint {
	char name[40];
	int netns_fd; /* -1: the node */
	struct jn_addr addr[2]; /* [0] IPv4, [1] IPv6; family 0 when none */
	struct jn_addr gateway[2];
	int sock[2];
};

struct matrix {
	struct endpoint ep[MAX_ENDPOINTS];
	size_t count;
	size_t left_out; /* bridged jobs beyond MAX_ENDPOINTS */
	bool tried[MAX_ENDPOINTS][MAX_ENDPOINTS][2];
	bool reached[MAX_ENDPOINTS][MAX_ENDPOINTS][2];
	uint16_t ident;
};

static int add_job(const char *state_dir, const struct attachment *a, void *data)
{
	struct matrix *m = data;
	struct endpoint *e = &m->ep[m->count];
	struct jn_error err = { 0 };

	(void)state_dir;
	if (strcmp(a->mode, "bridge") != 0 || !a->complete)
		return 0;
	if (m->count == MAX_ENDPOINTS) {
		m->left_out++;
		return 0;
	}
	memset(e, 0, sizeof(*e));
	e->sock[0] = e->sock[1] = -1;
	if (netns_open_same(a->netns, &a->netns_id, &e->netns_fd, &err) < 0)
		return 0; /* gone, or the path names another namespace now: nothing to probe */
	snprintf(e->name, sizeof(e->name), "%.12s%s%s", a->container_id, strcmp(a->ifname, "eth0") ? ":" : "",
		 strcmp(a->ifname, "eth0") ? a->ifname : "");
	for (size_t i = 0; i < a->addr_count; i++) {
		int f = a->addrs[i].addr.family == AF_INET ? 0 : 1;
		e->addr[f] = a->addrs[i].addr;
		e->gateway[f] = a->gateways[i];
	}
	m->count++;
	return 0;
}

static int open_sockets(void *arg, struct jn_error *err)
{
	struct endpoint *e = arg;

	e->sock[0] = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	e->sock[1] = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (e->sock[0] < 0 && e->sock[1] < 0)
		return jn_error_errno(err, JN_ERR_KERNEL, errno, "opening ICMP sockets in %s", e->name);
	return 0;
}

static uint16_t checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Echo request: ident says the source, sequence the destination. */
static void send_echo(struct matrix *m, size_t src, size_t dst, int f, const struct jn_addr *to)
{
	struct endpoint *e = &m->ep[src];
	uint8_t pkt[16] = { f ? ICMP6_ECHO_REQUEST : ICMP_ECHO, 0 };
	uint16_t ident = htons((uint16_t)(m->ident + src)), seq = htons((uint16_t)dst);
	struct sockaddr_storage ss = { 0 };
	socklen_t len;

	if (e->sock[f] < 0 || to->family == 0)
		return;
	memcpy(pkt + 4, &ident, 2);
	memcpy(pkt + 6, &seq, 2);
	memcpy(pkt + 8, "jobnetmx", 8);
	if (!f) {
		uint16_t sum = checksum(pkt, sizeof(pkt));
		memcpy(pkt + 2, &sum, 2);
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		memcpy(&((struct sockaddr_in *)&ss)->sin_addr, to->bytes, 4);
		len = sizeof(struct sockaddr_in);
	} else { /* the kernel fills in the ICMPv6 checksum */
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, to->bytes, 16);
		len = sizeof(struct sockaddr_in6);
	}
	if (sendto(e->sock[f], pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, len) == sizeof(pkt))
		m->tried[src][dst][f] = true;
}

static void read_replies(struct matrix *m, size_t src, int f)
{
	uint8_t buf[1500];
	ssize_t n;

	while ((n = recv(m->ep[src].sock[f], buf, sizeof(buf), 0)) > 0) {
		const uint8_t *icmp = f ? buf : buf + (buf[0] & 0x0f) * 4;
		size_t len = f ? (size_t)n : (size_t)n - (size_t)((buf[0] & 0x0f) * 4);
		uint16_t ident, seq;
		if (len < 8 || icmp[0] != (f ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY))
			continue;
		memcpy(&ident, icmp + 4, 2);
		memcpy(&seq, icmp + 6, 2);
		if (ntohs(ident) == (uint16_t)(m->ident + src) && ntohs(seq) < m->count)
			m->reached[src][ntohs(seq)][f] = true;
	}
}

static void collect(struct matrix *m, int wait_ms)
{
	struct pollfd fds[MAX_ENDPOINTS * 2];
	struct timespec start, now;
	int elapsed = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (elapsed < wait_ms) {
		for (size_t i = 0; i < m->count; i++)
			for (int f = 0; f < 2; f++)
				fds[i * 2 + f] = (struct pollfd){ .fd = m->ep[i].sock[f], .events = POLLIN };
		if (poll(fds, m->count * 2, wait_ms - elapsed) > 0)
			for (size_t i = 0; i < m->count; i++)
				for (int f = 0; f < 2; f++)
					if (fds[i * 2 + f].revents & POLLIN)
						read_replies(m, i, f);
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (int)((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
	}
}

/* Index 0 is the node: it pings every job; a job pings the node's gateway. */
static void probe_all(struct matrix *m)
{
	for (size_t s = 0; s < m->count; s++)
		for (size_t d = 0; d < m->count; d++)
			for (int f = 0; f < 2; f++)
				if (s != d)
					send_echo(m, s, d, f, d == 0 ? &m->ep[s].gateway[f] : &m->ep[d].addr[f]);
}

static const char *cell(const struct matrix *m, size_t s, size_t d)
{
	bool t4 = m->tried[s][d][0], t6 = m->tried[s][d][1], r4 = m->reached[s][d][0], r6 = m->reached[s][d][1];

	if (s == d || (!t4 && !t6))
		return "-";
	if ((r4 || !t4) && (r6 || !t6))
		return "yes";
	if (!r4 && !r6)
		return "no";
	return r4 ? "v4 only" : "v6 only";
}

static void print_table(const struct matrix *m)
{
	printf("%-14s", "from \\ to");
	for (size_t d = 0; d < m->count; d++)
		printf(" %-12.12s", m->ep[d].name);
	printf("\n");
	for (size_t s = 0; s < m->count; s++) {
		printf("%-14.14s", m->ep[s].name);
		for (size_t d = 0; d < m->count; d++)
			printf(" %-12s", cell(m, s, d));
		printf("\n");
	}
	printf("(ICMP echo over IPv4 and IPv6; \"node\" as a destination is each job's gateway)\n");
}

static int print_json(const struct matrix *m)
{
	cleanup_json json_t *rows = json_object();

	if (rows == NULL)
		return -1;
	for (size_t s = 0; s < m->count; s++) {
		json_t *row = json_object();
		for (size_t d = 0; d < m->count; d++)
			if (s != d)
				json_object_set_new(
					row, m->ep[d].name,
					json_pack("{s:b, s:b}", "v4", m->reached[s][d][0], "v6", m->reached[s][d][1]));
		json_object_set_new(rows, m->ep[s].name, row);
	}
	return ctlout_print_json(rows, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
}

int ctl_matrix(int argc, char **argv, struct ctl_options *opts)
{
	cleanup_free struct matrix *m = NULL;
	struct jn_error err = { 0 };
	int rc;

	if (argc > 1)
		return ctl_usage_error("jobnetctl matrix [--json]", "unexpected argument \"%s\"", argv[1]);
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return ctl_out_of_memory();
	m->ident = (uint16_t)(getpid() << 6);
	strcpy(m->ep[0].name, "node");
	m->ep[0].netns_fd = -1;
	m->ep[0].sock[0] = m->ep[0].sock[1] = -1;
	m->count = 1;
	rc = ctlstate_each(opts, add_job, m);
	if (m->left_out > 0)
		ctl_warn("%zu bridged job(s) left out: the matrix holds the node and %d jobs", m->left_out,
			 MAX_ENDPOINTS - 1);
	for (size_t i = 0; i < m->count; i++) {
		int opened;
		jn_error_clear(&err);
		/* The node's own sockets here, each job's in its namespace. */
		if (i == 0)
			opened = open_sockets(&m->ep[0], &err);
		else
			opened = netns_run(m->ep[i].netns_fd, open_sockets, &m->ep[i], &err);
		if (opened < 0) {
			ctl_error_record(&err);
			rc = -1;
		}
	}
	probe_all(m);
	collect(m, DEFAULT_WAIT_MS);
	if (!opts->json) {
		print_table(m);
	} else if (print_json(m) < 0) {
		ctl_error("out of memory");
		rc = -1;
	}
	for (size_t i = 0; i < m->count; i++) {
		for (int f = 0; f < 2; f++)
			if (m->ep[i].sock[f] >= 0)
				close(m->ep[i].sock[f]);
		if (m->ep[i].netns_fd >= 0)
			close(m->ep[i].netns_fd);
	}
	return rc < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
