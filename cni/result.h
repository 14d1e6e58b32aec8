/* The CNI result of ADD, written in the configuration's cniVersion, and the
 * error object. Only main() prints either.
 */
#ifndef JOBNET_RESULT_H
#define JOBNET_RESULT_H

#include <stdint.h>

#include <jansson.h>

#include "core/attachment.h"
#include "base/error.h"

struct result_link {
	const char *name;
	uint8_t mac[6];
};

struct result_input {
	const char *cni_version;
	const struct attachment *a;
	struct result_link bridge;
	struct result_link host_veth;
	unsigned mtu;
	json_t *dns; /* may be NULL */
};

/* The result key that lists the port mappings with the host ports chosen. */
#define JN_RESULT_PORTMAPS_KEY "portMappings"

/* A bridge attachment: bridge, host veth and the job's interface. */
json_t *result_bridge(const struct result_input *in);

/* A host-network attachment: no interface was made. */
json_t *result_empty(const char *cni_version, json_t *dns);

json_t *result_error(const char *cni_version, const struct jn_error *err);

/* Print compact JSON and a newline on stdout; error 5 when it fails. */
int result_print(json_t *result, struct jn_error *err);

#endif
