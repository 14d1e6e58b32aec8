/* Port mappings (the CNI "portMappings" capability): a host port that
 * reaches a port of the job. */
#ifndef JOBNET_PORTMAP_H
#define JOBNET_PORTMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/addr.h"
#include "base/error.h"

#define JN_MAX_PORTMAPS 64

struct portmap {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	uint16_t host_port; /* 0 in the request: pick one from the ephemeral range */
	uint16_t container_port;
	struct jn_addr host_ip; /* family 0: every address of the node */
};

/* runtimeConfig.portMappings: [{hostPort, containerPort, protocol, hostIP}].
 * Error 7 names the entry and the field. */
int portmap_parse_list(const json_t *list, struct portmap *out, size_t *count, struct jn_error *err);

/* One entry as the capability spells it (also the result's and the record's). */
json_t *portmap_to_json(const struct portmap *m);
int portmap_from_json(const json_t *j, struct portmap *out, struct jn_error *err);
json_t *portmap_list_to_json(const struct portmap *maps, size_t count);

bool portmap_is_loopback(const struct portmap *m);
bool portmap_is_any(const struct portmap *m);

/* "tcp/8080 on 127.0.0.1" for messages. */
void portmap_describe(const struct portmap *m, char *out, size_t size);

#endif
