/* core/ports.c on a temporary state directory: the node-wide registry of
 * host ports. Mappings on every address are claimed for a job without
 * addresses (has_v4 and has_v6 false), so no port is bound to test them;
 * the probes of a process holding a port use loopback only, on ports the
 * kernel hands out. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "core/ports.h"
#include "kernel/sysctl.h"
#include "tmpdir.h"
#include "unit.h"

#define A "net:a:eth0"
#define B "net:b:eth0"

static struct portmap map(int proto, unsigned port, const char *host_ip)
{
	struct portmap m = { .proto = (uint8_t)proto, .host_port = (uint16_t)port, .container_port = 80 };

	if (host_ip != NULL)
		assert_true(addr_parse(host_ip, &m.host_ip));
	return m;
}

/* Claim for a job without addresses: an every-address mapping binds nothing. */
static int claim(const char *dir, const char *owner, struct portmap *maps, size_t count, struct jn_error *err)
{
	return ports_claim(dir, owner, maps, count, false, false, err);
}

static int held(const char *dir, const char *owner, const struct portmap *m)
{
	struct jn_error err = { 0 };

	return ports_held_by(dir, owner, m, &err);
}

static void expect_refused(const char *dir, const char *owner, struct portmap *maps, size_t count, int code,
			   const char *word)
{
	struct jn_error err = { 0 };

	assert_int_equal(claim(dir, owner, maps, count, &err), -1);
	assert_int_equal(err.code, code);
	if (strstr(err.msg, word) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, word);
}

static void test_claim_held_by_release(void **state)
{
	const char *dir = *state;
	struct jn_error err = { 0 };
	struct portmap m = map(IPPROTO_TCP, 18080, NULL);
	char owner[PORTS_OWNER_MAX];

	ports_owner("net", "a", "eth0", owner);
	assert_string_equal(owner, A);
	assert_int_equal(held(dir, A, &m), 0);
	assert_int_equal(claim(dir, A, &m, 1, &err), 0);
	assert_true(tmpdir_exists(dir, "policy/ports/tcp-18080/any"));
	assert_int_equal(held(dir, A, &m), 1);
	assert_int_equal(held(dir, B, &m), 0);
	/* The owner's claim again is no conflict. */
	assert_int_equal(claim(dir, A, &m, 1, &err), 0);
	/* Another owner's release leaves it; the owner's removes it and the
	 * port's directory. */
	assert_int_equal(ports_release(dir, B, &m, 1, &err), 0);
	assert_int_equal(held(dir, A, &m), 1);
	assert_int_equal(ports_release(dir, A, &m, 1, &err), 0);
	assert_int_equal(held(dir, A, &m), 0);
	assert_false(tmpdir_exists(dir, "policy/ports/tcp-18080"));
	assert_int_equal(ports_release(dir, A, &m, 1, &err), 0);
}

