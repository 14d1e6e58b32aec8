#include "ctl/ctlrun.h"

#include <ctype.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/names.h"
#include "ctl/ctl.h"
#include "ctl/ctlconf.h"
#include "ctl/ctlout.h"

const struct option ctlrun_options[] = {
	{ "netns", required_argument, NULL, CTLRUN_OPT_NETNS },
	{ "pid", required_argument, NULL, CTLRUN_OPT_PID },
	{ "ifname", required_argument, NULL, CTLRUN_OPT_IFNAME },
	{ "config", required_argument, NULL, CTLRUN_OPT_CONFIG },
	{ "conf-dir", required_argument, NULL, CTLRUN_OPT_CONF_DIR },
	{ "cni-bin-dir", required_argument, NULL, CTLRUN_OPT_BIN_DIR },
	{ "plugin", required_argument, NULL, CTLRUN_OPT_PLUGIN },
	{ "cache-dir", required_argument, NULL, CTLRUN_OPT_CACHE_DIR },
	{ NULL, 0, NULL, 0 },
};

size_t ctlrun_add_options(struct option out[CTLRUN_MAX_OPTIONS], size_t used, const struct option *more)
{
	for (; more->name != NULL && used + 1 < CTLRUN_MAX_OPTIONS; more++)
		out[used++] = *more;
	memset(&out[used], 0, sizeof(out[used]));
	return used;
}

void ctlrun_args_init(struct ctlrun_args *a, const struct ctl_options *opts)
{
	memset(a, 0, sizeof(*a));
	a->ifname = "eth0";
	a->cache_dir = CTL_DEFAULT_CACHE_DIR;
	a->conf_dir = opts->conf_dir;
	a->json = opts->json;
}

static int set_pid(struct ctlrun_args *a, const char *arg, struct jn_error *err)
{
	size_t len = strlen(arg);

	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)arg[i]))
			len = 0;
	if (len == 0 || len > 10 || arg[0] == '0')
		return jn_error_set(err, JN_ERR_INVALID_ENV, "invalid --pid \"%.32s\": not a process ID", arg);
	snprintf(a->pid_netns, sizeof(a->pid_netns), "/proc/%s/ns/net", arg);
	a->netns = a->pid_netns;
	return 0;
}

int ctlrun_set_nonempty(const char **slot, const char *name, const char *arg, struct jn_error *err)
{
	if (arg[0] == '\0')
		return jn_error_set(err, JN_ERR_INVALID_ENV, "invalid --%s \"\": empty", name);
	*slot = arg;
	return 0;
}

int ctlrun_option(struct ctlrun_args *a, int c, const char *arg, struct jn_error *err)
{
	switch (c) {
	case CTLRUN_OPT_NETNS:
		if (a->netns != NULL)
			return jn_error_set(err, JN_ERR_INVALID_ENV, "--netns and --pid name the namespace: give one");
		if (arg[0] != '/')
			return jn_error_set(err, JN_ERR_INVALID_ENV, "invalid --netns \"%.64s\": not an absolute path",
					    arg);
		a->netns = arg;
		return 0;
	case CTLRUN_OPT_PID:
		if (a->netns != NULL)
			return jn_error_set(err, JN_ERR_INVALID_ENV, "--netns and --pid name the namespace: give one");
		return set_pid(a, arg, err);
	case CTLRUN_OPT_IFNAME:
		if (!names_is_valid_ifname(arg))
			return jn_error_set(err, JN_ERR_INVALID_ENV,
					    "invalid --ifname \"%.32s\": not an interface name", arg);
		a->ifname = arg;
		return 0;
	case CTLRUN_OPT_CONFIG:
		return ctlrun_set_nonempty(&a->config, "config", arg, err);
	case CTLRUN_OPT_CONF_DIR:
		return ctlrun_set_nonempty(&a->conf_dir, "conf-dir", arg, err);
	case CTLRUN_OPT_BIN_DIR:
		return ctlrun_set_nonempty(&a->bin_dir, "cni-bin-dir", arg, err);
	case CTLRUN_OPT_PLUGIN:
		return ctlrun_set_nonempty(&a->plugin, "plugin", arg, err);
	case CTLRUN_OPT_CACHE_DIR:
		return ctlrun_set_nonempty(&a->cache_dir, "cache-dir", arg, err);
	default:
		return 1;
	}
}

int ctlrun_finish(struct ctlrun_args *a, int argc, char **argv, bool need_netns, struct jn_error *err)
{
	if (optind >= argc)
		return jn_error_set(err, JN_ERR_INVALID_ENV, "missing the container ID");
	if (optind + 1 < argc)
		return jn_error_set(err, JN_ERR_INVALID_ENV, "unexpected argument \"%.64s\"", argv[optind + 1]);
	a->container_id = argv[optind];
	if (!names_is_valid_id(a->container_id))
		return jn_error_set(err, JN_ERR_INVALID_ENV,
				    "invalid container ID \"%.64s\": want [a-zA-Z0-9][a-zA-Z0-9_.-]*", a->container_id);
	if (need_netns && a->netns == NULL)
		return jn_error_set(err, JN_ERR_INVALID_ENV, "missing --netns PATH or --pid PID");
	return 0;
}

static bool declares(const json_t *root, const char *capability)
{
	return json_is_true(json_object_get(json_object_get(root, "capabilities"), capability));
}

