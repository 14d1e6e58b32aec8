#include "base/service.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

bool service_parse(const char *text, struct jn_service *out)
{
	static const struct {
		const char *prefix;
		uint8_t proto;
	} protos[] = { { "tcp/", IPPROTO_TCP }, { "udp/", IPPROTO_UDP }, { "sctp/", IPPROTO_SCTP } };
	char *end = NULL;
	long port;

	for (size_t i = 0; text != NULL && i < sizeof(protos) / sizeof(protos[0]); i++) {
		size_t n = strlen(protos[i].prefix);
		if (strncmp(text, protos[i].prefix, n) != 0 || text[n] < '1' || text[n] > '9' || strlen(text + n) > 5)
			continue;
		port = strtol(text + n, &end, 10);
		if (*end != '\0' || port < 1 || port > 65535)
			return false;
		out->proto = protos[i].proto;
		out->port = (uint16_t)port;
		return true;
	}
	return false;
}

const char *service_proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "sctp";
}
