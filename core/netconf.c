#include "core/netconf.h"

#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "core/cniversion.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "core/mode.h"
#include "core/state.h"

typedef int (*key_parser)(struct netconf *conf, json_t *value, struct jn_error *err);

struct key_rule {
	const char *key;
	key_parser parse; /* NULL: accepted and not used by the plugin */
};

static int parse_cni_version(struct netconf *conf, json_t *value, struct jn_error *err)
{
	const char *text;

	if (jsonutil_want_string(value, "cniVersion", &text, err) < 0)
		return -1;
	if (strlen(text) >= sizeof(conf->cni_version) || !cniversion_is_supported(text)) {
		jn_error_set(err, JN_ERR_INCOMPATIBLE_VERSION, "incompatible CNI version \"%.32s\"", text);
		jn_error_detail(err, "supported versions: %s", cniversion_supported_text());
		return -1;
	}
	strcpy(conf->cni_version, text);
	return 0;
}

static int parse_name(struct netconf *conf, json_t *value, struct jn_error *err)
{
	const char *text;

	if (jsonutil_want_string(value, "name", &text, err) < 0)
		return -1;
	if (!names_is_valid_id(text))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid \"name\": \"%.64s\" does not match [a-zA-Z0-9][a-zA-Z0-9_.-]*"
				    " (at most 255 bytes)",
				    text);
	if (!state_is_network_name(text))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid \"name\": \"%s\" is reserved for jobnet's node-wide state", text);
	strcpy(conf->name, text);
	return 0;
}

static int parse_type(struct netconf *conf, json_t *value, struct jn_error *err)
{
	const char *text;

	(void)conf;
	return jsonutil_want_string(value, "type", &text, err);
}

static int parse_bridge(struct netconf *conf, json_t *value, struct jn_error *err)
{
	const char *text;

	if (jsonutil_want_string(value, "bridge", &text, err) < 0)
		return -1;
	if (!names_is_plain_ifname(text))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid \"bridge\": \"%.64s\" is not an interface name of 1 to 15 "
				    "characters from [a-zA-Z0-9_.-]",
				    text);
	strcpy(conf->bridge, text);
	return 0;
}

static int parse_subnet_of(struct netconf_family *fam, int family, const char *key, json_t *value, struct jn_error *err)
{
	const char *text;
	int min_len = family == AF_INET ? 8 : 64, max_len = family == AF_INET ? 30 : 126;

	if (jsonutil_want_string(value, key, &text, err) < 0)
		return -1;
	if (!prefix_parse(text, true, &fam->subnet) || fam->subnet.addr.family != family)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"%s\": \"%.64s\" is not an %s CIDR", key,
				    text, family == AF_INET ? "IPv4" : "IPv6");
	if (!prefix_is_network(&fam->subnet))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"%s\": \"%.64s\" has host bits set", key,
				    text);
	if (fam->subnet.len < min_len || fam->subnet.len > max_len)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid \"%s\": \"%.64s\" prefix length must be %d to %d", key, text, min_len,
				    max_len);
	fam->enabled = true;
	return 0;
}

static int parse_subnet4(struct netconf *conf, json_t *value, struct jn_error *err)
{
	return parse_subnet_of(&conf->v4, AF_INET, "subnet", value, err);
}

static int parse_subnet6(struct netconf *conf, json_t *value, struct jn_error *err)
{
	return parse_subnet_of(&conf->v6, AF_INET6, "subnet6", value, err);
}

static int parse_gateway_of(struct netconf_family *fam, int family, const char *key, json_t *value,
			    struct jn_error *err)
{
	const char *text;

	if (jsonutil_want_string(value, key, &text, err) < 0)
		return -1;
	if (!addr_parse(text, &fam->gateway) || fam->gateway.family != family)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"%s\": \"%.64s\" is not an %s address", key,
				    text, family == AF_INET ? "IPv4" : "IPv6");
	return 0;
}

static int parse_gateway4(struct netconf *conf, json_t *value, struct jn_error *err)
{
	return parse_gateway_of(&conf->v4, AF_INET, "gateway", value, err);
}

static int parse_gateway6(struct netconf *conf, json_t *value, struct jn_error *err)
{
	return parse_gateway_of(&conf->v6, AF_INET6, "gateway6", value, err);
}

