#include <string.h>

#include "core/netconf.h"
#include "unit.h"

#define BASE "\"cniVersion\":\"1.1.0\",\"name\":\"n1\",\"type\":\"jobnet\""

static void test_defaults(void **state)
{
	struct netconf conf;
	struct jn_error err = { 0 };
	char buf[JN_ADDR_STRLEN];

	(void)state;
	assert_int_equal(netconf_parse("{" BASE ",\"subnet\":\"10.5.0.0/16\"}", &conf, &err), 0);
	assert_string_equal(conf.bridge, "jobnet0");
	assert_int_equal(conf.mtu, 1500);
	assert_true(conf.ip_masq);
	assert_true(conf.v4.enabled);
	assert_false(conf.v6.enabled);
	assert_string_equal(addr_format(&conf.v4.gateway, buf), "10.5.0.1");
	assert_string_equal(conf.state_dir, "/run/jobnet");
	assert_int_equal(conf.lock_timeout, 30);
	netconf_free(&conf);
}

static void test_dual_stack_and_options(void **state)
{
	struct netconf conf;
	struct jn_error err = { 0 };
	char buf[JN_ADDR_STRLEN];
	const char *text =
		"{" BASE ",\"subnet\":\"10.5.0.0/24\",\"gateway\":\"10.5.0.254\",\"subnet6\":\"fd00:5::/64\","
		"\"mtu\":9000,\"ipMasq\":false,\"bridge\":\"br-jobs\",\"dns\":{\"nameservers\":[\"10.5.0.1\"],"
		"\"search\":[\"svc\"]},\"logFile\":\"/tmp/x.log\",\"stateDir\":\"/tmp/s\",\"lockTimeout\":5,"
		"\"runtimeConfig\":{\"ips\":[\"10.5.0.9\"]},\"args\":{\"cni\":{\"ips\":[\"10.5.0.10\"]}}}";

	(void)state;
	assert_int_equal(netconf_parse(text, &conf, &err), 0);
	assert_string_equal(addr_format(&conf.v4.gateway, buf), "10.5.0.254");
	assert_string_equal(addr_format(&conf.v6.gateway, buf), "fd00:5::1");
	assert_int_equal(conf.mtu, 9000);
	assert_false(conf.ip_masq);
	assert_string_equal(conf.bridge, "br-jobs");
	assert_non_null(conf.dns);
	/* The ips capability wins over args.cni.ips. */
	assert_string_equal(addr_format(&conf.v4.requested, buf), "10.5.0.9");
	assert_true(conf.ips_in_config);
	netconf_free(&conf);
}

struct bad_case {
	const char *text;
	int code;
	const char *word; /* must appear in the message */
};

