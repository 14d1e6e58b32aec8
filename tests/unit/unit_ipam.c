/* core/ipam.c on a temporary state directory: picking, claiming and
 * releasing addresses, the addresses never handed out, exhaustion, the
 * "next after the last reservation" order, and the sweep of orphans. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/ipam.h"
#include "core/state.h"
#include "tmpdir.h"
#include "unit.h"

static void open_net(const char *tmp, struct state_network *net)
{
	struct jn_error err = { 0 };

	assert_int_equal(state_open(tmp, "net", true, net, &err), 0);
}

static void pool_of(const char *subnet, const char *gateway, struct ipam_pool *out)
{
	assert_true(prefix_parse(subnet, true, &out->subnet));
	assert_true(addr_parse(gateway, &out->gateway));
}

static struct jn_addr addr_of(const char *text)
{
	struct jn_addr a;

	assert_true(addr_parse(text, &a));
	return a;
}

/* Pick without a request and return the address as text (static buffer),
 * or NULL with *code set. */
static const char *pick(struct state_network *net, const struct ipam_pool *pool, int *code)
{
	static char text[JN_ADDR_STRLEN];
	struct jn_error err = { 0 };
	struct jn_addr got;

	*code = 0;
	if (ipam_pick(net, pool, NULL, &got, &err) < 0) {
		*code = err.code;
		return NULL;
	}
	return addr_format(&got, text);
}

static void claim(struct state_network *net, const char *addr, const char *owner)
{
	struct jn_error err = { 0 };
	struct jn_addr a = addr_of(addr);

	assert_int_equal(ipam_claim(net, &a, owner, &err), 0);
}

static void pick_and_claim(struct state_network *net, const struct ipam_pool *pool, const char *want, const char *owner)
{
	int code;
	const char *got = pick(net, pool, &code);

	assert_non_null(got);
	assert_string_equal(got, want);
	claim(net, want, owner);
}

static int owner_of(struct state_network *net, const char *addr, char owner[JN_ATTACHMENT_KEY_MAX])
{
	struct jn_error err = { 0 };
	struct jn_addr a = addr_of(addr);

	return ipam_owner(net, &a, owner, &err);
}

static void test_pick_claim_release(void **state)
{
	char owner[JN_ATTACHMENT_KEY_MAX];
	struct state_network net;
	struct ipam_pool pool;
	struct jn_error err = { 0 };
	struct jn_addr a = addr_of("10.0.0.2");
	char link[64];
	ssize_t n;

	open_net(*state, &net);
	pool_of("10.0.0.0/24", "10.0.0.1", &pool);
	assert_int_equal(owner_of(&net, "10.0.0.2", owner), 0);
	pick_and_claim(&net, &pool, "10.0.0.2", "c1:eth0");
	/* A reservation is a symlink ipam/<address> -> owner. */
	n = readlinkat(net.ipam_fd, "10.0.0.2", link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_string_equal(link, "c1:eth0");
	assert_int_equal(owner_of(&net, "10.0.0.2", owner), 1);
	assert_string_equal(owner, "c1:eth0");
	/* Claiming it again is 103, whoever asks. */
	assert_int_equal(ipam_claim(&net, &a, "c2:eth0", &err), -1);
	assert_int_equal(err.code, JN_ERR_ADDRESS_TAKEN);
	assert_non_null(strstr(err.msg, "10.0.0.2"));
	/* Another owner's release leaves it; the owner's removes it. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(ipam_release(&net, &a, "c2:eth0", &err), 0);
	assert_int_equal(owner_of(&net, "10.0.0.2", owner), 1);
	assert_int_equal(ipam_release(&net, &a, "c1:eth0", &err), 0);
	assert_int_equal(owner_of(&net, "10.0.0.2", owner), 0);
	/* Releasing what is free is success. */
	assert_int_equal(ipam_release(&net, &a, "c1:eth0", &err), 0);
	state_close(&net);
}

static void expect_request(struct state_network *net, const struct ipam_pool *pool, const char *addr, int code,
			   const char *word)
{
	struct jn_error err = { 0 };
	struct jn_addr want = addr_of(addr), got = { 0 };
	int rc = ipam_pick(net, pool, &want, &got, &err);

	if (code == 0) {
		assert_int_equal(rc, 0);
		assert_true(addr_equal(&got, &want));
		return;
	}
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, code);
	assert_non_null(strstr(err.msg, addr));
	assert_non_null(strstr(err.msg, word));
}