static int parse_mtu(struct netconf *conf, json_t *value, struct jn_error *err)
{
	long long mtu;

	if (jsonutil_want_int(value, "mtu", 68, 65535, &mtu, err) < 0)
		return -1;
	conf->mtu = (unsigned)mtu;
	return 0;
}

static int parse_ip_masq(struct netconf *conf, json_t *value, struct jn_error *err)
{
	return jsonutil_want_bool(value, "ipMasq", &conf->ip_masq, err);
}

static int parse_lock_timeout(struct netconf *conf, json_t *value, struct jn_error *err)
{
	long long seconds;

	if (jsonutil_want_int(value, "lockTimeout", 1, 600, &seconds, err) < 0)
		return -1;
	conf->lock_timeout = (unsigned)seconds;
	return 0;
}

static int parse_abs_path(const char *key, json_t *value, char **out, struct jn_error *err)
{
	const char *text;

	if (jsonutil_want_string(value, key, &text, err) < 0)
		return -1;
	if (text[0] != '/' || strlen(text) > JN_PATH_MAX)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"%s\": \"%.64s\" is not an absolute path",
				    key, text);
	free(*out);
	*out = strdup(text);
	if (*out == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	return 0;
}

static int parse_log_file(struct netconf *conf, json_t *value, struct jn_error *err)
{
	return parse_abs_path("logFile", value, &conf->log_file, err);
}

static int parse_state_dir(struct netconf *conf, json_t *value, struct jn_error *err)
{
	return parse_abs_path("stateDir", value, &conf->state_dir, err);
}

static int parse_dns(struct netconf *conf, json_t *value, struct jn_error *err)
{
	const char *key;
	json_t *item;
	char quoted[JN_JSON_QUOTE_MAX];

	if (jsonutil_want_object(value, "dns", err) < 0)
		return -1;
	json_object_foreach (value, key, item) {
		if (strcmp(key, "nameservers") == 0) {
			size_t i;
			json_t *ns;
			if (jsonutil_want_string_array(item, "dns.nameservers", err) < 0)
				return -1;
			json_array_foreach (item, i, ns) {
				struct jn_addr unused;
				if (!addr_parse(json_string_value(ns), &unused))
					return jn_error_set(err, JN_ERR_INVALID_CONFIG,
							    "invalid \"dns.nameservers\": %s is not an IP address",
							    jsonutil_quote(ns, quoted));
			}
		} else if (strcmp(key, "domain") == 0) {
			const char *unused;
			if (jsonutil_want_string(item, "dns.domain", &unused, err) < 0)
				return -1;
		} else if (strcmp(key, "search") == 0 || strcmp(key, "options") == 0) {
			if (jsonutil_want_string_array(item, strcmp(key, "search") ? "dns.options" : "dns.search",
						       err) < 0)
				return -1;
		} else {
			return jn_error_set(err, JN_ERR_UNSUPPORTED_FIELD, "unsupported field \"dns.%.64s\": %s", key,
					    jsonutil_quote(item, quoted));
		}
	}
	conf->dns = value;
	return 0;
}

static int parse_request_list(struct netconf *conf, json_t *list, const char *what, struct jn_error *err)
{
	size_t i;
	json_t *item;

	if (jsonutil_want_string_array(list, what, err) < 0)
		return -1;
	json_array_foreach (list, i, item)
		if (netconf_request_ip(conf, json_string_value(item), err) < 0)
			return jn_error_wrap(err, "invalid \"%s\"", what);
	conf->ips_in_config = json_array_size(list) > 0;
	return 0;
}

/* A capability the runtime sends as null (Go's nil map or slice) is not sent. */
static json_t *capability(json_t *runtime_config, const char *name)
{
	json_t *value = json_object_get(runtime_config, name);

	return json_is_null(value) ? NULL : value;
}

static int parse_runtime_config(struct netconf *conf, json_t *value, struct jn_error *err)
{
	json_t *ips, *maps;

	if (json_is_null(value))
		return 0;
	if (jsonutil_want_object(value, "runtimeConfig", err) < 0)
		return -1;
	/* Other capabilities belong to other plugins of the chain: ignored. */
	ips = capability(value, "ips");
	if (ips != NULL && parse_request_list(conf, ips, "runtimeConfig.ips", err) < 0)
		return -1;
	maps = capability(value, "portMappings");
	if (maps != NULL && portmap_parse_list(maps, conf->maps, &conf->map_count, err) < 0)
		return -1;
	/* Checked by facts_collect, which knows the facts. */
	conf->facts_runtime = capability(value, "jobnet");
	conf->annotations = capability(value, "io.kubernetes.cri.pod-annotations");
	return 0;
}