static const struct bad_case bad_cases[] = {
	{ "", JN_ERR_DECODE, "JSON" },
	{ "{", JN_ERR_DECODE, "JSON" },
	{ "[]", JN_ERR_DECODE, "object" },
	{ "{\"cniVersion\":\"1.1.0\",\"name\":\"a\",\"name\":\"b\",\"subnet\":\"10.0.0.0/24\"}", JN_ERR_DECODE,
	  "duplicate" },
	{ "{\"name\":\"n\",\"subnet\":\"10.0.0.0/24\"}", JN_ERR_INVALID_CONFIG, "cniVersion" },
	{ "{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"subnet\":\"10.0.0.0/24\"}", JN_ERR_INCOMPATIBLE_VERSION,
	  "0.2.0" },
	{ "{\"cniVersion\":1,\"name\":\"n\",\"subnet\":\"10.0.0.0/24\"}", JN_ERR_INVALID_CONFIG, "cniVersion" },
	{ "{\"cniVersion\":\"1.1.0\",\"subnet\":\"10.0.0.0/24\"}", JN_ERR_INVALID_CONFIG, "name" },
	{ "{\"cniVersion\":\"1.1.0\",\"name\":\"bad name\",\"subnet\":\"10.0.0.0/24\"}", JN_ERR_INVALID_CONFIG,
	  "bad name" },
	{ "{\"cniVersion\":\"1.1.0\",\"name\":\"-n\",\"subnet\":\"10.0.0.0/24\"}", JN_ERR_INVALID_CONFIG, "name" },
	{ "{\"cniVersion\":\"1.1.0\",\"name\":\"policy\",\"subnet\":\"10.0.0.0/24\"}", JN_ERR_INVALID_CONFIG,
	  "reserved" },
	{ "{" BASE "}", JN_ERR_INVALID_CONFIG, "subnet" },
	{ "{" BASE ",\"subnet\":\"10.0.0.1/24\"}", JN_ERR_INVALID_CONFIG, "host bits" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/31\"}", JN_ERR_INVALID_CONFIG, "prefix length" },
	{ "{" BASE ",\"subnet\":\"fd00::/64\"}", JN_ERR_INVALID_CONFIG, "IPv4" },
	{ "{" BASE ",\"subnet\":24}", JN_ERR_INVALID_CONFIG, "subnet" },
	{ "{" BASE ",\"subnet6\":\"fd00::/48\"}", JN_ERR_INVALID_CONFIG, "subnet6" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"gateway\":\"10.0.1.1\"}", JN_ERR_INVALID_CONFIG, "gateway" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"gateway\":\"10.0.0.255\"}", JN_ERR_INVALID_CONFIG, "10.0.0.255" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"gateway6\":\"fd00::1\"}", JN_ERR_INVALID_CONFIG, "gateway6" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"mtu\":\"1500\"}", JN_ERR_INVALID_CONFIG, "mtu" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"mtu\":67}", JN_ERR_INVALID_CONFIG, "mtu" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"subnet6\":\"fd00::/64\",\"mtu\":1000}", JN_ERR_INVALID_CONFIG,
	  "1280" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"ipMasq\":\"yes\"}", JN_ERR_INVALID_CONFIG, "ipMasq" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"bridge\":\"a-very-long-bridge-name\"}", JN_ERR_INVALID_CONFIG,
	  "bridge" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"bridge\":\"br;x\"}", JN_ERR_INVALID_CONFIG, "bridge" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"dns\":[]}", JN_ERR_INVALID_CONFIG, "dns" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"dns\":{\"nameservers\":[\"x\"]}}", JN_ERR_INVALID_CONFIG,
	  "nameservers" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"dns\":{\"color\":1}}", JN_ERR_UNSUPPORTED_FIELD, "dns.color" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"logFile\":\"relative\"}", JN_ERR_INVALID_CONFIG, "logFile" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"stateDir\":7}", JN_ERR_INVALID_CONFIG, "stateDir" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"lockTimeout\":0}", JN_ERR_INVALID_CONFIG, "lockTimeout" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"colour\":\"blue\"}", JN_ERR_UNSUPPORTED_FIELD, "colour" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"ipam\":{\"type\":\"host-local\"}}", JN_ERR_UNSUPPORTED_FIELD,
	  "ipam" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"runtimeConfig\":[]}", JN_ERR_INVALID_CONFIG, "runtimeConfig" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"runtimeConfig\":{\"ips\":[\"10.9.0.1\"]}}", JN_ERR_INVALID_CONFIG,
	  "outside" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"runtimeConfig\":{\"ips\":[\"10.0.0.5\",\"10.0.0.6\"]}}",
	  JN_ERR_INVALID_CONFIG, "more than one" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"runtimeConfig\":{\"ips\":\"10.0.0.5\"}}", JN_ERR_INVALID_CONFIG,
	  "ips" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"args\":{\"cni\":{\"ips\":[\"fd00::1\"]}}}", JN_ERR_INVALID_CONFIG,
	  "subnet6" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"prevResult\":[]}", JN_ERR_INVALID_CONFIG, "prevResult" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cni.dev/valid-attachments\":[{\"containerID\":1}]}",
	  JN_ERR_INVALID_CONFIG, "containerID" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"disableCheck\":\"no\"}", JN_ERR_INVALID_CONFIG, "disableCheck" },
	/* cluster */
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":[]}", JN_ERR_INVALID_CONFIG, "cluster" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{}}", JN_ERR_INVALID_CONFIG, "cluster" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"10.0.0.0/16\",\"nodes\":3}}",
	  JN_ERR_UNSUPPORTED_FIELD, "cluster.nodes" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"10.0.0.1/16\"}}", JN_ERR_INVALID_CONFIG,
	  "cluster.subnet" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"0.0.0.0/0\"}}", JN_ERR_INVALID_CONFIG,
	  "cluster.subnet" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"fd00::/48\"}}", JN_ERR_INVALID_CONFIG,
	  "IPv4" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"10.1.0.0/16\"}}", JN_ERR_INVALID_CONFIG,
	  "does not contain" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet6\":\"fd00::/48\"}}", JN_ERR_INVALID_CONFIG,
	  "no \"subnet6\"" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"10.0.0.0/16\",\"routes\":{}}}",
	  JN_ERR_INVALID_CONFIG, "cluster.routes" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"10.0.0.0/16\",\"routes\":[{\"dst\":"
	  "\"10.0.1.0/24\",\"via\":\"192.168.0.2\",\"dev\":\"eth0\"}]}}",
	  JN_ERR_UNSUPPORTED_FIELD, "cluster.routes[0].dev" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"10.0.0.0/16\",\"routes\":[{\"dst\":"
	  "\"10.1.1.0/24\",\"via\":\"192.168.0.2\"}]}}",
	  JN_ERR_INVALID_CONFIG, "not inside" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"10.0.0.0/16\",\"routes\":[{\"dst\":"
	  "\"10.0.0.0/23\",\"via\":\"192.168.0.2\"}]}}",
	  JN_ERR_INVALID_CONFIG, "this node's subnet" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"10.0.0.0/16\",\"routes\":[{\"dst\":"
	  "\"10.0.1.0/24\",\"via\":\"fd00::2\"}]}}",
	  JN_ERR_INVALID_CONFIG, "cluster.routes[0].via" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"10.0.0.0/16\",\"routes\":[{\"dst\":"
	  "\"10.0.1.0/24\"}]}}",
	  JN_ERR_INVALID_CONFIG, "cluster.routes[0].via" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"10.0.0.0/16\",\"routes\":[{\"dst\":"
	  "\"10.0.1.0/24\",\"via\":\"10.0.0.9\"}]}}",
	  JN_ERR_INVALID_CONFIG, "inside this node's subnet" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"10.0.0.0/16\",\"routes\":[{\"dst\":"
	  "\"10.0.1.0/24\",\"via\":\"127.0.0.1\"}]}}",
	  JN_ERR_INVALID_CONFIG, "not a gateway" },
	{ "{" BASE ",\"subnet6\":\"fd00:0:0:1::/64\",\"cluster\":{\"subnet6\":\"fd00::/48\",\"routes\":[{\"dst\":"
	  "\"fd00:0:0:2::/64\",\"via\":\"fe80::1\"}]}}",
	  JN_ERR_INVALID_CONFIG, "link-local" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"10.0.0.0/16\",\"routes\":[{\"dst\":"
	  "\"10.0.1.0/24\",\"via\":\"192.168.0.2\"},{\"dst\":\"10.0.0.0/20\",\"via\":\"192.168.0.3\"}]}}",
	  JN_ERR_INVALID_CONFIG, "overlaps route 0" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"cluster\":{\"subnet\":\"10.0.0.0/16\",\"routes\":[{\"dst\":"
	  "\"10.0.1.9/24\",\"via\":\"192.168.0.2\"}]}}",
	  JN_ERR_INVALID_CONFIG, "host bits" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"groupScope\":\"cluster\"}", JN_ERR_INVALID_CONFIG, "cluster" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"groupScope\":true}", JN_ERR_INVALID_CONFIG, "groupScope" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":1,"
	  "\"containerPort\":1,\"HostPort\":2}]}}",
	  JN_ERR_INVALID_CONFIG, "HostPort" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"runtimeConfig\":{\"portMappings\":[{\"HostPort\":\"1\","
	  "\"ContainerPort\":1}]}}",
	  JN_ERR_INVALID_CONFIG, "hostPort" },
	{ "{" BASE ",\"subnet\":\"10.0.0.0/24\",\"runtimeConfig\":{\"portMappings\":[{\"HostPort\":1,"
	  "\"ContainerPort\":1,\"Color\":1}]}}",
	  JN_ERR_UNSUPPORTED_FIELD, "Color" },
};

