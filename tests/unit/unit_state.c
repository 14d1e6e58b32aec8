/* core/state.c on a temporary directory: opening and creating a network's
 * state, records and their copies, the sweep of temporaries, the walks, and
 * the errors a damaged record or a held lock give. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "core/state.h"
#include "tmpdir.h"
#include "unit.h"

static void sample(struct attachment *a, const char *cid)
{
	attachment_init(a);
	strcpy(a->container_id, cid);
	strcpy(a->ifname, "eth0");
	strcpy(a->network, "net");
	strcpy(a->netns, "/run/netns/x");
	strcpy(a->mode, "bridge");
	strcpy(a->decision, "bridge");
	strcpy(a->rule, "forced-bridge");
	strcpy(a->bridge, "jobnet0");
	strcpy(a->host_veth, "jn0123456789ab");
	a->mac[0] = 0x02;
	a->complete = true;
	a->created = 1700000000;
	assert_true(prefix_parse("10.0.0.2/24", true, &a->addrs[0]));
	assert_true(addr_parse("10.0.0.1", &a->gateways[0]));
	a->addr_count = 1;
}

/* <tmp>/<network>/attachments, where the records are. */
static void attachments_dir(const char *tmp, char *out, size_t size)
{
	snprintf(out, size, "%s/net/attachments", tmp);
}

static void open_net(const char *tmp, struct state_network *net)
{
	struct jn_error err = { 0 };

	assert_int_equal(state_open(tmp, "net", true, net, &err), 0);
}

static void write_sample(struct state_network *net, const char *cid)
{
	struct jn_error err = { 0 };
	struct attachment a;

	sample(&a, cid);
	assert_int_equal(state_write_attachment(net, &a, &err), 0);
	attachment_free(&a);
}

/* Read (cid, eth0): 1 found, 0 absent, -1 error (code in *code). */
static int read_back(struct state_network *net, const char *cid, struct attachment *out, int *code)
{
	struct jn_error err = { 0 };
	bool found = false;
	int rc = state_read_attachment(net, cid, "eth0", out, &found, &err);

	*code = err.code;
	if (rc < 0)
		return -1;
	return found ? 1 : 0;
}

static void test_open_without_create_finds_nothing(void **state)
{
	const char *tmp = *state;
	struct state_network net;
	struct jn_error err = { 0 };
	struct attachment a;
	int code;

	assert_int_equal(state_open(tmp, "net", false, &net, &err), 0);
	assert_int_equal(net.dir_fd, -1);
	assert_int_equal(read_back(&net, "c1", &a, &code), 0);
	assert_false(state_has_record(&net, "c1:eth0"));
	assert_int_equal(state_remove_attachment(&net, "c1", "eth0", &err), 0);
	assert_false(tmpdir_exists(tmp, "net"));
	state_close(&net);
}

static void test_open_creates_the_layout(void **state)
{
	const char *tmp = *state;
	char nested[PATH_MAX];
	struct state_network net;
	struct jn_error err = { 0 };

	snprintf(nested, sizeof(nested), "%s/a/b", tmp);
	assert_int_equal(state_open(nested, "net", true, &net, &err), 0);
	assert_true(net.dir_fd >= 0 && net.attachments_fd >= 0 && net.ipam_fd >= 0 && net.lock_fd >= 0);
	assert_int_equal(net.lock_timeout, JN_STATE_LOCK_TIMEOUT);
	for (const char *const *p =
		     (const char *const[]){ "a/b/net/attachments", "a/b/net/ipam", "a/b/net/lock", NULL };
	     *p; p++)
		assert_true(tmpdir_exists(tmp, *p));
	state_close(&net);
	assert_int_equal(net.dir_fd, -1);
	/* Opening again finds the same directory. */
	assert_int_equal(state_open(nested, "net", false, &net, &err), 0);
	assert_true(net.dir_fd >= 0);
	state_close(&net);
}

static void test_open_refuses_a_blocked_path(void **state)
{
	const char *tmp = *state;
	char blocked[PATH_MAX];
	struct state_network net;
	struct jn_error err = { 0 };

	tmpdir_write(tmp, "file", "");
	snprintf(blocked, sizeof(blocked), "%s/file/state", tmp);
	assert_int_equal(state_open(blocked, "net", true, &net, &err), -1);
	assert_int_equal(err.code, JN_ERR_STATE);
	assert_non_null(strstr(err.msg, "file/state"));
	state_close(&net);
}

