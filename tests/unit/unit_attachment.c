#include <string.h>

#include "core/attachment.h"
#include "unit.h"

static void sample(struct attachment *a)
{
	attachment_init(a);
	strcpy(a->container_id, "c1");
	strcpy(a->ifname, "eth0");
	strcpy(a->network, "net");
	strcpy(a->netns, "/run/netns/x");
	strcpy(a->mode, "bridge");
	strcpy(a->decision, "host");
	strcpy(a->rule, "host-when-possible");
	strcpy(a->facts.group, "run-7");
	a->facts.multinode = true;
	a->facts.blocks = 2;
	a->facts.total_blocks = 8;
	strcpy(a->bridge, "jobnet0");
	strcpy(a->host_veth, "jn0123456789ab");
	a->mac[0] = 0x02;
	a->complete = true;
	a->created = 1700000000;
	assert_true(prefix_parse("10.0.0.2/24", true, &a->addrs[0]));
	assert_true(addr_parse("10.0.0.1", &a->gateways[0]));
	assert_true(prefix_parse("fd00::2/64", true, &a->addrs[1]));
	assert_true(addr_parse("fd00::1", &a->gateways[1]));
	a->addr_count = 2;
	a->netns_id.dev = 4;
	a->netns_id.ino = 4026532000ULL;
	a->netns_id.cookie = 4097;
	a->map_count = 1;
	a->maps[0] = (struct portmap){ .proto = 6, .host_port = 2222, .container_port = 22, .relay_port = 40111 };
	assert_true(addr_parse("127.0.0.1", &a->maps[0].host_ip));
}

static void test_round_trip(void **state)
{
	struct attachment a, b;
	struct jn_error err = { 0 };
	json_t *j;

	(void)state;
	sample(&a);
	j = attachment_to_json(&a);
	assert_non_null(j);
	assert_int_equal(attachment_from_json(j, &b, &err), 0);
	assert_string_equal(b.container_id, "c1");
	assert_string_equal(b.host_veth, "jn0123456789ab");
	assert_int_equal(b.addr_count, 2);
	assert_true(addr_equal(&a.addrs[1].addr, &b.addrs[1].addr));
	assert_memory_equal(a.mac, b.mac, 6);
	assert_true(b.complete);
	assert_string_equal(b.decision, "host");
	assert_string_equal(b.rule, "host-when-possible");
	assert_string_equal(b.facts.group, "run-7");
	assert_true(b.facts.multinode);
	assert_int_equal(b.facts.blocks, 2);
	assert_int_equal(b.facts.total_blocks, 8);
	assert_non_null(attachment_addr(&b, AF_INET6));
	assert_int_equal(b.netns_id.dev, 4);
	assert_int_equal(b.netns_id.ino, 4026532000ULL);
	assert_int_equal(b.netns_id.cookie, 4097);
	assert_int_equal(b.maps[0].relay_port, 40111);
	/* A record written before the namespace's identity was kept: unknown. */
	json_object_del(j, "netnsDev");
	json_object_del(j, "netnsInode");
	json_object_del(j, "netnsCookie");
	json_object_del(json_array_get(json_object_get(j, "portMappings"), 0), "relayPort");
	attachment_free(&b);
	assert_int_equal(attachment_from_json(j, &b, &err), 0);
	assert_int_equal(b.netns_id.ino, 0);
	assert_int_equal(b.maps[0].relay_port, 0);
	json_decref(j);
	attachment_free(&b);
}

static void test_rejects_damaged_records(void **state)
{
	static const char *const damage[][2] = {
		{ "containerID", "\"bad id\"" },
		{ "ifname", "\"a/b\"" },
		{ "mode", "\"bridged\"" },
		{ "hostVeth", "\"x;y\"" },
		{ "mac", "\"zz\"" },
		{ "ips", "[1]" },
		{ "complete", "1" },
		{ "version", "2" },
		{ "extra", "[]" },
		{ "ips", "[{\"address\":\"10.0.0.2/24\",\"gateway\":\"fd00::1\"}]" },
		{ "decision", "\"maybe\"" },
		{ "facts", "{\"role\":\"boss\"}" },
		{ "facts", "null" },
		{ "netnsInode", "\"4026532000\"" },
		{ "netnsDev", "-1" },
		{ "netnsCookie", "null" },
		{ "portMappings", "[{\"hostPort\":2222,\"containerPort\":22,\"relayPort\":0}]" },
	};
	struct attachment a, b;

	(void)state;
	sample(&a);
	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
		struct jn_error err = { 0 };
		json_t *j = attachment_to_json(&a);
		json_t *v = json_loads(damage[i][1], JSON_DECODE_ANY, NULL);
		json_object_set_new(j, damage[i][0], v);
		if (attachment_from_json(j, &b, &err) == 0)
			fail_msg("a record with %s=%s was accepted", damage[i][0], damage[i][1]);
		assert_int_equal(err.code, JN_ERR_STATE);
		attachment_free(&b);
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rejects_damaged_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
