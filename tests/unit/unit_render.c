#include <string.h>

#include "../../netpolicy/render.h"
#include "unit.h"

static void sample(struct netpolicy_job *job, struct netpolicy_network *net)
{
	memset(job, 0, sizeof(*job));
	job->container_id = "c1";
	job->ifname = "eth0";
	job->network = "net";
	job->host_veth = "jn0123456789ab";
	assert_true(prefix_parse("10.0.0.2/24", true, &job->addrs[0]));
	job->addr_count = 1;
	memset(net, 0, sizeof(*net));
	net->name = "net";
	net->bridge = "jobnet0";
	assert_true(prefix_parse("10.0.0.0/24", true, &net->subnets[0]));
	net->subnet_count = 1;
	net->masquerade = true;
}

static void test_job_elements(void **state)
{
	struct netpolicy_job job;
	struct netpolicy_network net;
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	sample(&job, &net);
	render_job(&sb, RENDER_ADD, &job);
	assert_string_equal(strbuf_text(&sb),
			    "add element inet jobnet job_ports { \"jn0123456789ab\" comment \"job c1 network net\" }\n"
			    "add element inet jobnet job_addrs4 { 10.0.0.2 comment \"job c1 network net\" }\n");
	strbuf_reset(&sb);
	render_job(&sb, RENDER_DELETE, &job);
	assert_non_null(strstr(strbuf_text(&sb),
			       "add element inet jobnet job_addrs4 { 10.0.0.2 }\n"
			       "delete element inet jobnet job_addrs4 { 10.0.0.2 }\n"));
	strbuf_reset(&sb);
	render_network(&sb, RENDER_ADD, &net);
	assert_non_null(strstr(strbuf_text(&sb), "add element inet jobnet masq_subnets4 { 10.0.0.0/24"));
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
	struct jn_error err = { 0 };

	(void)state;
	sample(&job, &net);
	assert_int_equal(render_validate_job(&job, &err), 0);
	job.host_veth = "x\" } ; flush ruleset ; {";
	assert_int_equal(render_validate_job(&job, &err), -1);
	jn_error_clear(&err);
	job.host_veth = "jn0123456789ab";
	job.container_id = "c1\"; flush ruleset";
	assert_int_equal(render_validate_job(&job, &err), -1);
	jn_error_clear(&err);
	net.bridge = "br\"0";
	assert_int_equal(render_validate_network(&net, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_elements),
		cmocka_unit_test(test_rejects_unsafe_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