static void test_requested_addresses(void **state)
{
	struct state_network net;
	struct ipam_pool pool;

	open_net(*state, &net);
	pool_of("10.0.0.0/24", "10.0.0.1", &pool);
	claim(&net, "10.0.0.70", "env:eth0");
	expect_request(&net, &pool, "10.0.0.70", JN_ERR_ADDRESS_TAKEN, "env:eth0");
	expect_request(&net, &pool, "10.0.0.1", JN_ERR_ADDRESS_TAKEN, "gateway");
	expect_request(&net, &pool, "10.0.0.0", JN_ERR_ADDRESS_TAKEN, "network address");
	expect_request(&net, &pool, "10.0.0.255", JN_ERR_ADDRESS_TAKEN, "broadcast");
	expect_request(&net, &pool, "10.0.1.5", JN_ERR_INVALID_CONFIG, "outside");
	expect_request(&net, &pool, "10.0.0.71", 0, NULL);
	/* IPv6 has no broadcast address: the last one is a host. */
	pool_of("fd00::/64", "fd00::1", &pool);
	expect_request(&net, &pool, "fd00::ffff:ffff:ffff:ffff", 0, NULL);
	expect_request(&net, &pool, "fd00::1", JN_ERR_ADDRESS_TAKEN, "gateway");
	state_close(&net);
}

static void test_a_slash_30_holds_one_job(void **state)
{
	struct state_network net;
	struct ipam_pool pool;
	struct jn_error err = { 0 };
	struct jn_addr a = addr_of("10.9.0.2");
	int code;

	open_net(*state, &net);
	pool_of("10.9.0.0/30", "10.9.0.1", &pool);
	pick_and_claim(&net, &pool, "10.9.0.2", "c1:eth0");
	/* .0 is the network, .1 the gateway, .3 the broadcast address. */
	assert_null(pick(&net, &pool, &code));
	assert_int_equal(code, JN_ERR_POOL_EXHAUSTED);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ipam_pick(&net, &pool, NULL, &a, &err), -1);
	assert_non_null(strstr(err.msg, "10.9.0.0/30"));
	/* Released, it is handed out again. */
	a = addr_of("10.9.0.2");
	assert_int_equal(ipam_release(&net, &a, "c1:eth0", &err), 0);
	pick_and_claim(&net, &pool, "10.9.0.2", "c2:eth0");
	/* A /126 in IPv6 holds two: no broadcast address. */
	pool_of("fd09::/126", "fd09::1", &pool);
	pick_and_claim(&net, &pool, "fd09::2", "c1:eth0");
	pick_and_claim(&net, &pool, "fd09::3", "c2:eth0");
	assert_null(pick(&net, &pool, &code));
	assert_int_equal(code, JN_ERR_POOL_EXHAUSTED);
	state_close(&net);
}

static void test_next_after_the_last_reservation(void **state)
{
	struct state_network net;
	struct ipam_pool pool;
	struct jn_error err = { 0 };
	struct jn_addr a;

	open_net(*state, &net);
	pool_of("10.0.0.0/24", "10.0.0.1", &pool);
	pick_and_claim(&net, &pool, "10.0.0.2", "c1:eth0");
	pick_and_claim(&net, &pool, "10.0.0.3", "c2:eth0");
	pick_and_claim(&net, &pool, "10.0.0.4", "c3:eth0");
	/* A freed address is not the next one handed out: the next after the
	 * last reservation is, so a job's address is not reused at once. */
	a = addr_of("10.0.0.3");
	assert_int_equal(ipam_release(&net, &a, "c2:eth0", &err), 0);
	pick_and_claim(&net, &pool, "10.0.0.5", "c4:eth0");
	/* A requested address moves the hint too. */
	claim(&net, "10.0.0.100", "c5:eth0");
	pick_and_claim(&net, &pool, "10.0.0.101", "c6:eth0");
	/* Past the end the search wraps (skipping broadcast, network and
	 * gateway) to the first free address. */
	claim(&net, "10.0.0.254", "c7:eth0");
	pick_and_claim(&net, &pool, "10.0.0.3", "c8:eth0");
	/* IPv4 and IPv6 keep a hint each. */
	pool_of("fd00::/64", "fd00::1", &pool);
	pick_and_claim(&net, &pool, "fd00::2", "c1:eth0");
	/* .2 is free again, but the IPv4 hint still says .3. */
	a = addr_of("10.0.0.2");
	assert_int_equal(ipam_release(&net, &a, "c1:eth0", &err), 0);
	pool_of("10.0.0.0/24", "10.0.0.1", &pool);
	pick_and_claim(&net, &pool, "10.0.0.6", "c9:eth0");
	state_close(&net);
}

static void test_a_damaged_hint_is_only_a_hint(void **state)
{
	const char *tmp = *state;
	char dir[PATH_MAX];
	struct state_network net;
	struct ipam_pool pool;
	struct jn_error err = { 0 };
	struct jn_addr a = addr_of("10.0.0.2");
	int code;

	open_net(tmp, &net);
	snprintf(dir, sizeof(dir), "%s/net/ipam", tmp);
	pool_of("10.0.0.0/24", "10.0.0.1", &pool);
	claim(&net, "10.0.0.2", "c1:eth0");
	claim(&net, "10.0.0.3", "c2:eth0");
	assert_int_equal(ipam_release(&net, &a, "c1:eth0", &err), 0);
	/* The hint says .3, so .4 is next; without a usable hint the search
	 * starts at the beginning of the subnet and finds .2. */
	assert_string_equal(pick(&net, &pool, &code), "10.0.0.4");
	tmpdir_write(dir, "last-reserved-v4", "\x01garbage");
	assert_string_equal(pick(&net, &pool, &code), "10.0.0.2");
	tmpdir_write(dir, "last-reserved-v4", "192.0.2.1"); /* outside the subnet */
	assert_string_equal(pick(&net, &pool, &code), "10.0.0.2");
	assert_int_equal(unlinkat(net.ipam_fd, "last-reserved-v4", 0), 0);
	assert_string_equal(pick(&net, &pool, &code), "10.0.0.2");
	state_close(&net);
}