/* The cloud metadata endpoints are always protected; "protect" adds to them. */
static const char *const default_protect[] = { "169.254.169.254/32", "fd00:ec2::254/128" };

static int parse_protect(struct netconf *conf, json_t *value, struct jn_error *err)
{
	char quoted[JN_JSON_QUOTE_MAX];
	json_t *item;
	size_t i;

	if (jsonutil_want_string_array(value, "protect", err) < 0)
		return -1;
	if (json_array_size(value) > JN_MAX_PROTECT)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"protect\": more than %d entries",
				    JN_MAX_PROTECT);
	json_array_foreach (value, i, item) {
		struct jn_prefix *p = &conf->protect[conf->protect_count];
		if (!prefix_parse(json_string_value(item), false, p) || !prefix_is_network(p))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG,
					    "invalid \"protect\": %s is not an address or a CIDR without host bits",
					    jsonutil_quote(item, quoted));
		conf->protect_count++;
	}
	return 0;
}

static int parse_host_services(struct netconf *conf, json_t *value, struct jn_error *err)
{
	char quoted[JN_JSON_QUOTE_MAX];
	const char *key;
	json_t *item, *allow;
	size_t i;

	if (jsonutil_want_object(value, "hostServices", err) < 0)
		return -1;
	json_object_foreach (value, key, item)
		if (strcmp(key, "allow") != 0)
			return jn_error_set(err, JN_ERR_UNSUPPORTED_FIELD,
					    "unsupported field \"hostServices.%.64s\": %s", key,
					    jsonutil_quote(item, quoted));
	allow = json_object_get(value, "allow");
	if (allow == NULL)
		return 0;
	if (jsonutil_want_string_array(allow, "hostServices.allow", err) < 0)
		return -1;
	if (json_array_size(allow) > JN_MAX_SERVICES)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"hostServices.allow\": more than %d entries",
				    JN_MAX_SERVICES);
	json_array_foreach (allow, i, item) {
		if (!service_parse(json_string_value(item), &conf->services[conf->service_count]))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG,
					    "invalid \"hostServices.allow\": %s is not \"tcp/PORT\", \"udp/PORT\" or "
					    "\"sctp/PORT\"",
					    jsonutil_quote(item, quoted));
		conf->service_count++;
	}
	return 0;
}

static int parse_cluster(struct netconf *conf, json_t *value, struct jn_error *err)
{
	return cluster_parse(value, &conf->cluster, err);
}

static int parse_network_mode(struct netconf *conf, json_t *value, struct jn_error *err)
{
	return mode_parse_level(value, &conf->network_mode, err);
}

static int parse_group_scope(struct netconf *conf, json_t *value, struct jn_error *err)
{
	const char *text;

	if (jsonutil_want_string(value, "groupScope", &text, err) < 0)
		return -1;
	if (strcmp(text, "none") == 0)
		conf->group_scope = NETCONF_SCOPE_NONE;
	else if (strcmp(text, "namespace") == 0)
		conf->group_scope = NETCONF_SCOPE_NAMESPACE;
	else
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid \"groupScope\": \"%.64s\" is not \"none\" or \"namespace\"", text);
	return 0;
}

static int parse_args(struct netconf *conf, json_t *value, struct jn_error *err)
{
	json_t *cni, *ips;

	if (jsonutil_want_object(value, "args", err) < 0)
		return -1;
	cni = json_object_get(value, "cni");
	if (cni == NULL)
		return 0;
	if (jsonutil_want_object(cni, "args.cni", err) < 0)
		return -1;
	conf->facts_args = json_object_get(cni, "jobnet");
	ips = json_object_get(cni, "ips");
	/* The ips capability (runtimeConfig) wins over args.cni.ips. */
	if (ips != NULL && !conf->ips_in_config)
		return parse_request_list(conf, ips, "args.cni.ips", err);
	return 0;
}

static int parse_prev_result(struct netconf *conf, json_t *value, struct jn_error *err)
{
	if (jsonutil_want_object(value, "prevResult", err) < 0)
		return -1;
	conf->prev_result = value;
	return 0;
}

