#include <string.h>

#include "base/names.h"
#include "unit.h"

static void test_ids(void **state)
{
	char longest[JN_ID_MAX + 2];

	(void)state;
	assert_true(names_is_valid_id("a"));
	assert_true(names_is_valid_id("abc-DEF_1.2"));
	assert_false(names_is_valid_id(""));
	assert_false(names_is_valid_id("-abc"));
	assert_false(names_is_valid_id("_abc"));
	assert_false(names_is_valid_id("a b"));
	assert_false(names_is_valid_id("a/b"));
	assert_false(names_is_valid_id("a\"b"));
	assert_false(names_is_valid_id("a;b"));
	assert_false(names_is_valid_id(NULL));
	memset(longest, 'a', JN_ID_MAX);
	longest[JN_ID_MAX] = '\0';
	assert_true(names_is_valid_id(longest));
	longest[JN_ID_MAX] = 'a';
	longest[JN_ID_MAX + 1] = '\0';
	assert_false(names_is_valid_id(longest));
}

static void test_groups(void **state)
{
	char longest[JN_ID_MAX + 2];

	(void)state;
	assert_true(names_is_valid_group("run-42"));
	assert_true(names_is_valid_group("team-a:run-42"));
	assert_false(names_is_valid_group("team-a:"));
	assert_false(names_is_valid_group(":run-42"));
	assert_false(names_is_valid_group("a:b:c"));
	assert_false(names_is_valid_group("a b:c"));
	assert_false(names_is_valid_group("a:\"c"));
	assert_false(names_is_valid_group(NULL));
	memset(longest, 'a', JN_ID_MAX + 1);
	longest[3] = ':';
	longest[JN_ID_MAX] = '\0';
	assert_true(names_is_valid_group(longest));
	longest[JN_ID_MAX] = 'a';
	longest[JN_ID_MAX + 1] = '\0';
	assert_false(names_is_valid_group(longest));
}

static void test_ifnames(void **state)
{
	(void)state;
	assert_true(names_is_valid_ifname("eth0"));
	assert_true(names_is_valid_ifname("123456789012345"));
	assert_false(names_is_valid_ifname("1234567890123456"));
	assert_false(names_is_valid_ifname(""));
	assert_false(names_is_valid_ifname("."));
	assert_false(names_is_valid_ifname(".."));
	assert_false(names_is_valid_ifname("a/b"));
	assert_false(names_is_valid_ifname("a:b"));
	assert_false(names_is_valid_ifname("a b"));
	assert_false(names_is_valid_ifname("a\x1b[31m"));
	assert_false(names_is_valid_ifname("a\x7f"));
	assert_true(names_is_valid_ifname("caf\xc3\xa9")); /* the kernel takes any other byte */
	assert_false(names_is_valid_ifname("a\tb"));
	assert_true(names_is_valid_ifname("a\"b"));
	assert_false(names_is_plain_ifname("a\"b"));
	assert_true(names_is_plain_ifname("jobnet0"));
}

static void test_derived_names(void **state)
{
	char a[JN_IFNAME_MAX + 1], b[JN_IFNAME_MAX + 1], mac_text[18];
	uint8_t mac[6];

	(void)state;
	names_host_veth("net", "c1", "eth0", a);
	names_host_veth("net", "c1", "eth0", b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 14);
	assert_true(names_is_plain_ifname(a));
	names_host_veth("net", "c1", "eth1", b);
	assert_string_not_equal(a, b);
	/* The separator keeps ("ab","c") and ("a","bc") apart. */
	names_host_veth("net", "ab", "c", a);
	names_host_veth("net", "a", "bc", b);
	assert_string_not_equal(a, b);
	names_container_mac("net", "c1", "eth0", mac);
	assert_int_equal(mac[0] & 0x03, 0x02);
	names_format_mac(mac, mac_text);
	uint8_t back[6];
	assert_true(names_parse_mac(mac_text, back));
	assert_memory_equal(mac, back, 6);
	assert_false(names_parse_mac("00:11:22:33:44", back));
	assert_false(names_parse_mac("00:11:22:33:44:zz", back));
	assert_false(names_parse_mac("00-11-22-33-44-55", back));
}

/* DEL and GC find what ADD made by these names alone, so they never change;
 * jobnetctl tells jobnet's veths by their form. */
static void test_derived_names_are_stable(void **state)
{
	char veth[JN_IFNAME_MAX + 1], text[18];
	uint8_t mac[6];

	(void)state;
	names_host_veth("net", "c1", "eth0", veth);
	assert_string_equal(veth, "jn33b17bf5d534");
	assert_true(names_is_host_veth(veth));
	names_bridge_mac("jobnet0", mac);
	names_format_mac(mac, text);
	assert_string_equal(text, "d6:8a:cc:23:a5:3a");
	assert_false(names_is_host_veth("jn33b17bf5d53"));
	assert_false(names_is_host_veth("jn33b17bf5d5345"));
	assert_false(names_is_host_veth("jn33B17bf5d534"));
	assert_false(names_is_host_veth("jx33b17bf5d534"));
	assert_false(names_is_host_veth("jn33b17bf5d53g"));
	assert_false(names_is_host_veth("eth0"));
	assert_false(names_is_host_veth(""));
	assert_false(names_is_host_veth(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_ifnames),
		cmocka_unit_test(test_derived_names),
		cmocka_unit_test(test_derived_names_are_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