static void test_bad_configs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct netconf conf;
		struct jn_error err = { 0 };
		int rc = netconf_parse(bad_cases[i].text, &conf, &err);
		if (rc == 0 || err.code != bad_cases[i].code || strstr(err.msg, bad_cases[i].word) == NULL)
			fail_msg("case %zu (%s): rc %d code %d msg \"%s\", want code %d mentioning \"%s\"", i,
				 bad_cases[i].text, rc, err.code, err.msg, bad_cases[i].code, bad_cases[i].word);
	}
}

static void test_cluster(void **state)
{
	struct netconf conf;
	struct jn_error err = { 0 };
	char buf[ROUTE_TEXT_MAX];
	const char *text = "{" BASE ",\"subnet\":\"10.70.1.0/24\",\"subnet6\":\"fd70:0:0:1::/64\","
			   "\"cluster\":{\"subnet\":\"10.70.0.0/16\",\"subnet6\":\"fd70::/48\",\"routes\":["
			   "{\"dst\":\"10.70.2.0/24\",\"via\":\"192.168.77.2\"},"
			   "{\"dst\":\"fd70:0:0:2::/64\",\"via\":\"fd77::2\"}]}}";
	json_t *j;
	struct cluster_conf back;

	(void)state;
	assert_int_equal(netconf_parse(text, &conf, &err), 0);
	assert_int_equal(conf.cluster.subnet_count, 2);
	assert_int_equal(conf.cluster.route_count, 2);
	assert_string_equal(route_format(&conf.cluster.routes[0], buf), "10.70.2.0/24 via 192.168.77.2");
	assert_string_equal(route_format(&conf.cluster.routes[1], buf), "fd70:0:0:2::/64 via fd77::2");
	assert_string_equal(prefix_format(cluster_subnet(&conf.cluster, AF_INET6), buf), "fd70::/48");
	/* The record's form reads back the same. */
	j = cluster_to_json(&conf.cluster);
	assert_int_equal(cluster_from_json(j, &back, &err), 0);
	assert_true(cluster_same_subnets(&conf.cluster, &back));
	assert_int_equal(back.route_count, 2);
	assert_string_equal(route_format(&back.routes[1], buf), "fd70:0:0:2::/64 via fd77::2");
	json_decref(j);
	/* A record without the key has no cluster. */
	assert_int_equal(cluster_from_json(NULL, &back, &err), 0);
	assert_int_equal(back.subnet_count, 0);
	assert_false(cluster_same_subnets(&conf.cluster, &back));
	netconf_free(&conf);
	assert_int_equal(netconf_parse("{" BASE ",\"subnet\":\"10.70.1.0/24\"}", &conf, &err), 0);
	assert_int_equal(conf.cluster.subnet_count, 0);
	assert_null(cluster_to_json(&conf.cluster));
	netconf_free(&conf);
}