static int parse_valid_attachments(struct netconf *conf, json_t *value, struct jn_error *err)
{
	size_t i;
	json_t *item;
	const char *text;

	if (jsonutil_want_array(value, "cni.dev/valid-attachments", err) < 0)
		return -1;
	json_array_foreach (value, i, item) {
		if (jsonutil_want_object(item, "cni.dev/valid-attachments[]", err) < 0 ||
		    jsonutil_want_string(json_object_get(item, "containerID"),
					 "cni.dev/valid-attachments[].containerID", &text, err) < 0 ||
		    jsonutil_want_string(json_object_get(item, "ifname"), "cni.dev/valid-attachments[].ifname", &text,
					 err) < 0)
			return -1;
	}
	/* The current key wins over the older one, whatever their order. */
	if (conf->valid_attachments == NULL || json_object_get(conf->root, "cni.dev/valid-attachments") == value)
		conf->valid_attachments = value;
	return 0;
}

static int parse_plain_bool(struct netconf *conf, json_t *value, struct jn_error *err)
{
	bool unused;

	(void)conf;
	return jsonutil_want_bool(value, "disableCheck/disableGC/loadOnlyInlinedPlugins", &unused, err);
}

static int parse_string_list(struct netconf *conf, json_t *value, struct jn_error *err)
{
	(void)conf;
	return jsonutil_want_string_array(value, "cniVersions", err);
}

static int parse_capabilities(struct netconf *conf, json_t *value, struct jn_error *err)
{
	(void)conf;
	return jsonutil_want_object(value, "capabilities", err);
}

/* Order matters: runtimeConfig before args (the ips capability wins). */
static const struct key_rule key_rules[] = {
	{ "cniVersion", parse_cni_version },
	{ "name", parse_name },
	{ "type", parse_type },
	{ "cniVersions", parse_string_list },
	{ "disableCheck", parse_plain_bool },
	{ "disableGC", parse_plain_bool },
	{ "loadOnlyInlinedPlugins", parse_plain_bool },
	{ "capabilities", parse_capabilities },
	{ "bridge", parse_bridge },
	{ "subnet", parse_subnet4 },
	{ "subnet6", parse_subnet6 },
	{ "gateway", parse_gateway4 },
	{ "gateway6", parse_gateway6 },
	{ "mtu", parse_mtu },
	{ "ipMasq", parse_ip_masq },
	{ "dns", parse_dns },
	{ "logFile", parse_log_file },
	{ "stateDir", parse_state_dir },
	{ "lockTimeout", parse_lock_timeout },
	{ "networkMode", parse_network_mode },
	{ "groupScope", parse_group_scope },
	{ "protect", parse_protect },
	{ "hostServices", parse_host_services },
	{ "cluster", parse_cluster },
	{ "prevResult", parse_prev_result },
	{ "cni.dev/valid-attachments", parse_valid_attachments },
	{ "cni.dev/attachments", parse_valid_attachments },
	{ "runtimeConfig", parse_runtime_config },
	{ "args", parse_args },
};

static const struct key_rule *find_rule(const char *key)
{
	for (size_t i = 0; i < JN_ARRAY_SIZE(key_rules); i++)
		if (strcmp(key_rules[i].key, key) == 0)
			return &key_rules[i];
	return NULL;
}

static bool is_needed(const char *const *needed, const char *key)
{
	if (needed == NULL)
		return true;
	for (; *needed != NULL; needed++)
		if (strcmp(*needed, key) == 0)
			return true;
	return false;
}

/* A problem with key: the command's error when it needs the key, else a
 * warning (DEL and GC must work whatever the parts they do not use say). */
static int tolerate(const char *const *needed, const char *key, struct jn_error *problem, struct jn_error *err)
{
	if (is_needed(needed, key))
		return jn_error_keep_first(err, problem);
	log_warn("not needed here, ignored: %s%s%s", problem->msg, problem->details[0] ? ": " : "", problem->details);
	jn_error_clear(problem);
	return 0;
}

static int check_unknown_keys(json_t *root, const char *const *needed, struct jn_error *err)
{
	const char *key;
	json_t *value;
	char quoted[JN_JSON_QUOTE_MAX];

	json_object_foreach (root, key, value) {
		struct jn_error problem = { 0 };
		/* cni.dev/ keys are the runtime's to add; the spec reserves them. */
		if (find_rule(key) != NULL || strncmp(key, "cni.dev/", 8) == 0)
			continue;
		jn_error_set(&problem, JN_ERR_UNSUPPORTED_FIELD, "unsupported field \"%.64s\": %s", key,
			     jsonutil_quote(value, quoted));
		if (strcmp(key, "ipam") == 0)
			jn_error_detail(&problem, "jobnet allocates addresses itself: use \"subnet\" and \"subnet6\"");
		if (tolerate(needed, key, &problem, err) < 0)
			return -1;
	}
	return 0;
}