/* A loopback socket of this process on a port the kernel picks. */
static int hold_loopback(int type, unsigned *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A loopback TCP port nothing holds (the kernel's pick, released). */
static unsigned free_loopback_port(void)
{
	unsigned port;

	close(hold_loopback(SOCK_STREAM, &port));
	return port;
}

static void test_conflicts_are_107(void **state)
{
	const char *dir = *state;
	struct jn_error err = { 0 };
	unsigned lo_port = free_loopback_port();
	struct portmap m = map(IPPROTO_TCP, 18080, NULL);

	assert_int_equal(claim(dir, A, &m, 1, &err), 0);
	expect_refused(dir, B, &m, 1, JN_ERR_PORT_CONFLICT, "already mapped by " A);
	/* Every address overlaps each address, and the other way round. */
	m = map(IPPROTO_TCP, 18080, "127.0.0.1");
	expect_refused(dir, B, &m, 1, JN_ERR_PORT_CONFLICT, "tcp/18080");
	m = map(IPPROTO_TCP, lo_port, "127.0.0.1");
	assert_int_equal(claim(dir, A, &m, 1, &err), 0);
	m = map(IPPROTO_TCP, lo_port, NULL);
	expect_refused(dir, B, &m, 1, JN_ERR_PORT_CONFLICT, "already mapped");
	/* Another protocol, or the same port on another address, is free. */
	m = map(IPPROTO_TCP, lo_port, "127.0.0.2");
	assert_int_equal(claim(dir, B, &m, 1, &err), 0);
	m = map(IPPROTO_UDP, 18080, NULL);
	assert_int_equal(claim(dir, B, &m, 1, &err), 0);
	m = map(IPPROTO_SCTP, 18080, NULL);
	assert_int_equal(claim(dir, B, &m, 1, &err), 0);
	assert_true(tmpdir_exists(dir, "policy/ports/sctp-18080/any"));
}

static void test_a_refused_claim_leaves_nothing(void **state)
{
	const char *dir = *state;
	struct jn_error err = { 0 };
	struct portmap mine = map(IPPROTO_TCP, 18080, NULL);
	struct portmap maps[] = { map(IPPROTO_TCP, 18090, NULL), map(IPPROTO_UDP, 18091, NULL),
				  map(IPPROTO_TCP, 18080, NULL) };

	assert_int_equal(claim(dir, A, &mine, 1, &err), 0);
	expect_refused(dir, B, maps, JN_ARRAY_SIZE(maps), JN_ERR_PORT_CONFLICT, "tcp/18080");
	assert_int_equal(held(dir, B, &maps[0]), 0);
	assert_int_equal(held(dir, B, &maps[1]), 0);
	assert_false(tmpdir_exists(dir, "policy/ports/tcp-18090"));
	assert_false(tmpdir_exists(dir, "policy/ports/udp-18091"));
	assert_int_equal(held(dir, A, &mine), 1);
}

static void test_a_port_a_process_holds_is_107(void **state)
{
	const char *dir = *state;
	unsigned tcp_port, udp_port;
	cleanup_close int tcp = hold_loopback(SOCK_STREAM, &tcp_port);
	cleanup_close int udp = hold_loopback(SOCK_DGRAM, &udp_port);
	struct portmap m = map(IPPROTO_TCP, tcp_port, "127.0.0.1");

	expect_refused(dir, A, &m, 1, JN_ERR_PORT_CONFLICT, "bound by a process");
	m = map(IPPROTO_UDP, udp_port, "127.0.0.1");
	expect_refused(dir, A, &m, 1, JN_ERR_PORT_CONFLICT, "bound by a process");
	assert_false(tmpdir_exists(dir, "policy/ports"));
	/* An address that is not the node's is a configuration error. */
	m = map(IPPROTO_TCP, 18080, "192.0.2.1");
	expect_refused(dir, A, &m, 1, JN_ERR_INVALID_CONFIG, "192.0.2.1");
}

static void ephemeral_range(unsigned *lo, unsigned *hi)
{
	char text[64];
	struct jn_error err = { 0 };

	assert_int_equal(sysctl_read("net/ipv4/ip_local_port_range", text, sizeof(text), &err), 0);
	assert_int_equal(sscanf(text, "%u %u", lo, hi), 2);
}

static void test_host_port_zero_picks_a_free_ephemeral_port(void **state)
{
	const char *dir = *state;
	struct jn_error err = { 0 };
	unsigned lo, hi;
	struct portmap a[] = { map(IPPROTO_TCP, 0, NULL), map(IPPROTO_TCP, 0, "127.0.0.1") };
	struct portmap b = map(IPPROTO_TCP, 0, NULL);

	ephemeral_range(&lo, &hi);
	assert_int_equal(claim(dir, A, a, JN_ARRAY_SIZE(a), &err), 0);
	for (size_t i = 0; i < JN_ARRAY_SIZE(a); i++) {
		assert_true(a[i].host_port >= lo && a[i].host_port <= hi);
		assert_int_equal(held(dir, A, &a[i]), 1);
	}
	assert_int_equal(claim(dir, B, &b, 1, &err), 0);
	assert_true(b.host_port >= lo && b.host_port <= hi);
	assert_int_not_equal(b.host_port, a[0].host_port);
	assert_int_not_equal(b.host_port, a[1].host_port);
	/* A picked port that a later mapping's refusal undoes is released. */
	{
		struct portmap c[] = { map(IPPROTO_UDP, 0, NULL), map(IPPROTO_TCP, a[0].host_port, NULL) };
		expect_refused(dir, B, c, JN_ARRAY_SIZE(c), JN_ERR_PORT_CONFLICT, "already mapped");
		assert_int_equal(held(dir, B, &c[0]), 0);
	}
}

struct seen {
	char names[8][96];
	size_t count;
	int failures;
};

static void note_claim(const char *owner, const char *claim_name, void *ctx)
{
	struct seen *s = ctx;

	assert_true(s->count < 8);
	snprintf(s->names[s->count++], sizeof(s->names[0]), "%s %s", claim_name, owner);
}

static bool keep_a(const char *owner, void *ctx)
{
	(void)ctx;
	return strcmp(owner, A) == 0;
}

static void note_dropped(const char *owner, const char *claim_name, const struct jn_error *failure, void *ctx)
{
	struct seen *s = ctx;

	note_claim(owner, claim_name, ctx);
	s->failures += failure->code != 0;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(x, y);
}

static void test_drop_claims_unless_kept(void **state)
{
	const char *dir = *state;
	struct jn_error err = { 0 };
	struct portmap a[] = { map(IPPROTO_TCP, 18080, NULL), map(IPPROTO_UDP, 18080, NULL) };
	struct portmap b = map(IPPROTO_TCP, 18081, NULL), c = map(IPPROTO_TCP, 18082, NULL);
	struct seen gone = { 0 }, left = { 0 };

	assert_int_equal(claim(dir, A, a, JN_ARRAY_SIZE(a), &err), 0);
	assert_int_equal(claim(dir, B, &b, 1, &err), 0);
	assert_int_equal(claim(dir, "other:c:eth0", &c, 1, &err), 0);
	assert_int_equal(ports_drop_claims_unless(dir, keep_a, note_dropped, &gone, &err), 0);
	qsort(gone.names, gone.count, sizeof(gone.names[0]), by_name);
	assert_int_equal(gone.count, 2);
	assert_string_equal(gone.names[0], "tcp-18081/any " B);
	assert_string_equal(gone.names[1], "tcp-18082/any other:c:eth0");
	assert_int_equal(gone.failures, 0);
	assert_false(tmpdir_exists(dir, "policy/ports/tcp-18081"));
	assert_int_equal(ports_each_claim(dir, note_claim, &left, &err), 0);
	qsort(left.names, left.count, sizeof(left.names[0]), by_name);
	assert_int_equal(left.count, 2);
	assert_string_equal(left.names[0], "tcp-18080/any " A);
	assert_string_equal(left.names[1], "udp-18080/any " A);
}

static void test_drop_claim_refuses_names_outside_the_registry(void **state)
{
	const char *dir = *state;
	struct jn_error err = { 0 };
	struct portmap m = map(IPPROTO_TCP, 18080, NULL);

	assert_int_equal(ports_drop_claim(dir, "tcp-18080/../../x", &err), -1);
	assert_int_equal(err.code, JN_ERR_STATE);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ports_drop_claim(dir, "any", &err), -1);
	memset(&err, 0, sizeof(err));
	assert_int_equal(claim(dir, A, &m, 1, &err), 0);
	assert_int_equal(ports_drop_claim(dir, "tcp-18080/any", &err), 0);
	assert_int_equal(held(dir, A, &m), 0);
	/* Already gone is success. */
	assert_int_equal(ports_drop_claim(dir, "tcp-18080/any", &err), 0);
}

static void test_reclaim_writes_missing_claims(void **state)
{
	const char *dir = *state;
	struct jn_error err = { 0 };
	struct portmap maps[] = { map(IPPROTO_TCP, 18080, NULL), map(IPPROTO_UDP, 18081, NULL) };
	size_t restored = 99;

	assert_int_equal(claim(dir, A, maps, JN_ARRAY_SIZE(maps), &err), 0);
	assert_int_equal(ports_reclaim(dir, A, maps, JN_ARRAY_SIZE(maps), &restored, &err), 0);
	assert_int_equal(restored, 0);
	assert_int_equal(ports_drop_claim(dir, "udp-18081/any", &err), 0);
	assert_int_equal(ports_reclaim(dir, A, maps, JN_ARRAY_SIZE(maps), &restored, &err), 0);
	assert_int_equal(restored, 1);
	assert_int_equal(held(dir, A, &maps[1]), 1);
	/* A port another owner took meanwhile is not taken back. */
	assert_int_equal(ports_drop_claim(dir, "tcp-18080/any", &err), 0);
	assert_int_equal(claim(dir, B, &maps[0], 1, &err), 0);
	assert_int_equal(ports_reclaim(dir, A, maps, JN_ARRAY_SIZE(maps), &restored, &err), -1);
	assert_int_equal(err.code, JN_ERR_PORT_CONFLICT);
	assert_non_null(strstr(err.msg, B));
	assert_int_equal(held(dir, B, &maps[0]), 1);
}

#define TMP_TEST(fn) cmocka_unit_test_setup_teardown(fn, tmpdir_setup, tmpdir_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TMP_TEST(test_claim_held_by_release),
		TMP_TEST(test_conflicts_are_107),
		TMP_TEST(test_a_refused_claim_leaves_nothing),
		TMP_TEST(test_a_port_a_process_holds_is_107),
		TMP_TEST(test_host_port_zero_picks_a_free_ephemeral_port),
		TMP_TEST(test_drop_claims_unless_kept),
		TMP_TEST(test_drop_claim_refuses_names_outside_the_registry),
		TMP_TEST(test_reclaim_writes_missing_claims),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
