/* jobnetctl attach: run jobnet's ADD for a container as a runtime would,
 * for engines that call no CNI plugin themselves (Docker with --network
 * none) and for shell-based schedulers. The facts and port mappings go to
 * the plugin as runtimeConfig when it declares the capability (the facts
 * otherwise as args.cni.jobnet); the result is cached for detach and
 * printed. */
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/publish.h"
#include "ctl/ctl.h"
#include "ctl/ctlfacts.h"
#include "ctl/ctlrun.h"

#define ATTACH_USAGE                                                              \
	"jobnetctl attach CONTAINER (--netns PATH | --pid PID) [--ifname NAME]\n" \
	"    [--publish [HOSTIP:]HOSTPORT:CONTAINERPORT[/PROTO]]...\n    " CTLFACTS_USAGE "\n    " CTLRUN_USAGE

#define OPT_PUBLISH 0x200

struct attach_args {
	struct ctlrun_args run;
	struct ctlfacts facts;
	size_t map_count;
	struct portmap maps[JN_MAX_PORTMAPS];
};

static int add_publish(struct attach_args *args, const char *text, struct jn_error *err)
{
	if (args->map_count == JN_MAX_PORTMAPS)
		return jn_error_set(err, JN_ERR_INVALID_ENV, "more than %d --publish", JN_MAX_PORTMAPS);
	if (publish_parse(text, &args->maps[args->map_count++], err) < 0)
		return jn_error_wrap(err, "invalid --publish");
	return 0;
}

static int parse_args(int argc, char **argv, struct attach_args *args, struct jn_error *err)
{
	static const struct option own[] = {
		{ "publish", required_argument, NULL, OPT_PUBLISH },
		{ NULL, 0, NULL, 0 },
	};
	struct option options[CTLRUN_MAX_OPTIONS];
	size_t n = ctlrun_add_options(options, 0, own);
	int c;

	n = ctlrun_add_options(options, n, ctlrun_options);
	ctlrun_add_options(options, n, ctlfacts_options);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		int rc;
		if (c == OPT_PUBLISH)
			rc = add_publish(args, optarg, err);
		else if ((rc = ctlrun_option(&args->run, c, optarg, err)) == 1)
			rc = ctlfacts_option(&args->facts, c, optarg, err);
		if (rc == 1)
			return ctl_option_error(argv, options, err);
		if (rc < 0)
			return -1;
	}
	if (ctlrun_finish(&args->run, argc, argv, true, err) < 0)
		return -1;
	return facts_validate(&args->facts.facts, err);
}

/* runtimeConfig for the capabilities the plugin declares; facts it does not
 * take there go to *args_facts. */
static int runtime_config(const struct attach_args *args, const struct ctlrun_net *net, json_t **rc_out,
			  json_t **args_facts, struct jn_error *err)
{
	cleanup_json json_t *rc = json_object(), *facts = NULL;

	if (rc == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	if (args->map_count > 0) {
		if (!net->cap_portmaps)
			return jn_error_set(err, JN_ERR_INVALID_CONFIG,
					    "--publish needs the \"portMappings\" capability, which the jobnet plugin "
					    "in %s does not declare",
					    net->used);
		if (json_object_set_new(rc, "portMappings", portmap_list_to_json(args->maps, args->map_count)) < 0)
			return jn_error_set(err, JN_ERR_IO, "out of memory");
	}
	if (ctlfacts_any(&args->facts)) {
		if ((facts = ctlfacts_to_json(&args->facts)) == NULL ||
		    (net->cap_jobnet && json_object_set(rc, "jobnet", facts) < 0))
			return jn_error_set(err, JN_ERR_IO, "out of memory");
		if (!net->cap_jobnet)
			*args_facts = take_ptr(facts);
	}
	*rc_out = take_ptr(rc);
	return 0;
}

static void print_ports(const json_t *maps)
{
	const json_t *m;
	size_t i;

	json_array_foreach (maps, i, m) {
		const char *ip = json_string_value(json_object_get(m, "hostIP"));
		bool v6 = ip != NULL && strchr(ip, ':') != NULL;
		printf("port %s %s%s%s:%lld -> %lld\n", json_string_value(json_object_get(m, "protocol")) ?: "tcp",
		       v6 ? "[" : "", ip && ip[0] ? ip : "*", v6 ? "]" : "",
		       (long long)json_integer_value(json_object_get(m, "hostPort")),
		       (long long)json_integer_value(json_object_get(m, "containerPort")));
	}
}

static void print_result(const struct ctlrun_args *a, const struct ctlrun_net *net, const struct ctlplugin_reply *r)
{
	const json_t *ip;
	size_t i;

	if (a->json) {
		ctlrun_print_reply(r);
		return;
	}
	printf("attached %s to network %s as %s\n", a->container_id, net->conf.name, a->ifname);
	json_array_foreach (json_object_get(r->json, "ips"), i, ip) {
		const char *gw = json_string_value(json_object_get(ip, "gateway"));
		printf("ip %s%s%s\n", json_string_value(json_object_get(ip, "address")) ?: "?", gw ? " gateway " : "",
		       gw ? gw : "");
	}
	if (json_array_size(json_object_get(r->json, "ips")) == 0)
		printf("no address: the job shares the node's network\n");
	print_ports(json_object_get(r->json, "portMappings"));
}

static json_t *cache_entry(const struct ctlrun_args *a, const struct ctlrun_net *net, const json_t *config,
			   const json_t *result)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:O, s:O}", "containerID", a->container_id, "ifname", a->ifname,
			 "network", net->conf.name, "netns", a->netns, "config", config, "result", result);
}

