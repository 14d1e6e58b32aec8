#include <arpa/inet.h>
#include <string.h>

#include "base/addr.h"
#include "unit.h"

static void test_parse_and_format(void **state)
{
	struct jn_prefix p;
	char buf[JN_ADDR_STRLEN];

	(void)state;
	assert_true(prefix_parse("10.1.2.0/24", true, &p));
	assert_int_equal(p.addr.family, AF_INET);
	assert_int_equal(p.len, 24);
	assert_string_equal(prefix_format(&p, buf), "10.1.2.0/24");
	assert_true(prefix_parse("fd00::1", false, &p));
	assert_int_equal(p.len, 128);
	assert_string_equal(addr_format(&p.addr, buf), "fd00::1");
}

static void test_rejects_bad_prefixes(void **state)
{
	const char *bad[] = {
		"",	    "/24",	  "10.0.0.0/",	   "10.0.0.0/33", "10.0.0.0/+8", "10.0.0.0/ 8", "10.0.0.0/0x8",
		"10.0.0/8", "fd00::/129", "10.0.0.0/24/1", "10.0.0.0/2a", "hello",	 "1.2.3.4 "
	};
	struct jn_prefix p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(prefix_parse(bad[i], true, &p));
	assert_false(prefix_parse("10.0.0.1", true, &p));
	assert_false(prefix_parse(NULL, false, &p));
}

static void test_network_and_contains(void **state)
{
	struct jn_prefix p, q;
	struct jn_addr a, last;
	char buf[JN_ADDR_STRLEN];

	(void)state;
	assert_true(prefix_parse("10.1.2.77/20", true, &p));
	assert_false(prefix_is_network(&p));
	prefix_network(&p, &a);
	assert_string_equal(addr_format(&a, buf), "10.1.0.0");
	prefix_last(&p, &last);
	assert_string_equal(addr_format(&last, buf), "10.1.15.255");
	assert_true(addr_parse("10.1.15.1", &a));
	assert_true(prefix_contains(&p, &a));
	assert_true(addr_parse("10.1.16.1", &a));
	assert_false(prefix_contains(&p, &a));
	assert_true(prefix_parse("10.1.8.0/21", true, &q));
	assert_true(prefix_overlaps(&p, &q));
	assert_true(addr_parse("fd00::1", &a));
	assert_false(prefix_contains(&p, &a));
}

static void test_add_and_offset(void **state)
{
	struct jn_prefix p;
	struct jn_addr a;
	char buf[JN_ADDR_STRLEN];

	(void)state;
	assert_true(prefix_parse("10.0.0.250/32", true, &p));
	a = p.addr;
	addr_add(&a, 10);
	assert_string_equal(addr_format(&a, buf), "10.0.1.4");
	assert_true(prefix_parse("fd00::/64", true, &p));
	a = p.addr;
	addr_add(&a, 0x1234);
	assert_string_equal(addr_format(&a, buf), "fd00::1234");
	assert_int_equal(prefix_offset(&p, &a), 0x1234);
	assert_true(prefix_size(&p) == UINT64_MAX);
	assert_true(prefix_parse("255.255.255.255/32", true, &p));
	a = p.addr;
	addr_add(&a, 1);
	assert_string_equal(addr_format(&a, buf), "0.0.0.0");
}

static void test_sockaddr(void **state)
{
	struct sockaddr_storage ss;
	struct jn_addr a;
	char buf[JN_ADDR_STRLEN];

	(void)state;
	assert_true(addr_parse("127.0.0.1", &a));
	assert_int_equal(addr_to_sockaddr(&a, 8080, &ss), sizeof(struct sockaddr_in));
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(sockaddr_port(&ss), 8080);
	inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1");
	sockaddr_set_port(&ss, 0);
	assert_int_equal(sockaddr_port(&ss), 0);
	assert_int_equal(addr_to_sockaddr(&(struct jn_addr){ .family = AF_INET6 }, 443, &ss),
			 sizeof(struct sockaddr_in6));
	assert_int_equal(sockaddr_port(&ss), 443);
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, sizeof(buf));
	assert_string_equal(buf, "::");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_format),
		cmocka_unit_test(test_rejects_bad_prefixes),
		cmocka_unit_test(test_network_and_contains),
		cmocka_unit_test(test_add_and_offset),
		cmocka_unit_test(test_sockaddr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
