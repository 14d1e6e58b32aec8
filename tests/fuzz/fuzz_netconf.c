/* The configuration parser: any bytes on stdin. A configuration it accepts
 * must be self-consistent. */
#include "core/netconf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct netconf conf;
	struct jn_error err = { 0 };

	if (text == NULL)
		return 0;
	if (netconf_parse(text, &conf, &err) == 0) {
		FUZZ_ASSERT(conf.v4.enabled || conf.v6.enabled);
		FUZZ_ASSERT(names_is_valid_id(conf.name));
		FUZZ_ASSERT(names_is_plain_ifname(conf.bridge));
		FUZZ_ASSERT(!conf.v4.enabled || prefix_contains(&conf.v4.subnet, &conf.v4.gateway));
		FUZZ_ASSERT(!conf.v6.enabled || prefix_contains(&conf.v6.subnet, &conf.v6.gateway));
		FUZZ_ASSERT(conf.mtu >= 68 && conf.mtu <= 65535);
		netconf_request_ip(&conf, "10.0.0.1", &err);
		netconf_free(&conf);
	} else {
		FUZZ_ASSERT(err.code != 0 && err.msg[0] != '\0');
	}
	free(text);
	return 0;
}
