#include <string.h>

#include "core/cluster.h"
#include "core/facts.h"
#include "core/mode.h"
#include "unit.h"

static void test_decision_table(void **state)
{
	static const struct {
		int level;
		bool multinode, partial;
		enum jn_mode mode;
		const char *rule;
	} table[] = {
		{ 1, false, false, JN_MODE_BRIDGE, "single-node-bridge" },
		{ 1, true, false, JN_MODE_HOST, "multinode-host" },
		{ 1, true, true, JN_MODE_BRIDGE, "partial-instance" },
		{ 2, false, false, JN_MODE_HOST, "host-when-possible" },
		{ 2, true, true, JN_MODE_BRIDGE, "partial-instance" },
		{ 3, true, false, JN_MODE_BRIDGE, "forced-bridge" },
		{ 3, false, true, JN_MODE_BRIDGE, "partial-instance" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct jobfacts f;
		struct decision d;
		facts_init(&f);
		f.multinode = table[i].multinode;
		if (table[i].partial) {
			f.blocks = 1;
			f.total_blocks = 2;
		}
		mode_decide(table[i].level, &f, &d);
		assert_int_equal(d.mode, table[i].mode);
		assert_string_equal(d.rule, table[i].rule);
	}
}

static void test_whole_instance_written_out(void **state)
{
	struct jobfacts f;
	struct decision d;
	struct jn_error err = { 0 };

	(void)state;
	facts_init(&f);
	/* 8 of 8 blocks is the whole instance. */
	assert_int_equal(facts_set_text(&f, "blocks", "8", "test", &err), 0);
	assert_int_equal(facts_set_text(&f, "total-blocks", "8", "test", &err), 0);
	assert_false(facts_is_partial(&f));
	mode_decide(2, &f, &d);
	assert_int_equal(d.mode, JN_MODE_HOST);
}

static void test_levels(void **state)
{
	struct jn_error err = { 0 };
	int level;
	json_t *v;

	(void)state;
	v = json_string("forced_bridge");
	assert_int_equal(mode_parse_level(v, &level, &err), 0);
	assert_int_equal(level, 3);
	json_decref(v);
	v = json_integer(4);
	assert_int_equal(mode_parse_level(v, &level, &err), -1);
	assert_non_null(strstr(err.msg, "HOST_WHEN_POSSIBLE"));
	json_decref(v);
}

static void test_lists_and_json(void **state)
{
	struct jobfacts f, back;
	struct jn_error err = { 0 };
	json_t *j;

	(void)state;
	facts_init(&f);
	assert_int_equal(facts_set_text(&f, "role", "Router", "t", &err), 0);
	assert_int_equal(facts_set_text(&f, "routes", "a,,b,a", "t", &err), 0);
	assert_int_equal(f.route_count, 2);
	assert_int_equal(facts_set_text(&f, "peers", "10.1.0.0/16,fd00::1", "t", &err), 0);
	assert_int_equal(f.peer_count, 2);
	assert_int_equal(facts_set_text(&f, "group", "run.7", "t", &err), 0);
	j = facts_to_json(&f);
	assert_int_equal(facts_from_json(j, &back, &err), 0);
	assert_string_equal(back.group, "run.7");
	assert_int_equal(back.role, JN_ROLE_ROUTER);
	assert_int_equal(back.route_count, 2);
	assert_int_equal(back.peer_count, 2);
	json_decref(j);
	assert_int_equal(facts_set_text(&f, "peers", "10.1.0.1/16", "t", &err), -1);
	assert_int_equal(err.code, JN_ERR_INVALID_CONFIG);
	jn_error_clear(&err);
	assert_int_equal(facts_set_text(&f, "nonsense", "1", "t", &err), -1);
	assert_int_equal(err.code, JN_ERR_UNSUPPORTED_FIELD);
}

static void test_routers_and_overlaps(void **state)
{
	struct jobfacts f, back;
	struct jn_error err = { 0 };
	json_t *rc = json_pack("{s:[s,s]}", "routers", "10.70.3.11", "fd70:0:0:3::b");
	struct facts_sources src = { .runtime_config = rc };
	json_t *j;

	(void)state;
	assert_int_equal(facts_collect(&src, &f, &err), 0);
	assert_int_equal(f.router_count, 2);
	j = facts_to_json(&f);
	assert_int_equal(facts_from_json(j, &back, &err), 0);
	assert_int_equal(back.router_count, 2);
	json_decref(j);
	json_decref(rc);
	/* A record written before routers existed reads with none. */
	j = json_pack("{s:s, s:b, s:i, s:i, s:s, s:[], s:[s]}", "group", "A", "multinode", 1, "blocks", 0,
		      "totalBlocks", 0, "role", "worker", "routes", "peers", "10.70.2.11/32");
	assert_int_equal(facts_from_json(j, &back, &err), 0);
	assert_int_equal(back.router_count, 0);
	assert_int_equal(back.peer_count, 1);
	json_decref(j);
	/* The same entry twice counts once; overlapping ones are refused. */
	facts_init(&f);
	assert_int_equal(facts_set_text(&f, "peers", "10.70.2.11,10.70.2.11/32", "t", &err), 0);
	assert_int_equal(f.peer_count, 1);
	assert_int_equal(facts_validate(&f, &err), 0);
	assert_int_equal(facts_set_text(&f, "peers", "10.70.2.0/24,10.70.2.11", "t", &err), 0);
	assert_int_equal(facts_validate(&f, &err), -1);
	assert_non_null(strstr(err.msg, "overlap"));
	jn_error_clear(&err);
	assert_int_equal(facts_set_text(&f, "peers", "10.70.2.11", "t", &err), 0);
	assert_int_equal(facts_set_text(&f, "routers", "10.70.2.0/24", "t", &err), 0);
	assert_int_equal(facts_validate(&f, &err), -1);
	assert_non_null(strstr(err.msg, "router 10.70.2.0/24"));
	jn_error_clear(&err);
	assert_int_equal(facts_set_text(&f, "routers", "10.70.2.1/24", "CNI_ARGS", &err), -1);
	assert_non_null(strstr(err.msg, "routers"));
	assert_non_null(strstr(err.msg, "CNI_ARGS"));
}

static void test_facts_against_the_cluster(void **state)
{
	struct cluster_conf c = { .subnet_count = 1 };
	struct jn_prefix node[1];
	struct jobfacts f;
	struct jn_error err = { 0 };
	static const struct {
		const char *fact, *value, *word;
	} cases[] = {
		{ "peers", "10.70.2.11,10.80.0.0/16,fd00::1", NULL }, /* inside, outside, no IPv6 cluster */
		{ "peers", "10.0.0.0/8", "beyond" },
		{ "peers", "10.70.1.5", "this node's subnet" },
		{ "peers", "10.70.0.0/16", "this node's subnet" },
		{ "routers", "10.70.3.11,192.168.0.9", NULL },
		{ "routers", "10.70.1.0/28", "this node's subnet" },
		{ "routers", "10.0.0.0/8", "beyond" },
	};

	(void)state;
	assert_true(prefix_parse("10.70.0.0/16", true, &c.subnets[0]));
	assert_true(prefix_parse("10.70.1.0/24", true, &node[0]));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;
		facts_init(&f);
		jn_error_clear(&err);
		assert_int_equal(facts_set_text(&f, cases[i].fact, cases[i].value, "t", &err), 0);
		rc = cluster_check_facts(&c, node, 1, &f, &err);
		if (cases[i].word == NULL ? rc != 0 : rc == 0 || strstr(err.msg, cases[i].word) == NULL)
			fail_msg("case %zu (%s %s): rc %d \"%s\"", i, cases[i].fact, cases[i].value, rc, err.msg);
	}
	/* Without a cluster, a peer in the node's own subnet is refused too:
	 * it would name a job of this node that the group does not admit. */
	c.subnet_count = 0;
	facts_init(&f);
	jn_error_clear(&err);
	assert_int_equal(facts_set_text(&f, "peers", "10.70.1.5", "t", &err), 0);
	assert_int_equal(cluster_check_facts(&c, node, 1, &f, &err), -1);
	assert_non_null(strstr(err.msg, "this node's subnet"));
}

