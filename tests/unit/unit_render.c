#include <string.h>

#include "netpolicy/render.h"
#include "netpolicy/templates.h"
#include "unit.h"

static const char routes[1][JN_ID_MAX + 1] = { "other" };

static void sample(struct netpolicy_job *job, struct netpolicy_network *net, struct jn_prefix *peer,
		   struct jn_prefix *protect, struct jn_service *service)
{
	memset(job, 0, sizeof(*job));
	job->container_id = "c1";
	job->ifname = "eth0";
	job->network = "net";
	job->host_veth = "jn0123456789ab";
	job->group = "g1";
	job->mac[0] = 0x02;
	job->mac[5] = 0x07;
	assert_true(prefix_parse("10.0.0.2/24", true, &job->addrs[0]));
	assert_true(prefix_parse("fd00::2/64", true, &job->addrs[1]));
	job->addr_count = 2;
	assert_true(prefix_parse("10.9.0.0/16", true, peer));
	job->peers = peer;
	job->peer_count = 1;
	memset(net, 0, sizeof(*net));
	net->name = "net";
	net->bridge = "jobnet0";
	assert_true(prefix_parse("10.0.0.0/24", true, &net->subnets[0]));
	net->subnet_count = 1;
	net->masquerade = true;
	assert_true(prefix_parse("169.254.169.254/32", true, protect));
	net->protect = protect;
	net->protect_count = 1;
	service->proto = 17;
	service->port = 53;
	net->services = service;
	net->service_count = 1;
}

static void expect_line(const char *text, const char *line)
{
	if (strstr(text, line) == NULL)
		fail_msg("missing: %s\nin:\n%s", line, text);
}

static void test_job_elements(void **state)
{
	struct netpolicy_job job;
	struct netpolicy_network net;
	struct jn_prefix peer, protect;
	struct jn_service service;
	struct strbuf sb = STRBUF_INIT;
	const char *t;

	(void)state;
	sample(&job, &net, &peer, &protect, &service);
	render_job(&sb, RENDER_ADD, &job);
	t = strbuf_text(&sb);
	expect_line(t, "add element inet jobnet job_addrs4 { 10.0.0.2 comment \"job c1 group g1 network net\" }\n");
	expect_line(t, "add element inet jobnet job_peers4 { 10.0.0.2 . 10.9.0.0/16 comment");
	expect_line(t, "add element bridge jobnet ports { \"jn0123456789ab\" comment");
	expect_line(t, "add element bridge jobnet port_mac { \"jn0123456789ab\" . 02:00:00:00:00:07 comment");
	expect_line(t, "add element bridge jobnet port_ip4 { \"jn0123456789ab\" . 10.0.0.2 comment");
	expect_line(t, "add element bridge jobnet port_ip6 { \"jn0123456789ab\" . fd00::2 comment");
	/* The link-local address of MAC 02:00:00:00:00:07 is fe80::ff:fe00:7. */
	expect_line(t, "add element bridge jobnet port_ip6 { \"jn0123456789ab\" . fe80::ff:fe00:7 comment");
	expect_line(t, "port_nd_target { \"jn0123456789ab\" . 0xfd000000000000000000000000000002 comment");
	expect_line(t, "port_lladdr { \"jn0123456789ab\" . 0x020000000007 comment");
	strbuf_reset(&sb);
	render_job(&sb, RENDER_DELETE, &job);
	expect_line(strbuf_text(&sb),
		    "add element inet jobnet job_addrs4 { 10.0.0.2 }\n"
		    "delete element inet jobnet job_addrs4 { 10.0.0.2 }\n");
	strbuf_reset(&sb);
	render_network(&sb, RENDER_ADD, &net);
	t = strbuf_text(&sb);
	expect_line(t, "add element inet jobnet masq_subnets4 { 10.0.0.0/24 comment \"network net\" }");
	expect_line(t, "add element inet jobnet protect4 { \"jobnet0\" . 169.254.169.254/32 comment");
	expect_line(t, "add element inet jobnet host_allow { \"jobnet0\" . udp . 53 comment");
	net.masquerade = false;
	strbuf_reset(&sb);
	render_network(&sb, RENDER_ADD, &net);
	assert_null(strstr(strbuf_text(&sb), "masq_subnets4"));
	strbuf_free(&sb);
}

