/* jobnetctl attach's --publish: an accepted mapping, written back in the
 * canonical form, parses to the same mapping. */
#include <stdio.h>

#include "base/publish.h"
#include "base/service.h"
#include "fuzz.h"

static void canonical(const struct portmap *m, char *out, size_t size)
{
	char ip[JN_ADDR_STRLEN] = "";
	const char *open = "", *close = "", *colon = "";

	if (m->host_ip.family != 0) {
		addr_format(&m->host_ip, ip);
		open = m->host_ip.family == AF_INET6 ? "[" : "";
		close = m->host_ip.family == AF_INET6 ? "]" : "";
		colon = ":";
	}
	snprintf(out, size, "%s%s%s%s%u:%u/%s", open, ip, close, colon, m->host_port, m->container_port,
		 service_proto_name(m->proto));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct portmap m, again;
	struct jn_error err = { 0 };
	char back[JN_PUBLISH_MAX + 1];

	if (text == NULL)
		return 0;
	if (publish_parse(text, &m, &err) == 0) {
		FUZZ_ASSERT(m.container_port >= 1);
		FUZZ_ASSERT(m.host_ip.family == 0 || m.host_ip.family == AF_INET || m.host_ip.family == AF_INET6);
		canonical(&m, back, sizeof(back));
		FUZZ_ASSERT(publish_parse(back, &again, &err) == 0);
		FUZZ_ASSERT(memcmp(&m, &again, sizeof(m)) == 0);
	} else {
		FUZZ_ASSERT(err.code == JN_ERR_INVALID_CONFIG && err.msg[0] != '\0');
	}
	free(text);
	return 0;
}
