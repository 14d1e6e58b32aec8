/* jobnetctl decide: what the plugin will decide for a job with these facts,
 * asked before the container exists. Same code as the plugin's decision. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "core/facts.h"
#include "core/mode.h"
#include "ctl/ctl.h"
#include "ctl/ctlconf.h"
#include "ctl/ctlfacts.h"
#include "ctl/ctlout.h"
#include "ctl/ctlrun.h"

#define DECIDE_USAGE "jobnetctl decide [--config PATH | --conf-dir DIR] [--json]\n    " CTLFACTS_USAGE

struct decide_args {
	const char *config;
	const char *conf_dir;
	struct jobfacts facts;
};

static int parse_args(int argc, char **argv, struct decide_args *args, struct jn_error *err)
{
	static const struct option own[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "conf-dir", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct option options[CTLRUN_MAX_OPTIONS];
	struct ctlfacts facts;
	int c;

	ctlrun_add_options(options, ctlrun_add_options(options, 0, own), ctlfacts_options);
	ctlfacts_init(&facts);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		int rc = 0;
		if (c == 'c')
			rc = ctlrun_set_nonempty(&args->config, "config", optarg, err);
		else if (c == 'd')
			rc = ctlrun_set_nonempty(&args->conf_dir, "conf-dir", optarg, err);
		else if ((rc = ctlfacts_option(&facts, c, optarg, err)) == 1)
			return ctl_option_error(argv, options, err);
		if (rc < 0)
			return -1;
	}
	if (optind < argc)
		return jn_error_set(err, JN_ERR_INVALID_ENV, "unexpected argument \"%s\"", argv[optind]);
	args->facts = facts.facts;
	return facts_validate(&args->facts, err);
}

static int print_decision(const struct decision *d, int level, const char *config, bool json)
{
	cleanup_json json_t *j = NULL;

	if (!json) {
		printf("%s %s (%s)\n", mode_name(d->mode), d->rule, d->reason);
		return 0;
	}
	j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:o}", "decision", mode_name(d->mode), "rule", d->rule, "reason",
		      d->reason, "level", level, "levelName", mode_level_name(level), "config",
		      ctlout_json_string(config));
	if (j == NULL || ctlout_print_json(j, JSON_COMPACT) < 0) {
		ctl_error("out of memory");
		return -1;
	}
	return 0;
}

int ctl_decide(int argc, char **argv, struct ctl_options *opts)
{
	struct decide_args args = { .conf_dir = opts->conf_dir };
	struct jn_error err = { 0 };
	struct netconf conf;
	struct decision decision;
	char used[PATH_MAX];
	int rc;

	facts_init(&args.facts);
	if (parse_args(argc, argv, &args, &err) < 0)
		return ctl_usage_error(DECIDE_USAGE, "%s", err.msg);
	if (ctlconf_load(args.config, args.conf_dir, &conf, used, &err) < 0) {
		ctl_error_record(&err);
		return CTL_EXIT_FAIL;
	}
	mode_decide(conf.network_mode, &args.facts, &decision);
	rc = print_decision(&decision, conf.network_mode, used, opts->json);
	netconf_free(&conf);
	return rc < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
