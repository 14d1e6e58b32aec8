/* jobnetctl peers GROUP: show or change the peers and routers of every
 * member of GROUP on this node (core/peers.c does the change). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "core/peers.h"
#include "ctl/ctl.h"
#include "ctl/ctlout.h"

#define PEERS_USAGE                                                                          \
	"jobnetctl peers GROUP [--network NAME] [--set LIST | --add LIST | --remove LIST]\n" \
	"                      [--routers LIST] [--json]\n"                                  \
	"  LIST: comma-separated addresses or CIDRs (\"\" for none)"

struct peers_print {
	bool json;
	json_t *list;
};

/* A list through the facts parser, so flags and facts take one grammar. */
static int parse_list(const char *fact, const char *value, const char *flag, struct jn_prefix *out, size_t *count,
		      struct jn_error *err)
{
	struct jobfacts scratch;

	facts_init(&scratch);
	if (facts_set_text(&scratch, fact, value, flag, err) < 0)
		return -1;
	*count = strcmp(fact, "peers") == 0 ? scratch.peer_count : scratch.router_count;
	memcpy(out, strcmp(fact, "peers") == 0 ? scratch.peers : scratch.routers, *count * sizeof(out[0]));
	return 0;
}

static int set_op(struct peers_change *c, enum peers_op op, const char *value, const char *flag, struct jn_error *err)
{
	if (c->op != PEERS_KEEP)
		return jn_error_set(err, JN_ERR_INVALID_ENV, "give one of --set, --add and --remove");
	c->op = op;
	return parse_list("peers", value, flag, c->list, &c->count, err);
}

static int parse_args(int argc, char **argv, struct peers_change *c, struct jn_error *err)
{
	static const struct option options[] = {
		{ "network", required_argument, NULL, 'n' }, { "set", required_argument, NULL, 's' },
		{ "add", required_argument, NULL, 'a' },     { "remove", required_argument, NULL, 'r' },
		{ "routers", required_argument, NULL, 'R' }, { NULL, 0, NULL, 0 },
	};
	int opt, rc = 0;

	optind = 1;
	opterr = 0;
	while (rc == 0 && (opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt == 'n')
			c->network = optarg;
		else if (opt == 's')
			rc = set_op(c, PEERS_SET, optarg, "--set", err);
		else if (opt == 'a')
			rc = set_op(c, PEERS_ADD, optarg, "--add", err);
		else if (opt == 'r')
			rc = set_op(c, PEERS_REMOVE, optarg, "--remove", err);
		else if (opt == 'R') {
			c->set_routers = true;
			rc = parse_list("routers", optarg, "--routers", c->routers, &c->router_count, err);
		} else
			return ctl_option_error(argv, options, err);
	}
	if (rc < 0)
		return -1;
	if (optind != argc - 1)
		return jn_error_set(err, JN_ERR_INVALID_ENV, optind < argc ? "one group, please" : "which group?");
	c->group = argv[optind];
	if (!names_is_valid_id(c->group) || (c->network != NULL && !names_is_valid_id(c->network)))
		return jn_error_set(err, JN_ERR_INVALID_ENV, "\"%.64s\" is not a group or network name",
				    names_is_valid_id(c->group) ? c->network : c->group);
	return 0;
}

static void print_list(const char *label, const struct jn_prefix *list, size_t count)
{
	char text[JN_ADDR_STRLEN];

	printf("  %s ", label);
	for (size_t i = 0; i < count; i++)
		printf("%s%s", i ? "," : "", prefix_format(&list[i], text));
	printf("%s", count ? "" : "-");
}

static void print_member(const struct attachment *a, void *ctx)
{
	struct peers_print *p = ctx;
	const struct jobfacts *f = &a->facts;

	if (p->json) {
		json_array_append_new(p->list,
				      json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "network", a->network,
						"containerID", a->container_id, "ifname", a->ifname, "group", f->group,
						"role", facts_role_name(f->role), "peers",
						facts_prefixes_to_json(f->peers, f->peer_count), "routers",
						facts_prefixes_to_json(f->routers, f->router_count)));
		return;
	}
	printf("%s/%s:%s %s", a->network, a->container_id, a->ifname, facts_role_name(f->role));
	print_list("peers", f->peers, f->peer_count);
	print_list("routers", f->routers, f->router_count);
	printf("\n");
}

int ctl_peers(int argc, char **argv, struct ctl_options *opts)
{
	cleanup_free struct peers_change *c = calloc(1, sizeof(*c));
	cleanup_json json_t *list = json_array();
	struct peers_print print = { .json = opts->json, .list = list };
	struct jn_error err = { 0 };

	if (c == NULL || list == NULL) {
		ctl_error("out of memory");
		return CTL_EXIT_FAIL;
	}
	if (parse_args(argc, argv, c, &err) < 0)
		return ctl_usage_error(PEERS_USAGE, "%s", err.msg);
	if (peers_apply(&opts->state_dirs, c, print_member, &print, &err) < 0) {
		ctl_error_record(&err);
		return CTL_EXIT_FAIL;
	}
	if (opts->json && ctlout_print_json(list, JSON_INDENT(2)) < 0)
		return ctl_out_of_memory();
	return CTL_EXIT_OK;
}
