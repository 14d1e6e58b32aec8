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
	/* A loopback mapping: the port of host_ip the relay listens on, which
	 * the node's connections to host_port are redirected to; 0 before the
	 * relay is bound (and in records of relays that held host_port). */
	uint16_t relay_port;
};

/* runtimeConfig.portMappings: [{hostPort, containerPort, protocol, hostIP}],
 * the keys matched ignoring case (containerd's CRI plugin sends HostPort,
 * ContainerPort, Protocol, HostIP); null and [] are no mappings, a null
 * protocol or hostIP is as absent. An unknown key is error 2, a bad value
 * error 7, naming the entry and the field. */
int portmap_parse_list(const json_t *list, struct portmap *out, size_t *count, struct jn_error *err);

/* One entry as the capability spells it (the result's). */
json_t *portmap_to_json(const struct portmap *m);
json_t *portmap_list_to_json(const struct portmap *maps, size_t count);

/* The record's form: the capability's, with relayPort when there is one. */
json_t *portmap_list_to_record(const struct portmap *maps, size_t count);
int portmap_from_json(const json_t *j, struct portmap *out, struct jn_error *err);

bool portmap_is_loopback(const struct portmap *m);
bool portmap_is_any(const struct portmap *m);

/* "tcp/8080 on 127.0.0.1" for messages. */
void portmap_describe(const struct portmap *m, char *out, size_t size);

#endif
