/* The network configuration a runtime passes on stdin, parsed and validated.
 * Every key is checked for type and value; an unknown key is error 2 and a
 * bad value error 7, each naming the key and the value.
 */
#ifndef JOBNET_NETCONF_H
#define JOBNET_NETCONF_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/addr.h"
#include "base/error.h"
#include "base/names.h"
#include "base/portmap.h"
#include "base/service.h"
#include "core/cluster.h"

#define JN_DEFAULT_BRIDGE "jobnet0"
#define JN_DEFAULT_MTU 1500
#define JN_DEFAULT_STATE_DIR "/run/jobnet"
#define JN_DEFAULT_LOCK_TIMEOUT 30
#define JN_CNI_VERSION_MAX 16
#define JN_PATH_MAX 1024 /* logFile and stateDir */

struct netconf_family {
	bool enabled;
	struct jn_prefix subnet; /* canonical network address */
	struct jn_addr gateway;
	struct jn_addr requested; /* from the ips capability or args; family 0 when none */
};

/* Whose groups the job's facts name (groupScope). */
enum netconf_group_scope {
	NETCONF_SCOPE_NONE, /* the names as the facts give them */
	NETCONF_SCOPE_NAMESPACE, /* prefixed with the pod's namespace, K8S_POD_NAMESPACE */
};

#define JN_MAX_PROTECT 64
#define JN_MAX_SERVICES 64

struct netconf {
	char cni_version[JN_CNI_VERSION_MAX];
	char name[JN_ID_MAX + 1];
	char bridge[JN_IFNAME_MAX + 1];
	struct netconf_family v4;
	struct netconf_family v6;
	unsigned mtu;
	bool ip_masq;
	unsigned lock_timeout; /* seconds */
	char *log_file; /* NULL when unset */
	char *state_dir;
	json_t *dns; /* borrowed from root; NULL when unset */
	json_t *prev_result; /* borrowed from root; NULL when unset */
	json_t *valid_attachments; /* borrowed; GC only; NULL when unset */
	int network_mode; /* level 1, 2 or 3 */
	enum netconf_group_scope group_scope;
	/* Destinations jobs may not reach: the metadata endpoints, then "protect". */
	size_t protect_count;
	struct jn_prefix protect[JN_MAX_PROTECT + 2];
	/* hostServices.allow */
	size_t service_count;
	struct jn_service services[JN_MAX_SERVICES];
	/* "cluster": subnet_count 0 when unset */
	struct cluster_conf cluster;
	/* The fact channels (borrowed; NULL when absent): runtimeConfig.jobnet,
	 * args.cni.jobnet and the pod annotations object. */
	/* The portMappings capability. */
	size_t map_count;
	struct portmap maps[JN_MAX_PORTMAPS];
	json_t *facts_runtime;
	json_t *facts_args;
	json_t *annotations;
	bool ips_in_config; /* requested addresses came from config, not CNI_ARGS */
	json_t *root; /* owned */
};

/* Parse only "cniVersion" out of raw stdin, for error objects and VERSION.
 * Writes "" when absent or unreadable. */
void netconf_peek_version(const char *text, char out[JN_CNI_VERSION_MAX]);

/* Parse only "logFile" out of raw stdin, so that every error of the run,
 * those of parsing included, reaches it. Writes "" when absent or not an
 * absolute path. */
void netconf_peek_log_file(const char *text, char *out, size_t size);

/* Parse and validate the whole configuration. On failure *conf is left
 * empty. */
int netconf_parse(const char *text, struct netconf *conf, struct jn_error *err);

/* The same for a command that needs only some keys (NULL-terminated; NULL
 * for all): a problem with any other key (a bad value, an unknown key, a
 * missing subnet) is logged as a warning and the key is not used. The text
 * must still be a JSON object. */
int netconf_parse_needed(const char *text, const char *const *needed, struct netconf *conf, struct jn_error *err);

/* Request a specific address (the CNI_ARGS "IP" key). Ignored when the
 * configuration already requested addresses through ips/args.cni.ips. */
int netconf_request_ip(struct netconf *conf, const char *value, struct jn_error *err);

void netconf_free(struct netconf *conf);

/* The family settings of conf for family AF_INET or AF_INET6. */
struct netconf_family *netconf_family(struct netconf *conf, int family);

#endif
