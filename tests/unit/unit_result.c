#include <string.h>

#include "cni/result.h"
#include "unit.h"

static void input(struct result_input *in, struct attachment *a, const char *version)
{
	attachment_init(a);
	strcpy(a->ifname, "eth0");
	strcpy(a->netns, "/run/netns/j");
	assert_true(prefix_parse("10.0.0.2/24", true, &a->addrs[0]));
	assert_true(addr_parse("10.0.0.1", &a->gateways[0]));
	assert_true(prefix_parse("fd00::2/64", true, &a->addrs[1]));
	assert_true(addr_parse("fd00::1", &a->gateways[1]));
	a->addr_count = 2;
	memset(in, 0, sizeof(*in));
	in->cni_version = version;
	in->a = a;
	in->bridge.name = "jobnet0";
	in->host_veth.name = "jn0123456789ab";
	in->mtu = 1500;
}

static void test_versions(void **state)
{
	const char *versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		struct result_input in;
		struct attachment a;
		json_t *r, *ip0, *iface2;
		input(&in, &a, versions[i]);
		r = result_bridge(&in);
		assert_non_null(r);
		assert_string_equal(json_string_value(json_object_get(r, "cniVersion")), versions[i]);
		ip0 = json_array_get(json_object_get(r, "ips"), 0);
		iface2 = json_array_get(json_object_get(r, "interfaces"), 2);
		assert_int_equal(json_integer_value(json_object_get(ip0, "interface")), 2);
		assert_string_equal(json_string_value(json_object_get(iface2, "sandbox")), "/run/netns/j");
		/* ips[].version until 1.0.0; interfaces[].mtu from 1.1.0. */
		assert_int_equal(json_object_get(ip0, "version") != NULL, i < 3);
		assert_int_equal(json_object_get(iface2, "mtu") != NULL, i == 4);
		assert_string_equal(
			json_string_value(json_object_get(json_array_get(json_object_get(r, "routes"), 1), "dst")),
			"::/0");
		json_decref(r);
	}
}

static void test_error_object_is_printable(void **state)
{
	struct jn_error err = { 0 };
	json_t *j;

	(void)state;
	jn_error_set(&err, 4, "bad \xff\x01 value");
	j = result_error("", &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "msg")), "bad ?? value");
	assert_string_equal(json_string_value(json_object_get(j, "cniVersion")), "1.1.0");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_error_object_is_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