static void test_request_ip(void **state)
{
	struct netconf conf;
	struct jn_error err = { 0 };
	char buf[JN_ADDR_STRLEN];

	(void)state;
	assert_int_equal(netconf_parse("{" BASE ",\"subnet\":\"10.5.0.0/24\",\"subnet6\":\"fd00::/64\"}", &conf, &err),
			 0);
	assert_int_equal(netconf_request_ip(&conf, "10.5.0.7/24", &err), 0);
	assert_int_equal(netconf_request_ip(&conf, "fd00::7", &err), 0);
	assert_string_equal(addr_format(&conf.v4.requested, buf), "10.5.0.7");
	assert_string_equal(addr_format(&conf.v6.requested, buf), "fd00::7");
	assert_int_equal(netconf_request_ip(&conf, "10.5.0.8", &err), -1);
	assert_int_equal(err.code, JN_ERR_INVALID_CONFIG);
	jn_error_clear(&err);
	assert_int_equal(netconf_request_ip(&conf, "nonsense", &err), -1);
	assert_non_null(strstr(err.msg, "nonsense"));
	netconf_free(&conf);
}

static void test_peek_version(void **state)
{
	char v[JN_CNI_VERSION_MAX];

	(void)state;
	netconf_peek_version("{\"cniVersion\":\"0.4.0\"}", v);
	assert_string_equal(v, "0.4.0");
	netconf_peek_version("not json", v);
	assert_string_equal(v, "");
	netconf_peek_version("{\"cniVersion\":\"a-very-long-version-string\"}", v);
	assert_string_equal(v, "");
}