/* The ADD went through but its result cannot be kept: a runtime would not
 * know of the attachment either, so DEL takes it back, with what ADD had. */
static void undo_add(const struct ctlrun_args *a, const struct ctlrun_net *net, const json_t *config,
		     const json_t *result)
{
	cleanup_json json_t *del = json_deep_copy(config);
	struct ctlplugin_reply reply;
	struct jn_error err = { 0 };

	if (del == NULL || (result != NULL && json_object_set(del, "prevResult", (json_t *)result) < 0) ||
	    ctlrun_call(a, net, "DEL", del, &reply, &err) < 0) {
		jn_error_wrap(&err, "undoing the ADD of %s/%s", a->container_id, a->ifname);
		ctlrun_error(&err);
		return;
	}
	if (reply.status != 0)
		ctlrun_report_failure(a, net, "DEL", &reply);
	ctlplugin_reply_free(&reply);
}

static int run_add(const struct attach_args *args, const struct ctlrun_net *net, const json_t *config)
{
	const struct ctlrun_args *a = &args->run;
	struct ctlcache_key key = ctlrun_cache_key(a, net);
	cleanup_json json_t *entry = NULL;
	struct ctlplugin_reply reply;
	struct jn_error err = { 0 };
	int rc = CTL_EXIT_OK;

	if (ctlrun_call(a, net, "ADD", config, &reply, &err) < 0) {
		ctlrun_error(&err);
		return CTL_EXIT_FAIL;
	}
	if (reply.status != 0) {
		rc = ctlrun_report_failure(a, net, "ADD", &reply);
	} else if (reply.json == NULL) {
		ctl_error("%s printed a result that is not a JSON object; undoing the ADD", net->plugin);
		undo_add(a, net, config, NULL);
		rc = CTL_EXIT_FAIL;
	} else if ((entry = cache_entry(a, net, config, reply.json)) == NULL || ctlcache_write(&key, entry, &err) < 0) {
		ctlrun_error_then(&err, "; undoing the ADD");
		undo_add(a, net, config, reply.json);
		rc = CTL_EXIT_FAIL;
	} else {
		print_result(a, net, &reply);
	}
	ctlplugin_reply_free(&reply);
	return rc;
}

static int attach(const struct attach_args *args, const struct ctlrun_net *net)
{
	cleanup_json json_t *rc = NULL, *facts = NULL, *config = NULL;
	struct jn_error err = { 0 };

	if (runtime_config(args, net, &rc, &facts, &err) < 0) {
		ctlrun_error(&err);
		return CTL_EXIT_FAIL;
	}
	config = ctlrun_config(net, rc, facts, NULL);
	if (config == NULL) {
		ctl_error("out of memory");
		return CTL_EXIT_FAIL;
	}
	return run_add(args, net, config);
}

int ctl_attach(int argc, char **argv, struct ctl_options *opts)
{
	struct attach_args args = { .map_count = 0 };
	struct jn_error err = { 0 };
	struct ctlrun_net net;
	int rc;

	ctlrun_args_init(&args.run, opts);
	ctlfacts_init(&args.facts);
	if (parse_args(argc, argv, &args, &err) < 0)
		return ctl_usage_error(ATTACH_USAGE, "%s", err.msg);
	if (ctlrun_load(&args.run, &net, &err) < 0) {
		ctlrun_error(&err);
		return CTL_EXIT_FAIL;
	}
	rc = attach(&args, &net);
	ctlrun_net_free(&net);
	return rc;
}
