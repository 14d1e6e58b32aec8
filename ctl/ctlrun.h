/* What jobnetctl attach and detach share: the invocation (container,
 * interface, namespace, where the configuration, the plugin and the cache
 * are), the network found, the configuration a runtime would send, and
 * running the plugin with its failure passed through. */
#ifndef JOBNET_CTLRUN_H
#define JOBNET_CTLRUN_H

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>

#include <jansson.h>

#include "base/error.h"
#include "core/netconf.h"
#include "ctl/ctl.h"
#include "ctl/ctlcache.h"
#include "ctl/ctlplugin.h"

#define CTLRUN_USAGE                                                                   \
	"[--config PATH | --conf-dir DIR] [--cni-bin-dir DIR[:DIR] | --plugin PATH]\n" \
	"    [--cache-dir DIR] [--json]"

/* Option characters 0x100 and up: the facts use letters. */
enum {
	CTLRUN_OPT_NETNS = 0x100,
	CTLRUN_OPT_PID,
	CTLRUN_OPT_IFNAME,
	CTLRUN_OPT_CONFIG,
	CTLRUN_OPT_CONF_DIR,
	CTLRUN_OPT_BIN_DIR,
	CTLRUN_OPT_PLUGIN,
	CTLRUN_OPT_CACHE_DIR,
};

/* The options attach and detach share (CTLRUN_OPT_*), ending in a zero
 * entry. */
extern const struct option ctlrun_options[];

/* Room for every option of one command, its terminator included. */
#define CTLRUN_MAX_OPTIONS 32

/* Append the entries of more (up to its zero entry) to the table out of
 * used entries, keeping it terminated; returns the new count. */
size_t ctlrun_add_options(struct option out[CTLRUN_MAX_OPTIONS], size_t used, const struct option *more);

struct ctlrun_args {
	const char *container_id;
	const char *ifname;
	const char *netns; /* NULL when neither --netns nor --pid */
	char pid_netns[32]; /* /proc/<pid>/ns/net */
	const char *config;
	const char *conf_dir;
	const char *bin_dir;
	const char *plugin;
	const char *cache_dir;
	bool json;
};

/* Defaults, with the global options (--json, --conf-dir) applied. */
void ctlrun_args_init(struct ctlrun_args *a, const struct ctl_options *opts);

/* Apply one of ctlrun_options: 1 when c is not one of them, 0 when
 * applied, -1 with err for a bad value. */
int ctlrun_option(struct ctlrun_args *a, int c, const char *arg, struct jn_error *err);

/* *slot = arg, unless arg is empty ("invalid --<name>"). */
int ctlrun_set_nonempty(const char **slot, const char *name, const char *arg, struct jn_error *err);

/* The one positional argument (the container ID) and the checks across
 * options; need_netns for attach. */
int ctlrun_finish(struct ctlrun_args *a, int argc, char **argv, bool need_netns, struct jn_error *err);

struct ctlrun_net {
	struct netconf conf;
	char used[PATH_MAX]; /* the configuration file */
	char plugin[PATH_MAX];
	char cni_path[PATH_MAX];
	bool cap_portmaps, cap_jobnet;
};

/* Find the network's configuration and the plugin that serves it. */
int ctlrun_load(const struct ctlrun_args *a, struct ctlrun_net *net, struct jn_error *err);
void ctlrun_net_free(struct ctlrun_net *net);

/* The configuration a runtime would send: the plugin's entry, with
 * runtimeConfig (when not NULL and not empty), the facts as
 * args.cni.jobnet (when not NULL) and prevResult (when not NULL). */
json_t *ctlrun_config(const struct ctlrun_net *net, const json_t *runtime_config, const json_t *args_facts,
		      const json_t *prev_result);

struct ctlcache_key ctlrun_cache_key(const struct ctlrun_args *a, const struct ctlrun_net *net);

/* Run command (ADD or DEL) with config. */
int ctlrun_call(const struct ctlrun_args *a, const struct ctlrun_net *net, const char *command, const json_t *config,
		struct ctlplugin_reply *reply, struct jn_error *err);

/* "jobnetctl: <message>: <details>[<then>]" on stderr. */
void ctlrun_error(const struct jn_error *err);
void ctlrun_error_then(const struct jn_error *err, const char *then);

/* Print the plugin's output (a JSON object) as it wrote it, one line; as
 * JSON with \u escapes when it holds bytes the output filter would spell
 * \xNN, which no JSON reader would take. */
void ctlrun_print_reply(const struct ctlplugin_reply *reply);

/* The plugin failed: its error object on stdout (with --json), its message
 * on stderr. Returns the exit code: the plugin's own status. */
int ctlrun_report_failure(const struct ctlrun_args *a, const struct ctlrun_net *net, const char *command,
			  const struct ctlplugin_reply *reply);

#endif
