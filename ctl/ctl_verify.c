/* jobnetctl verify: compare the state with the kernel and print each drift,
 * one line each; exit 1 when there is any. It changes nothing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/names.h"
#include "core/clusterroutes.h"
#include "core/ipam.h"
#include "kernel/link.h"
#include "core/netrecord.h"
#include "core/policy.h"
#include "core/ports.h"
#include "core/scan.h"
#include "core/verify.h"
#include "ctl/ctl.h"
#include "ctl/ctlout.h"
#include "ctl/ctlstate.h"

struct verify_run {
	const char *state_dir;
	bool json;
	json_t *list;
	size_t drifts;
	size_t attachments;
	size_t problems; /* state that did not open or read (on stderr) */
	struct known known;
	const char *where; /* the network or attachment being looked at */
};

static void drift(struct verify_run *run, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void drift(struct verify_run *run, const char *where, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	run->drifts++;
	if (run->json)
		json_array_append_new(
			run->list,
			json_pack("{s:o, s:o}", "where", ctlout_json_string(where), "drift", ctlout_json_string(text)));
	else
		printf("drift: %s: %s\n", where, text);
}

static void on_network_element(void *ctx, const char *what)
{
	struct verify_run *run = ctx;

	drift(run, run->where, "nftables element missing: %s", what);
}

struct network_visit {
	struct verify_run *run;
	const char *name;
	struct netrecord rec;
	bool have_rec;
};

static int verify_record(struct state_network *net, const char *key, void *data)
{
	struct network_visit *v = data;
	struct jn_error err = { 0 };
	struct drifts drifts = { .count = 0 };
	struct attachment a;
	char where[JN_ID_MAX + JN_ATTACHMENT_KEY_MAX + 2];

	snprintf(where, sizeof(where), "%s/%s", v->name, key);
	v->run->attachments++;
	if (state_read_attachment_key(net, key, &a, &err) < 0) {
		drift(v->run, where, "%s", jn_error_errnum(&err) == ENOENT ? "the record vanished" : err.msg);
		return 0;
	}
	if (!state_copy_agrees(net, key, &a))
		drift(v->run, where, "the copy kept beside the record is damaged or differs");
	if (!a.complete)
		drift(v->run, where, "the ADD never finished (DEL it, or jobnetctl gc)");
	else if (strcmp(a.mode, "bridge") == 0 && !v->have_rec)
		drift(v->run, where, "the network record is missing");
	else if (verify_attachment(v->run->state_dir, net, &v->rec, &a, a.netns, &drifts, &err) < 0)
		drift(v->run, where, "cannot verify: %s", err.msg);
	for (size_t i = 0; i < drifts.count; i++)
		drift(v->run, where, "%s", drifts.items[i]);
	attachment_free(&a);
	return 0;
}

static int verify_reservation(struct state_network *net, const char *address, const char *owner, void *data)
{
	struct network_visit *v = data;

	if (!state_has_record(net, owner))
		drift(v->run, v->name, "address %s is reserved by %s, which has no record", address, owner);
	return 0;
}

static void on_network_drift(void *ctx, const char *what)
{
	struct verify_run *run = ctx;

	drift(run, run->where, "%s", what);
}

/* The network's cluster routes in the node's main table. */
static void verify_routes(struct verify_run *run, const struct netrecord *rec)
{
	cleanup_nl_sock struct nl_sock *sk = NULL;
	struct jn_error err = { 0 };

	if (rec->cluster.route_count == 0)
		return;
	if (link_socket_open(&sk, &err) < 0 || clusterroutes_verify(sk, rec, on_network_drift, run, &err) < 0)
		drift(run, run->where, "cannot verify its cluster routes: %s", err.msg);
}

static int verify_network(const char *state_dir, struct state_network *net, const char *name, void *ctx)
{
	struct network_visit v = { .run = ctx, .name = name };
	struct jn_error err = { 0 };

	v.run->state_dir = state_dir;
	if (netrecord_read(net, &v.rec, &v.have_rec, &err) < 0)
		drift(v.run, name, "%s", err.msg);
	v.run->where = name;
	if (v.have_rec && policy_verify(v.run->state_dir, &v.rec, NULL, on_network_element, v.run, &err) < 0)
		drift(v.run, name, "cannot verify its elements: %s", err.msg);
	if (v.have_rec)
		verify_routes(v.run, &v.rec);
	jn_error_clear(&err);
	if (state_each_attachment(net, verify_record, &v, &err) < 0)
		drift(v.run, name, "cannot list its records: %s", err.msg);
	jn_error_clear(&err);
	if (ipam_each(net, verify_reservation, &v, &err) < 0)
		drift(v.run, name, "cannot list its reservations: %s", err.msg);
	return 0;
}

static void verify_link(const char *name, int master_ifindex, void *ctx)
{
	struct verify_run *run = ctx;

	(void)master_ifindex;
	if (names_is_host_veth(name) && !namelist_has(&run->known.veths, name))
		drift(run, "node", "link %s belongs to no attachment", name);
}

static void verify_claim(const char *owner, const char *claim, void *ctx)
{
	struct verify_run *run = ctx;

	if (!namelist_has(&run->known.owners, owner))
		drift(run, "node", "host port %s is claimed by %s, which has no record", claim, owner);
}

static void on_rule_drift(void *ctx, const char *what)
{
	drift(ctx, "node", "%s", what);
}

static void on_orphan(void *ctx, const char *what)
{
	drift(ctx, "node", "nftables element %s, which no record explains", what);
}

/* Job elements and pairs no record explains (from a job that died with a
 * killed process, or put in by hand). With several state directories the
 * tables hold the jobs of all: one directory's records cannot tell. */
static void verify_orphans(struct verify_run *run, const struct ctl_options *opts)
{
	struct jn_error err = { 0 };
	bool judged;

	if (opts->state_dirs.count != 1)
		return;
	if (policy_orphans(opts->state_dirs.items[0], NULL, on_orphan, run, &judged, &err) < 0)
		drift(run, "node", "cannot look for elements no record explains: %s", err.msg);
}

static void on_orphan_route(void *ctx, const struct route_spec *route, const struct jn_error *failure)
{
	char text[ROUTE_TEXT_MAX];

	(void)failure;
	drift(ctx, "node", "cluster route %s (protocol %d) belongs to no network", route_format(route, text),
	      ROUTE_PROTOCOL_JOBNET);
}

static void verify_rules(struct verify_run *run, const char *state_dir)
{
	struct jn_error err = { 0 };

	if (policy_verify_rules(state_dir, on_rule_drift, run, &err) < 0)
		drift(run, "node", "cannot compare the rules: %s", err.msg);
}

/* Links and claims no record owns: only when every record read. */
static void verify_leftovers(struct verify_run *run, const struct ctl_options *opts)
{
	cleanup_nl_sock struct nl_sock *sk = NULL;
	struct jn_error err = { 0 };

	for (size_t i = 0; i < opts->state_dirs.count; i++)
		if (known_scan(opts->state_dirs.items[i], &run->known, &err) < 0)
			break;
	if (jn_error_is_set(&err) || run->known.unreadable > 0) {
		ctl_error("leftovers not judged: %s",
			  jn_error_is_set(&err) ? err.msg : run->known.first_unreadable.msg);
		run->problems++;
		return;
	}
	verify_orphans(run, opts);
	if (link_socket_open(&sk, &err) < 0 || link_each(sk, verify_link, run, &err) < 0)
		drift(run, "node", "cannot list the links: %s", err.msg);
	jn_error_clear(&err);
	if (sk != NULL &&
	    clusterroutes_orphans(opts->state_dirs.items, opts->state_dirs.count, sk, false, on_orphan_route, run,
				  &err) < 0)
		drift(run, "node", "cannot list jobnet's routes: %s", err.msg);
	for (size_t i = 0; i < opts->state_dirs.count; i++) {
		jn_error_clear(&err);
		if (ports_each_claim(opts->state_dirs.items[i], verify_claim, run, &err) < 0)
			drift(run, "node", "cannot list the host port claims: %s", err.msg);
	}
}

int ctl_verify(int argc, char **argv, struct ctl_options *opts)
{
	struct verify_run run = { .json = opts->json };
	cleanup_json json_t *list = json_array();

	if (argc > 1)
		return ctl_usage_error("jobnetctl verify [--json]", "unexpected argument \"%s\"", argv[1]);
	run.list = list;
	if (ctlstate_each_network(opts, false, verify_network, &run) < 0)
		run.problems++;
	for (size_t i = 0; i < opts->state_dirs.count; i++)
		verify_rules(&run, opts->state_dirs.items[i]);
	verify_leftovers(&run, opts);
	known_free(&run.known);
	if (opts->json) {
		if (list == NULL || ctlout_print_json(list, JSON_INDENT(2)) < 0)
			return ctl_out_of_memory();
	} else {
		printf("%zu attachment(s), %zu drift(s)\n", run.attachments, run.drifts);
	}
	return run.drifts || run.problems ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