static int apply_rules(struct netconf *conf, const char *const *needed, struct jn_error *err)
{
	for (size_t i = 0; i < JN_ARRAY_SIZE(key_rules); i++) {
		json_t *value = json_object_get(conf->root, key_rules[i].key);
		struct jn_error problem = { 0 };
		if (value != NULL && key_rules[i].parse(conf, value, &problem) < 0 &&
		    tolerate(needed, key_rules[i].key, &problem, err) < 0)
			return -1;
	}
	return 0;
}

static int check_gateway(struct netconf_family *fam, const char *key, struct jn_error *err)
{
	char text[JN_ADDR_STRLEN], net[JN_ADDR_STRLEN];
	struct jn_addr last;

	if (fam->gateway.family == 0) {
		/* Default: the first host address of the subnet. */
		fam->gateway = fam->subnet.addr;
		addr_add(&fam->gateway, 1);
		return 0;
	}
	prefix_last(&fam->subnet, &last);
	if (!prefix_contains(&fam->subnet, &fam->gateway) || addr_equal(&fam->gateway, &fam->subnet.addr) ||
	    (fam->gateway.family == AF_INET && addr_equal(&fam->gateway, &last)))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid \"%s\": %s is not a host address of the subnet %s", key,
				    addr_format(&fam->gateway, text), prefix_format(&fam->subnet, net));
	return 0;
}

static int check_family(struct netconf_family *fam, const char *subnet_key, const char *gw_key, struct jn_error *err)
{
	char text[JN_ADDR_STRLEN];

	if (!fam->enabled) {
		if (fam->gateway.family != 0)
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"%s\": set without \"%s\"", gw_key,
					    subnet_key);
		if (fam->requested.family != 0)
			return jn_error_set(err, JN_ERR_INVALID_CONFIG,
					    "requested address %s but the network has no \"%s\"",
					    addr_format(&fam->requested, text), subnet_key);
		return 0;
	}
	return check_gateway(fam, gw_key, err);
}

static int check_cluster(const struct netconf *conf, struct jn_error *err)
{
	struct jn_prefix subnets[2];
	size_t count = 0;

	if (conf->v4.enabled)
		subnets[count++] = conf->v4.subnet;
	if (conf->v6.enabled)
		subnets[count++] = conf->v6.subnet;
	return cluster_check_node(&conf->cluster, subnets, count, err);
}

static int check_maps(struct netconf *conf, struct jn_error *err)
{
	for (size_t i = 0; i < conf->map_count; i++) {
		const struct jn_addr *ip = &conf->maps[i].host_ip;
		if (ip->family != 0 && !netconf_family(conf, ip->family)->enabled)
			return jn_error_set(err, JN_ERR_INVALID_CONFIG,
					    "invalid \"runtimeConfig.portMappings[%zu].hostIP\": the network has no %s "
					    "subnet",
					    i, ip->family == AF_INET ? "IPv4" : "IPv6");
	}
	return 0;
}

static int check_subnets(struct netconf *conf, struct jn_error *err)
{
	if (check_family(&conf->v4, "subnet", "gateway", err) < 0 ||
	    check_family(&conf->v6, "subnet6", "gateway6", err) < 0)
		return -1;
	if (!conf->v4.enabled && !conf->v6.enabled)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "missing \"subnet\": set \"subnet\", \"subnet6\" or both");
	if (conf->v6.enabled && conf->mtu < 1280)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid \"mtu\": %u is below 1280, the IPv6 minimum, and \"subnet6\" is set",
				    conf->mtu);
	return 0;
}

