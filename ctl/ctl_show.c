/* jobnetctl show CONTAINER: everything jobnet knows of one attachment (or of
 * each attachment of that container), and its nftables elements as the
 * kernel lists them. A unique prefix of the container ID is enough. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "core/policy.h"
#include "base/service.h"
#include "ctl/ctl.h"
#include "ctl/ctlout.h"
#include "ctl/ctlstate.h"

#define SHOW_USAGE "jobnetctl show CONTAINER [--json]"

struct show_run {
	const char *wanted;
	bool json;
	size_t shown;
	size_t failed; /* attachments shown without their elements */
	json_t *list;
};

static void print_facts(const struct jobfacts *f)
{
	char peer[JN_ADDR_STRLEN];

	printf("facts:      group %s, %s, ", f->group[0] ? f->group : "(none)",
	       f->multinode ? "multinode" : "single-node");
	if (f->total_blocks)
		printf("%u of %u blocks, ", f->blocks, f->total_blocks);
	else
		printf("whole instance, ");
	printf("role %s", facts_role_name(f->role));
	for (size_t i = 0; i < f->route_count; i++)
		printf("%s%s", i ? "," : ", routes ", f->routes[i]);
	for (size_t i = 0; i < f->peer_count; i++)
		printf("%s%s", i ? "," : ", peers ", prefix_format(&f->peers[i], peer));
	for (size_t i = 0; i < f->router_count; i++)
		printf("%s%s", i ? "," : ", routers ", prefix_format(&f->routers[i], peer));
	printf("\n");
}

static void print_network_side(const struct attachment *a)
{
	char addr[JN_ADDR_STRLEN], gw[JN_ADDR_STRLEN], mac[18];

	printf("addresses: ");
	for (size_t i = 0; i < a->addr_count; i++)
		printf(" %s via %s", prefix_format(&a->addrs[i], addr), addr_format(&a->gateways[i], gw));
	names_format_mac(a->mac, mac);
	printf("%s\nhost veth:  %s on %s (job MAC %s)\n", a->addr_count ? "" : " -",
	       a->host_veth[0] ? a->host_veth : "-", a->bridge[0] ? a->bridge : "-", mac);
	printf("ports:     ");
	for (size_t i = 0; i < a->map_count; i++) {
		char text[96];
		portmap_describe(&a->maps[i], text, sizeof(text));
		printf(" %s -> %u%s", text, a->maps[i].container_port, i + 1 < a->map_count ? "," : "");
	}
	printf("%s\nrelay:      %s", a->map_count ? "" : " -", a->relay.pid ? "" : "-");
	if (a->relay.pid)
		printf("pid %d (%s)", a->relay.pid, relay_is_alive(&a->relay) ? "running" : "not running");
	printf("\n");
}

static void print_element(void *ctx, const char *line)
{
	json_t *list = ctx;

	if (list != NULL)
		json_array_append_new(list, ctlout_json_string(line));
	else
		printf("  %s\n", line);
}

static void print_text(struct show_run *run, const char *state_dir, const struct attachment *a)
{
	struct jn_error err = { 0 };
	char when[32];
	time_t created = (time_t)a->created;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&created));
	printf("%scontainer:  %s\nifname:     %s\nnetwork:    %s\nnamespace:  %s\n", run->shown ? "\n" : "",
	       a->container_id, a->ifname, a->network, a->netns[0] ? a->netns : "-");
	printf("mode:       %s%s (decision %s, rule %s: %s)\n", a->mode, a->complete ? "" : ", ADD unfinished",
	       a->decision, a->rule[0] ? a->rule : "-", a->reason);
	print_facts(&a->facts);
	print_network_side(a);
	printf("created:    %s\nelements:%s\n", when, strcmp(a->mode, "bridge") ? " none (host mode)" : "");
	if (policy_show_elements(state_dir, a, print_element, NULL, &err) < 0) {
		printf("  (cannot list them)\n");
		fflush(stdout);
		ctl_error("%s/%s: cannot list its elements: %s", a->container_id, a->ifname, err.msg);
		run->failed++;
	}
}

/* The attachment's record with its elements, appended to run->list. */
static void append_json(struct show_run *run, const char *state_dir, const struct attachment *a)
{
	struct jn_error err = { 0 };
	json_t *j = attachment_to_json(a), *elements = json_array();

	if (j == NULL || elements == NULL || json_object_set_new(j, "elements", elements) < 0 ||
	    json_array_append_new(run->list, j) < 0) {
		ctl_error("%s/%s: out of memory", a->container_id, a->ifname);
		run->failed++;
		return;
	}
	if (policy_show_elements(state_dir, a, print_element, elements, &err) < 0) {
		ctl_error("%s/%s: cannot list its elements: %s", a->container_id, a->ifname, err.msg);
		run->failed++;
	}
}

static int show_one(const char *state_dir, const struct attachment *a, void *data)
{
	struct show_run *run = data;

	if (strncmp(a->container_id, run->wanted, strlen(run->wanted)) != 0)
		return 0;
	if (run->json)
		append_json(run, state_dir, a);
	else
		print_text(run, state_dir, a);
	run->shown++;
	return 0;
}

int ctl_show(int argc, char **argv, struct ctl_options *opts)
{
	struct show_run run = { .json = opts->json };
	cleanup_json json_t *list = NULL;
	int rc;

	if (argc < 2)
		return ctl_usage_error(SHOW_USAGE, "which container?");
	if (argc > 2)
		return ctl_usage_error(SHOW_USAGE, "unexpected argument \"%s\"", argv[2]);
	if (argv[1][0] == '-')
		return ctl_usage_error(SHOW_USAGE, "unknown option \"%s\"", argv[1]);
	if (argv[1][0] == '\0' || strlen(argv[1]) > JN_ID_MAX)
		return ctl_usage_error(SHOW_USAGE, "\"%s\" is not a container ID", argv[1]);
	run.wanted = argv[1];
	run.list = list = json_array();
	if (list == NULL)
		return ctl_out_of_memory();
	rc = ctlstate_each(opts, show_one, &run);
	if (run.shown == 0) {
		ctl_error("no attachment of container \"%s\"", argv[1]);
		return CTL_EXIT_FAIL;
	}
	if (opts->json && ctlout_print_json(list, JSON_INDENT(2)) < 0)
		return ctl_out_of_memory();
	return rc < 0 || run.failed > 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