static int find_plugin(const struct ctlrun_args *a, struct ctlrun_net *net, struct jn_error *err)
{
	const char *type = json_string_value(json_object_get(net->conf.root, "type"));
	char copy[PATH_MAX];

	if (a->plugin != NULL) {
		snprintf(net->plugin, sizeof(net->plugin), "%s", a->plugin);
		snprintf(copy, sizeof(copy), "%s", a->plugin);
		snprintf(net->cni_path, sizeof(net->cni_path), "%s", a->bin_dir ? a->bin_dir : dirname(copy));
		return 0;
	}
	snprintf(net->cni_path, sizeof(net->cni_path), "%s", a->bin_dir ? a->bin_dir : CTL_DEFAULT_CNI_BIN_DIR);
	return ctlplugin_find(net->cni_path, type ? type : "jobnet", net->plugin, err);
}

int ctlrun_load(const struct ctlrun_args *a, struct ctlrun_net *net, struct jn_error *err)
{
	memset(net, 0, sizeof(*net));
	if (ctlconf_load(a->config, a->conf_dir, &net->conf, net->used, err) < 0)
		return -1;
	net->cap_portmaps = declares(net->conf.root, "portMappings");
	net->cap_jobnet = declares(net->conf.root, "jobnet");
	if (find_plugin(a, net, err) < 0) {
		ctlrun_net_free(net);
		return -1;
	}
	return 0;
}

void ctlrun_net_free(struct ctlrun_net *net)
{
	netconf_free(&net->conf);
}

/* root.args.cni.jobnet = facts, keeping what args and args.cni hold. */
static int put_args_facts(json_t *root, const json_t *facts)
{
	json_t *args = json_object_get(root, "args"), *cni;

	if (args == NULL && json_object_set_new(root, "args", args = json_object()) < 0)
		return -1;
	cni = json_object_get(args, "cni");
	if (cni == NULL && json_object_set_new(args, "cni", cni = json_object()) < 0)
		return -1;
	return json_object_set(cni, "jobnet", (json_t *)facts);
}

json_t *ctlrun_config(const struct ctlrun_net *net, const json_t *runtime_config, const json_t *args_facts,
		      const json_t *prev_result)
{
	cleanup_json json_t *root = json_deep_copy(net->conf.root);

	if (root == NULL)
		return NULL;
	/* As libcni: runtimeConfig is what the runtime passes, not the file's. */
	if (runtime_config != NULL && json_object_size(runtime_config) > 0 &&
	    json_object_set(root, "runtimeConfig", (json_t *)runtime_config) < 0)
		return NULL;
	if (args_facts != NULL && put_args_facts(root, args_facts) < 0)
		return NULL;
	if (prev_result != NULL && json_object_set(root, "prevResult", (json_t *)prev_result) < 0)
		return NULL;
	return take_ptr(root);
}

struct ctlcache_key ctlrun_cache_key(const struct ctlrun_args *a, const struct ctlrun_net *net)
{
	struct ctlcache_key k = {
		.dir = a->cache_dir,
		.network = net->conf.name,
		.container_id = a->container_id,
		.ifname = a->ifname,
	};
	return k;
}

int ctlrun_call(const struct ctlrun_args *a, const struct ctlrun_net *net, const char *command, const json_t *config,
		struct ctlplugin_reply *reply, struct jn_error *err)
{
	struct ctlplugin_call call = {
		.path = net->plugin,
		.command = command,
		.container_id = a->container_id,
		.netns = a->netns,
		.ifname = a->ifname,
		.cni_path = net->cni_path,
		.config = config,
	};

	fflush(stdout);
	return ctlplugin_exec(&call, reply, err);
}

void ctlrun_error_then(const struct jn_error *err, const char *then)
{
	ctl_error("%s%s%s%s", err->msg[0] ? err->msg : "out of memory", err->details[0] ? ": " : "", err->details,
		  then);
}

void ctlrun_error(const struct jn_error *err)
{
	ctlrun_error_then(err, "");
}

void ctlrun_print_reply(const struct ctlplugin_reply *reply)
{
	const char *text = reply->out;
	size_t len = strlen(text);

	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c < 0x20 || c >= 0x7f) && c != '\n' && c != '\t') {
			if (ctlout_print_json(reply->json, JSON_COMPACT) < 0)
				ctl_error("out of memory");
			return;
		}
	}
	printf("%.*s\n", (int)len, text);
}

int ctlrun_report_failure(const struct ctlrun_args *a, const struct ctlrun_net *net, const char *command,
			  const struct ctlplugin_reply *reply)
{
	const json_t *code = json_object_get(reply->json, "code");
	const char *msg = json_string_value(json_object_get(reply->json, "msg"));
	const char *details = json_string_value(json_object_get(reply->json, "details"));
	int status = reply->status ? reply->status : CTL_EXIT_FAIL;

	if (!json_is_integer(code) || msg == NULL) {
		ctl_error("%s %s of %s/%s exited with status %d and no error object", net->plugin, command,
			  a->container_id, a->ifname, reply->status);
		return status;
	}
	if (a->json)
		ctlrun_print_reply(reply);
	ctl_error("%s of %s/%s failed: %s (error %lld)%s%s", command, a->container_id, a->ifname, msg,
		  (long long)json_integer_value(code), details && details[0] ? ": " : "", details ? details : "");
	return status;
}