static void test_rejects_unsafe_values(void **state)
{
	struct netpolicy_job job;
	struct netpolicy_network net;
	struct jn_prefix peer, protect;
	struct jn_service service;
	struct jn_error err = { 0 };

	(void)state;
	sample(&job, &net, &peer, &protect, &service);
	assert_int_equal(netpolicy_validate_job(&job, &err), 0);
	assert_int_equal(netpolicy_validate_network(&net, &err), 0);
	job.host_veth = "x\" } ; flush ruleset ; {";
	assert_int_equal(netpolicy_validate_job(&job, &err), -1);
	jn_error_clear(&err);
	job.host_veth = "jn0123456789ab";
	job.group = "g\"; flush ruleset";
	assert_int_equal(netpolicy_validate_job(&job, &err), -1);
	jn_error_clear(&err);
	job.group = "g1";
	job.routes = routes;
	job.route_count = 1;
	assert_int_equal(netpolicy_validate_job(&job, &err), 0);
	job.container_id = "c1\"; flush ruleset";
	assert_int_equal(netpolicy_validate_job(&job, &err), -1);
	jn_error_clear(&err);
	net.bridge = "br\"0";
	assert_int_equal(netpolicy_validate_network(&net, &err), -1);
}

static void test_pairs_with_other_nodes(void **state)
{
	struct netpolicy_job job;
	struct netpolicy_network net;
	struct jn_prefix peer, protect, cluster, peers[3], router;
	struct jn_service service;
	struct strbuf sb = STRBUF_INIT;
	const char *t;

	(void)state;
	sample(&job, &net, &peer, &protect, &service);
	assert_true(prefix_parse("10.0.0.0/16", true, &cluster));
	assert_true(prefix_parse("10.0.1.5/32", true, &peers[0]));
	assert_true(prefix_parse("10.9.0.0/16", true, &peers[1]));
	assert_true(prefix_parse("10.0.4.0/24", true, &peers[2]));
	assert_true(prefix_parse("10.0.3.11/32", true, &router));
	job.peers = peers;
	job.peer_count = 3;
	job.routers = &router;
	job.router_count = 1;
	job.cluster = &cluster;
	job.cluster_count = 1;
	net.cluster = &cluster;
	net.cluster_count = 1;
	render_network(&sb, RENDER_ADD, &net);
	expect_line(strbuf_text(&sb), "add element inet jobnet cluster4 { \"jobnet0\" . 10.0.0.0/16 comment");
	/* A worker: its peers inside the cluster are members on other nodes
	 * (one address in the exact set, a range in the interval one), the one
	 * outside may call it; routers may call it. */
	strbuf_reset(&sb);
	render_job(&sb, RENDER_ADD, &job);
	t = strbuf_text(&sb);
	expect_line(t, "add element inet jobnet job_peers4 { 10.0.0.2 . 10.0.1.5/32 comment");
	expect_line(t, "add element inet jobnet job_peers4 { 10.0.0.2 . 10.9.0.0/16 comment");
	expect_line(t, "add element inet jobnet job_mutual4 { 10.0.0.2 . 10.0.1.5 comment");
	expect_line(t, "add element inet jobnet job_mutual_ranges4 { 10.0.0.2 . 10.0.4.0/24 comment");
	expect_line(t, "add element inet jobnet job_inbound4 { 10.0.0.2 . 10.9.0.0/16 comment");
	expect_line(t, "add element inet jobnet job_inbound4 { 10.0.0.2 . 10.0.3.11/32 comment");
	assert_null(strstr(t, "job_mutual4 { 10.0.0.2 . 10.0.1.5/32"));
	assert_null(strstr(t, "job_mutual_ranges4 { 10.0.0.2 . 10.0.1.5"));
	assert_null(strstr(t, "job_mutual4 { 10.0.0.2 . 10.0.4.0"));
	assert_null(strstr(t, "job_mutual4 { 10.0.0.2 . 10.9.0.0/16"));
	assert_null(strstr(t, "job_mutual_ranges4 { 10.0.0.2 . 10.9.0.0/16"));
	assert_null(strstr(t, "job_inbound4 { 10.0.0.2 . 10.0.1.5/32"));
	assert_null(strstr(t, "job_peers4 { 10.0.0.2 . 10.0.3.11/32"));
	assert_null(strstr(t, "job_mutual6"));
	/* A router only opens connections to its peers. */
	job.router = true;
	strbuf_reset(&sb);
	render_job(&sb, RENDER_ADD, &job);
	t = strbuf_text(&sb);
	expect_line(t, "add element inet jobnet job_peers4 { 10.0.0.2 . 10.0.1.5/32 comment");
	assert_null(strstr(t, "job_mutual4 { 10.0.0.2 . 10.0.1.5"));
	assert_null(strstr(t, "job_mutual_ranges4"));
	assert_null(strstr(t, "job_inbound4 { 10.0.0.2 . 10.9.0.0/16"));
	/* Removal needs no cluster: a pair goes from every set it can be in. */
	job.router = false;
	job.cluster_count = 0;
	strbuf_reset(&sb);
	render_job(&sb, RENDER_DELETE, &job);
	t = strbuf_text(&sb);
	expect_line(t, "delete element inet jobnet job_mutual4 { 10.0.0.2 . 10.0.1.5 }");
	expect_line(t, "delete element inet jobnet job_inbound4 { 10.0.0.2 . 10.0.1.5/32 }");
	expect_line(t, "delete element inet jobnet job_mutual_ranges4 { 10.0.0.2 . 10.9.0.0/16 }");
	expect_line(t, "delete element inet jobnet job_mutual_ranges4 { 10.0.0.2 . 10.0.4.0/24 }");
	expect_line(t, "delete element inet jobnet job_inbound4 { 10.0.0.2 . 10.0.3.11/32 }");
	/* Only the pairs with other nodes, for jobnetctl peers. */
	job.cluster_count = 1;
	strbuf_reset(&sb);
	render_job_remote_to(&(struct render_sink){ .op = RENDER_ADD, .text = &sb }, &job);
	t = strbuf_text(&sb);
	expect_line(t, "add element inet jobnet job_mutual4 { 10.0.0.2 . 10.0.1.5 comment");
	assert_null(strstr(t, "job_addrs4"));
	assert_null(strstr(t, "port_ip4"));
	strbuf_free(&sb);
}

static void test_templates_carry_the_ruleset_id(void **state)
{
	(void)state;
	assert_non_null(strstr(netpolicy_template_inet, "comment \"" NETPOLICY_RULESET_ID "\""));
	assert_non_null(strstr(netpolicy_template_bridge, "comment \"" NETPOLICY_RULESET_ID "\""));
	assert_non_null(strstr(netpolicy_template_inet, "\ntable " NETPOLICY_TABLE_INET " {\n"));
	assert_non_null(strstr(netpolicy_template_bridge, "\ntable " NETPOLICY_TABLE_BRIDGE " {\n"));
	assert_null(strstr(netpolicy_template_inet, "flush"));
	assert_null(strstr(netpolicy_template_bridge, "flush"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_elements),
		cmocka_unit_test(test_rejects_unsafe_values),
		cmocka_unit_test(test_pairs_with_other_nodes),
		cmocka_unit_test(test_templates_carry_the_ruleset_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
