/* A node service jobs may reach (hostServices.allow): "tcp/53". */
#ifndef JOBNET_SERVICE_H
#define JOBNET_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

struct jn_service {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	uint16_t port;
};

/* "tcp/PORT", "udp/PORT" or "sctp/PORT" with PORT 1-65535. */
bool service_parse(const char *text, struct jn_service *out);
const char *service_proto_name(uint8_t proto);

#endif
