#include <netinet/in.h>
#include <string.h>

#include "base/publish.h"
#include "unit.h"

struct good_case {
	const char *text;
	uint8_t proto;
	uint16_t host_port, container_port;
	const char *host_ip; /* "" for every address */
};

static void test_accepts(void **state)
{
	static const struct good_case cases[] = {
		{ "8080:80", IPPROTO_TCP, 8080, 80, "" },
		{ "0:22", IPPROTO_TCP, 0, 22, "" },
		{ "127.0.0.1:0:22", IPPROTO_TCP, 0, 22, "127.0.0.1" },
		{ "127.0.0.1::22", IPPROTO_TCP, 0, 22, "127.0.0.1" },
		{ "10.0.0.5:5353:53/udp", IPPROTO_UDP, 5353, 53, "10.0.0.5" },
		{ "[::1]:2222:22", IPPROTO_TCP, 2222, 22, "::1" },
		{ "[fd00::5]:9000:9000/sctp", IPPROTO_SCTP, 9000, 9000, "fd00::5" },
		{ "65535:65535/TCP", IPPROTO_TCP, 65535, 65535, "" },
		{ ":80", IPPROTO_TCP, 0, 80, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct portmap m;
		struct jn_error err = { 0 };
		char ip[JN_ADDR_STRLEN] = "";
		if (publish_parse(cases[i].text, &m, &err) < 0)
			fail_msg("case \"%s\": %s", cases[i].text, err.msg);
		if (m.host_ip.family != 0)
			addr_format(&m.host_ip, ip);
		if (m.proto != cases[i].proto || m.host_port != cases[i].host_port ||
		    m.container_port != cases[i].container_port || strcmp(ip, cases[i].host_ip) != 0)
			fail_msg("case \"%s\": proto %u host %s:%u container %u", cases[i].text, m.proto, ip,
				 m.host_port, m.container_port);
	}
}

struct bad_case {
	const char *text;
	const char *word;
};

static void test_rejects(void **state)
{
	static const struct bad_case cases[] = {
		{ "", "no host port" },
		{ "80", "no host port" },
		{ "8080:0", "container port" },
		{ "8080:", "container port" },
		{ "8080:65536", "container port" },
		{ "70000:80", "host port" },
		{ "-1:80", "host port" },
		{ "+80:80", "host port" },
		{ " 80:80", "host port" },
		{ "8080:80/icmp", "protocol" },
		{ "8080:80/", "protocol" },
		{ "::1:80:80", "brackets" },
		{ "[::1]:80", "no host port after the host address" },
		{ "[::1:80:80", "no host port after the host address" },
		{ "[127.0.0.1]:80:80", "not an IPv6 address" },
		{ "[]:80:80", "bracket" },
		{ "[::1]x:80:80", "bracket" },
		{ ":8080:80", "empty" },
		{ "localhost:8080:80", "not an IP address" },
		{ "1.2.3.4:80:80:80", "not an IP address" },
		{ "1.2.3.4:999999:80", "host port" },
		{ "000000080:80", "host port" },
		{ "1.2.3.4:8080:80:extra-long-text-that-goes-on-and-on-and-on-beyond-what-any-mapping-needs-0",
		  "too long" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct portmap m;
		struct jn_error err = { 0 };
		int rc = publish_parse(cases[i].text, &m, &err);
		if (rc == 0 || err.code != JN_ERR_INVALID_CONFIG || strstr(err.msg, cases[i].word) == NULL ||
		    (strlen(cases[i].text) <= JN_PUBLISH_MAX && strstr(err.msg, cases[i].text) == NULL))
			fail_msg("case \"%s\": rc %d code %d msg \"%s\"", cases[i].text, rc, err.code, err.msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