static void test_write_read_remove(void **state)
{
	const char *tmp = *state;
	char dir[PATH_MAX];
	struct state_network net;
	struct jn_error err = { 0 };
	struct attachment want, got;
	int code;

	open_net(tmp, &net);
	attachments_dir(tmp, dir, sizeof(dir));
	write_sample(&net, "c1");
	assert_true(tmpdir_exists(dir, "c1:eth0"));
	assert_true(tmpdir_exists(dir, ".c1:eth0.copy"));
	assert_false(tmpdir_exists(dir, ".c1:eth0.tmp"));
	assert_true(state_has_record(&net, "c1:eth0"));
	assert_false(state_has_record(&net, ".c1:eth0.copy"));
	assert_int_equal(read_back(&net, "c1", &got, &code), 1);
	assert_string_equal(got.container_id, "c1");
	assert_string_equal(got.host_veth, "jn0123456789ab");
	assert_string_equal(got.rule, "forced-bridge");
	assert_int_equal(got.addr_count, 1);
	assert_true(got.complete);
	sample(&want, "c1");
	assert_true(state_copy_agrees(&net, "c1:eth0", &want));
	want.complete = false;
	assert_false(state_copy_agrees(&net, "c1:eth0", &want));
	attachment_free(&want);
	attachment_free(&got);
	assert_int_equal(read_back(&net, "c2", &got, &code), 0);
	assert_int_equal(state_remove_attachment(&net, "c1", "eth0", &err), 0);
	assert_int_equal(read_back(&net, "c1", &got, &code), 0);
	assert_false(tmpdir_exists(dir, "c1:eth0"));
	assert_false(tmpdir_exists(dir, ".c1:eth0.copy"));
	assert_false(state_has_record(&net, "c1:eth0"));
	/* Removing what is gone is success. */
	assert_int_equal(state_remove_attachment(&net, "c1", "eth0", &err), 0);
	state_close(&net);
}

static void test_a_rewrite_replaces_the_record(void **state)
{
	struct state_network net;
	struct jn_error err = { 0 };
	struct attachment a;
	int code;

	open_net(*state, &net);
	sample(&a, "c1");
	a.complete = false;
	assert_int_equal(state_write_attachment(&net, &a, &err), 0);
	a.complete = true;
	strcpy(a.rule, "partial-instance");
	assert_int_equal(state_write_attachment(&net, &a, &err), 0);
	attachment_free(&a);
	assert_int_equal(read_back(&net, "c1", &a, &code), 1);
	assert_true(a.complete);
	assert_string_equal(a.rule, "partial-instance");
	assert_true(state_copy_agrees(&net, "c1:eth0", &a));
	attachment_free(&a);
	state_close(&net);
}

static const char *const damage[] = { "{\"containerID\": \"c1\", \"ifn", "\x01\x7f garbage \xff", "", "[]",
				      "{\"containerID\": \"bad id\"}" };

static void test_a_corrupt_record_is_109(void **state)
{
	const char *tmp = *state;
	char dir[PATH_MAX];
	struct state_network net;
	struct attachment a;
	int code;

	open_net(tmp, &net);
	attachments_dir(tmp, dir, sizeof(dir));
	for (size_t i = 0; i < JN_ARRAY_SIZE(damage); i++) {
		struct jn_error err = { 0 };
		bool found = true;
		write_sample(&net, "c1");
		tmpdir_write(dir, "c1:eth0", damage[i]);
		if (state_read_attachment(&net, "c1", "eth0", &a, &found, &err) == 0)
			fail_msg("damage %zu was read as a record", i);
		assert_int_equal(err.code, JN_ERR_STATE);
		assert_non_null(strstr(err.msg, "c1:eth0"));
		assert_non_null(strstr(err.msg, "corrupt"));
		assert_non_null(strstr(err.details, "jobnetctl repair"));
		attachment_free(&a);
		assert_true(state_has_record(&net, "c1:eth0"));
	}
	/* Not a regular file: a directory, and a symlink (never followed). */
	assert_int_equal(unlinkat(net.attachments_fd, "c1:eth0", 0), 0);
	assert_int_equal(mkdirat(net.attachments_fd, "c1:eth0", 0700), 0);
	assert_int_equal(read_back(&net, "c1", &a, &code), -1);
	assert_int_equal(code, JN_ERR_STATE);
	assert_int_equal(unlinkat(net.attachments_fd, "c1:eth0", AT_REMOVEDIR), 0);
	assert_int_equal(symlinkat(".c1:eth0.copy", net.attachments_fd, "c1:eth0"), 0);
	assert_int_equal(read_back(&net, "c1", &a, &code), -1);
	assert_int_equal(code, JN_ERR_STATE);
	attachment_free(&a);
	state_close(&net);
}