static void test_runtime_spellings(void **state)
{
	struct netconf conf;
	struct jn_error err = { 0 };
	char buf[JN_ADDR_STRLEN];
	const char *text =
		"{" BASE ",\"subnet\":\"10.5.0.0/24\",\"groupScope\":\"namespace\",\"runtimeConfig\":{"
		"\"portMappings\":[{\"HostPort\":8080,\"ContainerPort\":80,\"Protocol\":\"udp\","
		"\"HostIP\":\"127.0.0.1\"},{\"hostport\":0,\"containerPORT\":22,\"protocol\":null,"
		"\"hostIP\":null}],\"io.kubernetes.cri.pod-annotations\":null,\"jobnet\":null,\"ips\":null}}";

	(void)state;
	assert_int_equal(netconf_parse(text, &conf, &err), 0);
	assert_int_equal(conf.map_count, 2);
	assert_int_equal(conf.maps[0].host_port, 8080);
	assert_int_equal(conf.maps[0].container_port, 80);
	assert_int_equal(conf.maps[0].proto, 17);
	assert_string_equal(addr_format(&conf.maps[0].host_ip, buf), "127.0.0.1");
	assert_int_equal(conf.maps[1].proto, 6);
	assert_int_equal(conf.maps[1].host_ip.family, 0);
	assert_null(conf.annotations);
	assert_null(conf.facts_runtime);
	assert_int_equal(conf.group_scope, NETCONF_SCOPE_NAMESPACE);
	netconf_free(&conf);
	assert_int_equal(netconf_parse("{" BASE ",\"subnet\":\"10.5.0.0/24\",\"runtimeConfig\":null}", &conf, &err), 0);
	assert_int_equal(conf.group_scope, NETCONF_SCOPE_NONE);
	netconf_free(&conf);
}

/* A command that needs only some keys works whatever the others say. */
static void test_needed_keys(void **state)
{
	static const char *const needed[] = { "name", "stateDir", NULL };
	struct netconf conf;
	struct jn_error err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const char *text = bad_cases[i].text;
		struct jn_error strict = { 0 };
		int rc;
		/* Not JSON, a bad name or stateDir: still no configuration. */
		if (netconf_parse(text, &conf, &strict) == 0)
			fail_msg("case %zu (%s) parses", i, text);
		if (strict.code == JN_ERR_DECODE || strstr(strict.msg, "\"name\"") != NULL ||
		    strstr(strict.msg, "\"stateDir\"") != NULL)
			continue;
		rc = netconf_parse_needed(text, needed, &conf, &err);
		if (rc != 0)
			fail_msg("case %zu (%s): rc %d \"%s\", want success", i, text, rc, err.msg);
		netconf_free(&conf);
	}
	assert_int_equal(netconf_parse_needed("{\"cniVersion\":\"1.1.0\",\"mtu\":1}", needed, &conf, &err), -1);
	assert_non_null(strstr(err.msg, "name"));
	jn_error_clear(&err);
	assert_int_equal(netconf_parse_needed("{\"name\":\"n\",\"stateDir\":\"here\"}", needed, &conf, &err), -1);
	assert_non_null(strstr(err.msg, "stateDir"));
	jn_error_clear(&err);
	assert_int_equal(
		netconf_parse_needed("{\"name\":\"n\",\"stateDir\":\"/s\",\"lockTimeout\":0}", needed, &conf, &err), 0);
	assert_string_equal(conf.state_dir, "/s");
	assert_int_equal(conf.lock_timeout, 30);
	netconf_free(&conf);
}

static void test_peek_log_file(void **state)
{
	char path[64];

	(void)state;
	netconf_peek_log_file("{\"logFile\":\"/var/log/j.log\",\"mtu\":\"big\"}", path, sizeof(path));
	assert_string_equal(path, "/var/log/j.log");
	netconf_peek_log_file("{\"logFile\":\"relative.log\"}", path, sizeof(path));
	assert_string_equal(path, "");
	netconf_peek_log_file("{\"logFile\":7}", path, sizeof(path));
	assert_string_equal(path, "");
	netconf_peek_log_file("{not json", path, sizeof(path));
	assert_string_equal(path, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),	  cmocka_unit_test(test_dual_stack_and_options),
		cmocka_unit_test(test_bad_configs),	  cmocka_unit_test(test_request_ip),
		cmocka_unit_test(test_peek_version),	  cmocka_unit_test(test_cluster),
		cmocka_unit_test(test_runtime_spellings), cmocka_unit_test(test_needed_keys),
		cmocka_unit_test(test_peek_log_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