static void test_group_scope(void **state)
{
	struct jobfacts f, back;
	struct jn_error err = { 0 };
	char longest[JN_ID_MAX + 1];
	json_t *j;

	(void)state;
	facts_init(&f);
	assert_int_equal(facts_set_text(&f, "group", "run-42", "t", &err), 0);
	assert_int_equal(facts_set_text(&f, "role", "router", "t", &err), 0);
	assert_int_equal(facts_set_text(&f, "routes", "a,b", "t", &err), 0);
	assert_int_equal(facts_scope_groups(&f, "team-a", &err), 0);
	assert_string_equal(f.group, "team-a:run-42");
	assert_string_equal(f.routes[1], "team-a:b");
	/* A record keeps the scoped names; a channel may not give them. */
	j = facts_to_json(&f);
	assert_int_equal(facts_from_json(j, &back, &err), 0);
	assert_string_equal(back.group, "team-a:run-42");
	assert_string_equal(back.routes[0], "team-a:a");
	json_decref(j);
	assert_int_equal(facts_set_text(&f, "group", "team-a:run-42", "t", &err), -1);
	jn_error_clear(&err);
	assert_int_equal(facts_scope_groups(&f, "bad:scope", &err), -1);
	assert_int_equal(err.code, JN_ERR_INVALID_CONFIG);
	jn_error_clear(&err);
	facts_init(&f);
	memset(longest, 'a', JN_ID_MAX - 3);
	longest[JN_ID_MAX - 3] = '\0';
	assert_int_equal(facts_set_text(&f, "group", longest, "t", &err), 0);
	assert_int_equal(facts_scope_groups(&f, "ns", &err), 0);
	assert_int_equal(strlen(f.group), JN_ID_MAX);
	assert_int_equal(facts_scope_groups(&f, "ns", &err), -1);
	assert_int_equal(err.code, JN_ERR_INVALID_CONFIG);
}

/* The jobnet objects' keys in any case, as a Go runtime may send them. */
static void test_keys_in_any_case(void **state)
{
	struct facts_sources src = { 0 };
	struct jobfacts f;
	struct jn_error err = { 0 };
	json_t *rc = json_loads("{\"GROUP\":\"g\",\"TotalBlocks\":8,\"Blocks\":2}", 0, NULL);
	json_t *twice = json_loads("{\"group\":\"g\",\"Group\":\"h\"}", 0, NULL);

	(void)state;
	src.runtime_config = rc;
	assert_int_equal(facts_collect(&src, &f, &err), 0);
	assert_string_equal(f.group, "g");
	assert_int_equal(f.blocks, 2);
	assert_int_equal(f.total_blocks, 8);
	src.runtime_config = NULL;
	src.args = twice;
	assert_int_equal(facts_collect(&src, &f, &err), -1);
	assert_int_equal(err.code, JN_ERR_INVALID_CONFIG);
	json_decref(rc);
	json_decref(twice);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_whole_instance_written_out),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_lists_and_json),
		cmocka_unit_test(test_routers_and_overlaps),
		cmocka_unit_test(test_facts_against_the_cluster),
		cmocka_unit_test(test_group_scope),
		cmocka_unit_test(test_keys_in_any_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
