/* jobnetctl detach: run jobnet's DEL for a container as a runtime would,
 * with the runtimeConfig attach sent and the result it got as prevResult
 * (from the cache). Like DEL, it succeeds for a container that is not
 * attached, and again when repeated; the cache entry goes once DEL has
 * succeeded. */
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "ctl/ctl.h"
#include "ctl/ctlout.h"
#include "ctl/ctlrun.h"

#define DETACH_USAGE "jobnetctl detach CONTAINER [--netns PATH | --pid PID] [--ifname NAME]\n    " CTLRUN_USAGE

static int parse_args(int argc, char **argv, struct ctlrun_args *a, struct jn_error *err)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", ctlrun_options, NULL)) != -1) {
		int rc = ctlrun_option(a, c, optarg, err);
		if (rc == 1)
			return ctl_option_error(argv, ctlrun_options, err);
		if (rc < 0)
			return -1;
	}
	return ctlrun_finish(a, argc, argv, false, err);
}

static int print_detached(const struct ctlrun_args *a, const struct ctlrun_net *net, bool was_cached)
{
	cleanup_json json_t *j = NULL;

	if (!a->json) {
		printf("detached %s (%s) from network %s%s\n", a->container_id, a->ifname, net->conf.name,
		       was_cached ? "" : " (jobnetctl had no result of its ADD)");
		return 0;
	}
	j = json_pack("{s:s, s:s, s:s, s:b}", "containerID", a->container_id, "ifname", a->ifname, "network",
		      net->conf.name, "cached", was_cached);
	if (j == NULL || ctlout_print_json(j, JSON_COMPACT) < 0) {
		ctl_error("out of memory");
		return -1;
	}
	return 0;
}

static int run_del(const struct ctlrun_args *a, const struct ctlrun_net *net, const json_t *config, bool was_cached)
{
	struct ctlcache_key key = ctlrun_cache_key(a, net);
	struct ctlplugin_reply reply;
	struct jn_error err = { 0 };
	int rc = CTL_EXIT_OK;

	if (ctlrun_call(a, net, "DEL", config, &reply, &err) < 0) {
		ctlrun_error(&err);
		return CTL_EXIT_FAIL;
	}
	if (reply.status != 0) {
		rc = ctlrun_report_failure(a, net, "DEL", &reply);
	} else if (ctlcache_remove(&key, &err) < 0) {
		ctlrun_error(&err);
		rc = CTL_EXIT_FAIL;
	} else if (print_detached(a, net, was_cached) < 0) {
		rc = CTL_EXIT_FAIL;
	}
	ctlplugin_reply_free(&reply);
	return rc;
}

static int detach(const struct ctlrun_args *a, const struct ctlrun_net *net)
{
	struct ctlcache_key key = ctlrun_cache_key(a, net);
	cleanup_json json_t *entry = NULL, *config = NULL;
	struct jn_error err = { 0 };

	/* Without a readable entry DEL still runs: the plugin finds what
	 * to remove from its own state. */
	if (ctlcache_read(&key, &entry, &err) < 0) {
		ctlrun_error_then(&err, "; running DEL without it");
		entry = NULL;
	}
	config = ctlrun_config(net, json_object_get(json_object_get(entry, "config"), "runtimeConfig"), NULL,
			       json_object_get(entry, "result"));
	if (config == NULL) {
		ctl_error("out of memory");
		return CTL_EXIT_FAIL;
	}
	return run_del(a, net, config, entry != NULL);
}

int ctl_detach(int argc, char **argv, struct ctl_options *opts)
{
	struct ctlrun_args args;
	struct jn_error err = { 0 };
	struct ctlrun_net net;
	int rc;

	ctlrun_args_init(&args, opts);
	if (parse_args(argc, argv, &args, &err) < 0)
		return ctl_usage_error(DETACH_USAGE, "%s", err.msg);
	if (ctlrun_load(&args, &net, &err) < 0) {
		ctlrun_error(&err);
		return CTL_EXIT_FAIL;
	}
	rc = detach(&args, &net);
	ctlrun_net_free(&net);
	return rc;
}