struct reservations {
	char entries[8][JN_ADDR_STRLEN + JN_ATTACHMENT_KEY_MAX + 4];
	size_t count;
	int last_failure;
};

static int collect(struct state_network *net, const char *address, const char *owner, void *ctx)
{
	struct reservations *r = ctx;

	(void)net;
	assert_true(r->count < 8);
	snprintf(r->entries[r->count++], sizeof(r->entries[0]), "%s %s", address, owner);
	return 0;
}

static bool keep_kept(const char *owner, void *ctx)
{
	(void)ctx;
	return strcmp(owner, "kept:eth0") == 0;
}

static void dropped(const char *address, const char *owner, const struct jn_error *failure, void *ctx)
{
	struct reservations *r = ctx;

	assert_true(r->count < 8);
	snprintf(r->entries[r->count++], sizeof(r->entries[0]), "%s %s", address, owner);
	r->last_failure = failure->code;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_release_orphans_keeps_owners_with_records(void **state)
{
	const char *tmp = *state;
	char dir[PATH_MAX];
	struct state_network net;
	struct jn_error err = { 0 };
	struct reservations gone = { 0 }, left = { 0 };

	open_net(tmp, &net);
	snprintf(dir, sizeof(dir), "%s/net/attachments", tmp);
	claim(&net, "10.0.0.2", "c1:eth0");
	claim(&net, "10.0.0.3", "ghost:eth0");
	claim(&net, "10.0.0.4", "kept:eth0");
	claim(&net, "fd00::9", "ghost:eth0");
	/* Any record counts as an owner, even a damaged one. */
	tmpdir_write(dir, "c1:eth0", "damaged");
	assert_int_equal(ipam_release_orphans(&net, keep_kept, dropped, &gone, &err), 0);
	qsort(gone.entries, gone.count, sizeof(gone.entries[0]), by_name);
	assert_int_equal(gone.count, 2);
	assert_string_equal(gone.entries[0], "10.0.0.3 ghost:eth0");
	assert_string_equal(gone.entries[1], "fd00::9 ghost:eth0");
	assert_int_equal(gone.last_failure, 0);
	assert_int_equal(ipam_each(&net, collect, &left, &err), 0);
	qsort(left.entries, left.count, sizeof(left.entries[0]), by_name);
	assert_int_equal(left.count, 2);
	assert_string_equal(left.entries[0], "10.0.0.2 c1:eth0");
	assert_string_equal(left.entries[1], "10.0.0.4 kept:eth0");
	/* Without keep(), only records keep reservations. */
	gone = (struct reservations){ 0 };
	assert_int_equal(ipam_release_orphans(&net, NULL, dropped, &gone, &err), 0);
	assert_int_equal(gone.count, 1);
	assert_string_equal(gone.entries[0], "10.0.0.4 kept:eth0");
	state_close(&net);
}

static void test_each_skips_what_is_not_a_reservation(void **state)
{
	const char *tmp = *state;
	char dir[PATH_MAX];
	struct state_network net;
	struct jn_error err = { 0 };
	struct reservations r = { 0 };
	struct ipam_pool pool;

	open_net(tmp, &net);
	snprintf(dir, sizeof(dir), "%s/net/ipam", tmp);
	pool_of("10.0.0.0/24", "10.0.0.1", &pool);
	pick_and_claim(&net, &pool, "10.0.0.2", "c1:eth0");
	assert_true(tmpdir_exists(dir, "last-reserved-v4"));
	tmpdir_write(dir, "10.0.0.9", "a regular file is no reservation");
	assert_int_equal(ipam_each(&net, collect, &r, &err), 0);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.entries[0], "10.0.0.2 c1:eth0");
	state_close(&net);
}

#define TMP_TEST(fn) cmocka_unit_test_setup_teardown(fn, tmpdir_setup, tmpdir_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TMP_TEST(test_pick_claim_release),
		TMP_TEST(test_requested_addresses),
		TMP_TEST(test_a_slash_30_holds_one_job),
		TMP_TEST(test_next_after_the_last_reservation),
		TMP_TEST(test_a_damaged_hint_is_only_a_hint),
		TMP_TEST(test_release_orphans_keeps_owners_with_records),
		TMP_TEST(test_each_skips_what_is_not_a_reservation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