static void test_restore_from_the_copy(void **state)
{
	const char *tmp = *state;
	char dir[PATH_MAX];
	struct state_network net;
	struct jn_error err = { 0 };
	struct attachment a;
	int code;

	open_net(tmp, &net);
	attachments_dir(tmp, dir, sizeof(dir));
	write_sample(&net, "c1");
	tmpdir_write(dir, "c1:eth0", "{\"cut");
	assert_int_equal(read_back(&net, "c1", &a, &code), -1);
	assert_int_equal(state_read_attachment_copy(&net, "c1:eth0", &a, &err), 0);
	assert_string_equal(a.container_id, "c1");
	attachment_free(&a);
	assert_int_equal(state_restore_attachment(&net, "c1:eth0", &err), 0);
	assert_int_equal(read_back(&net, "c1", &a, &code), 1);
	assert_string_equal(a.host_veth, "jn0123456789ab");
	attachment_free(&a);
	/* A damaged copy cannot restore anything; the record stays as it is. */
	tmpdir_write(dir, ".c1:eth0.copy", "garbage");
	tmpdir_write(dir, "c1:eth0", "");
	assert_int_equal(state_restore_attachment(&net, "c1:eth0", &err), -1);
	assert_int_equal(err.code, JN_ERR_STATE);
	assert_true(tmpdir_exists(dir, "c1:eth0"));
	/* Nor can a missing one. */
	assert_int_equal(unlinkat(net.attachments_fd, ".c1:eth0.copy", 0), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(state_restore_attachment(&net, "c1:eth0", &err), -1);
	assert_int_equal(err.code, JN_ERR_STATE);
	assert_non_null(strstr(err.msg, "no copy"));
	state_close(&net);
}

static void test_sweep_removes_only_temporaries(void **state)
{
	const char *tmp = *state;
	char dir[PATH_MAX], netdir[PATH_MAX];
	struct state_network net;
	struct jn_error err = { 0 };

	open_net(tmp, &net);
	attachments_dir(tmp, dir, sizeof(dir));
	snprintf(netdir, sizeof(netdir), "%s/net", tmp);
	write_sample(&net, "c1");
	tmpdir_write(dir, ".ghost:eth0.tmp", "{\"half");
	tmpdir_write(dir, "..ghost:eth0.copy.tmp", "{\"half");
	tmpdir_write(dir, ".tmp", "too short to be a temporary");
	tmpdir_write(dir, "c2.tmp", "not hidden: not a temporary");
	tmpdir_write(netdir, ".network.json.tmp", "{\"half");
	assert_int_equal(state_sweep_temporaries(&net, &err), 0);
	assert_false(tmpdir_exists(dir, ".ghost:eth0.tmp"));
	assert_false(tmpdir_exists(dir, "..ghost:eth0.copy.tmp"));
	assert_false(tmpdir_exists(netdir, ".network.json.tmp"));
	assert_true(tmpdir_exists(dir, ".tmp"));
	assert_true(tmpdir_exists(dir, "c2.tmp"));
	assert_true(tmpdir_exists(dir, "c1:eth0"));
	assert_true(tmpdir_exists(dir, ".c1:eth0.copy"));
	state_close(&net);
}

struct keys {
	char seen[8][JN_ATTACHMENT_KEY_MAX];
	size_t count;
	size_t stop_after; /* 0: never */
};

static int collect(struct state_network *net, const char *key, void *ctx)
{
	struct keys *k = ctx;

	(void)net;
	assert_true(k->count < 8);
	strcpy(k->seen[k->count++], key);
	return k->stop_after != 0 && k->count == k->stop_after ? 42 : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_each_attachment_lists_records_only(void **state)
{
	const char *tmp = *state;
	char dir[PATH_MAX];
	struct state_network net;
	struct jn_error err = { 0 };
	struct keys k = { 0 };

	open_net(tmp, &net);
	attachments_dir(tmp, dir, sizeof(dir));
	assert_int_equal(state_each_attachment(&net, collect, &k, &err), 0);
	assert_int_equal(k.count, 0);
	for (const char *const *c = (const char *const[]){ "c3", "c1", "c2", NULL }; *c; c++)
		write_sample(&net, *c);
	tmpdir_write(dir, ".c4:eth0.tmp", "{");
	tmpdir_write(dir, "c5:eth0", "a damaged record is still a record");
	assert_int_equal(state_each_attachment(&net, collect, &k, &err), 0);
	qsort(k.seen, k.count, sizeof(k.seen[0]), by_name);
	assert_int_equal(k.count, 4);
	assert_string_equal(k.seen[0], "c1:eth0");
	assert_string_equal(k.seen[1], "c2:eth0");
	assert_string_equal(k.seen[2], "c3:eth0");
	assert_string_equal(k.seen[3], "c5:eth0");
	/* The callback's non-zero return ends the walk and is returned. */
	k = (struct keys){ .stop_after = 2 };
	assert_int_equal(state_each_attachment(&net, collect, &k, &err), 42);
	assert_int_equal(k.count, 2);
	state_close(&net);
}

static int collect_network(const char *network, void *ctx)
{
	return collect(NULL, network, ctx);
}

static void test_each_network_lists_network_directories(void **state)
{
	const char *tmp = *state;
	char missing[PATH_MAX], path[PATH_MAX];
	struct state_network net;
	struct jn_error err = { 0 };
	struct keys k = { 0 };

	snprintf(missing, sizeof(missing), "%s/none", tmp);
	assert_int_equal(state_each_network(missing, collect_network, &k, &err), 0);
	assert_int_equal(k.count, 0);
	for (const char *const *n = (const char *const[]){ "beta", "alpha", NULL }; *n; n++) {
		assert_int_equal(state_open(tmp, *n, true, &net, &err), 0);
		state_close(&net);
	}
	tmpdir_write(tmp, "afile", "");
	/* The node-wide policy directory is no network. */
	snprintf(path, sizeof(path), "%s/policy", tmp);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/bad name", tmp);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(state_each_network(tmp, collect_network, &k, &err), 0);
	qsort(k.seen, k.count, sizeof(k.seen[0]), by_name);
	assert_int_equal(k.count, 2);
	assert_string_equal(k.seen[0], "alpha");
	assert_string_equal(k.seen[1], "beta");
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void test_a_held_lock_times_out_with_11(void **state)
{
	struct state_network holder, waiter, reader;
	struct jn_error err = { 0 };
	struct timespec start;

	open_net(*state, &holder);
	open_net(*state, &waiter);
	open_net(*state, &reader);
	assert_int_equal(state_lock(&holder, &err), 0);
	waiter.lock_timeout = 1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(state_lock(&waiter, &err), -1);
	assert_true(seconds_since(&start) >= 0.9);
	assert_int_equal(err.code, JN_ERR_TRY_AGAIN);
	assert_non_null(strstr(err.msg, "lock"));
	assert_non_null(strstr(err.msg, "1 s"));
	reader.lock_timeout = 1;
	memset(&err, 0, sizeof(err));
	assert_int_equal(state_lock_shared(&reader, &err), -1);
	assert_int_equal(err.code, JN_ERR_TRY_AGAIN);
	/* Closing releases the lock; then both readers share it. */
	state_close(&holder);
	memset(&err, 0, sizeof(err));
	assert_int_equal(state_lock_shared(&reader, &err), 0);
	assert_int_equal(state_lock_shared(&waiter, &err), 0);
	state_close(&waiter);
	state_close(&reader);
}

static void test_the_node_lock(void **state)
{
	const char *tmp = *state;
	char dir[PATH_MAX];
	struct jn_error err = { 0 };
	int held = -1, other = -1;

	snprintf(dir, sizeof(dir), "%s/new", tmp);
	assert_int_equal(state_lock_node(dir, "policy.lock", 1, &held, &err), 0);
	assert_true(held >= 0);
	assert_true(tmpdir_exists(tmp, "new/policy.lock"));
	assert_int_equal(state_lock_node(dir, "policy.lock", 1, &other, &err), -1);
	assert_int_equal(err.code, JN_ERR_TRY_AGAIN);
	assert_int_equal(other, -1);
	close(held);
	memset(&err, 0, sizeof(err));
	assert_int_equal(state_lock_node(dir, "policy.lock", 1, &other, &err), 0);
	close(other);
}

#define TMP_TEST(fn) cmocka_unit_test_setup_teardown(fn, tmpdir_setup, tmpdir_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TMP_TEST(test_open_without_create_finds_nothing),
		TMP_TEST(test_open_creates_the_layout),
		TMP_TEST(test_open_refuses_a_blocked_path),
		TMP_TEST(test_write_read_remove),
		TMP_TEST(test_a_rewrite_replaces_the_record),
		TMP_TEST(test_a_corrupt_record_is_109),
		TMP_TEST(test_restore_from_the_copy),
		TMP_TEST(test_sweep_removes_only_temporaries),
		TMP_TEST(test_each_attachment_lists_records_only),
		TMP_TEST(test_each_network_lists_network_directories),
		TMP_TEST(test_a_held_lock_times_out_with_11),
		TMP_TEST(test_the_node_lock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