/* What no single key says: each check is the problem of the key named. */
static int check_whole(struct netconf *conf, const char *const *needed, struct jn_error *err)
{
	struct jn_error problem = { 0 };

	if (conf->cni_version[0] == '\0') {
		jn_error_set(&problem, JN_ERR_INVALID_CONFIG, "missing \"cniVersion\"");
		if (tolerate(needed, "cniVersion", &problem, err) < 0)
			return -1;
	}
	if (conf->name[0] == '\0') {
		jn_error_set(&problem, JN_ERR_INVALID_CONFIG, "missing \"name\"");
		if (tolerate(needed, "name", &problem, err) < 0)
			return -1;
	}
	if (check_subnets(conf, &problem) < 0 && tolerate(needed, "subnet", &problem, err) < 0)
		return -1;
	if (check_cluster(conf, &problem) < 0 && tolerate(needed, "cluster", &problem, err) < 0)
		return -1;
	if (check_maps(conf, &problem) < 0 && tolerate(needed, "runtimeConfig", &problem, err) < 0)
		return -1;
	return 0;
}

static int set_defaults(struct netconf *conf, struct jn_error *err)
{
	strcpy(conf->bridge, JN_DEFAULT_BRIDGE);
	conf->mtu = JN_DEFAULT_MTU;
	conf->ip_masq = true;
	conf->lock_timeout = JN_DEFAULT_LOCK_TIMEOUT;
	conf->network_mode = JN_DEFAULT_LEVEL;
	for (size_t i = 0; i < JN_ARRAY_SIZE(default_protect); i++)
		prefix_parse(default_protect[i], true, &conf->protect[conf->protect_count++]);
	conf->state_dir = strdup(JN_DEFAULT_STATE_DIR);
	if (conf->state_dir == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	return 0;
}

int netconf_parse_needed(const char *text, const char *const *needed, struct netconf *conf, struct jn_error *err)
{
	json_error_t jerr;

	memset(conf, 0, sizeof(*conf));
	conf->root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (conf->root == NULL) {
		jn_error_set(err, JN_ERR_DECODE, "configuration is not valid JSON: %s (line %d, column %d)", jerr.text,
			     jerr.line, jerr.column);
		return -1;
	}
	if (!json_is_object(conf->root)) {
		netconf_free(conf);
		return jn_error_set(err, JN_ERR_DECODE, "configuration is not a JSON object");
	}
	if (set_defaults(conf, err) < 0 || apply_rules(conf, needed, err) < 0 ||
	    check_unknown_keys(conf->root, needed, err) < 0 || check_whole(conf, needed, err) < 0) {
		netconf_free(conf);
		return -1;
	}
	return 0;
}

int netconf_parse(const char *text, struct netconf *conf, struct jn_error *err)
{
	return netconf_parse_needed(text, NULL, conf, err);
}

int netconf_request_ip(struct netconf *conf, const char *value, struct jn_error *err)
{
	struct jn_prefix prefix;
	struct netconf_family *fam;

	if (conf->ips_in_config)
		return 0;
	if (!prefix_parse(value, false, &prefix))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "\"%.64s\" is not an IP address", value);
	fam = netconf_family(conf, prefix.addr.family);
	if (fam->requested.family != 0)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "more than one %s address requested (\"%.64s\")",
				    prefix.addr.family == AF_INET ? "IPv4" : "IPv6", value);
	if (fam->enabled && !prefix_contains(&fam->subnet, &prefix.addr))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "requested address \"%.64s\" is outside the subnet",
				    value);
	fam->requested = prefix.addr;
	return 0;
}

void netconf_peek_version(const char *text, char out[JN_CNI_VERSION_MAX])
{
	cleanup_json json_t *root = NULL;
	const char *v;

	out[0] = '\0';
	if (text == NULL)
		return;
	root = json_loads(text, 0, NULL);
	v = json_string_value(json_object_get(root, "cniVersion"));
	if (v != NULL && strlen(v) < JN_CNI_VERSION_MAX)
		strcpy(out, v);
}

void netconf_peek_log_file(const char *text, char *out, size_t size)
{
	cleanup_json json_t *root = NULL;
	json_t *v;

	out[0] = '\0';
	if (text == NULL)
		return;
	root = json_loads(text, 0, NULL);
	v = json_object_get(root, "logFile");
	if (json_is_string(v) && json_string_value(v)[0] == '/' && strlen(json_string_value(v)) < size &&
	    strlen(json_string_value(v)) == json_string_length(v))
		strcpy(out, json_string_value(v));
}

struct netconf_family *netconf_family(struct netconf *conf, int family)
{
	return family == AF_INET ? &conf->v4 : &conf->v6;
}

void netconf_free(struct netconf *conf)
{
	free(conf->log_file);
	free(conf->state_dir);
	json_decref(conf->root);
	memset(conf, 0, sizeof(*conf));
}
