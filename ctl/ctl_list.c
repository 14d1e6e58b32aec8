/* jobnetctl list: one row per recorded attachment, read under each
 * network's lock like the plugin reads it. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "core/state.h"
#include "ctl/ctl.h"
#include "ctl/ctlout.h"
#include "ctl/ctlstate.h"

static void format_age(long long seconds, char *out, size_t size)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds < 120)
		snprintf(out, size, "%llds", seconds);
	else if (seconds < 7200)
		snprintf(out, size, "%lldm", seconds / 60);
	else if (seconds < 172800)
		snprintf(out, size, "%lldh", seconds / 3600);
	else
		snprintf(out, size, "%lldd", seconds / 86400);
}

static void print_addresses(const struct attachment *a, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < a->addr_count && len < size; i++) {
		char text[JN_ADDR_STRLEN];
		int n = snprintf(out + len, size - len, "%s%s", i ? "," : "", prefix_format(&a->addrs[i], text));
		if (n < 0)
			break;
		len += (size_t)n;
	}
	if (out[0] == '\0')
		snprintf(out, size, "-");
}

#define ROW_FORMAT "%-20.20s %-8.8s %-12.12s %-7.7s %-19.19s %-24.24s %-6.6s %-30.30s %-14.14s %-5s %s\n"

/* "tcp:8081->7000,udp:127.0.0.1:5353->53" */
static void print_ports(const struct attachment *a, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < a->map_count && len < size; i++) {
		const struct portmap *m = &a->maps[i];
		char ip[JN_ADDR_STRLEN + 3] = "";
		int n;
		if (m->host_ip.family != 0) {
			addr_format(&m->host_ip, ip);
			strcat(ip, ":");
		}
		n = snprintf(out + len, size - len, "%s%s:%s%u->%u", i ? "," : "",
			     m->proto == 17	     ? "udp"
				     : m->proto == 6 ? "tcp"
						     : "sctp",
			     ip, m->host_port, m->container_port);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	if (out[0] == '\0')
		snprintf(out, size, "-");
}

static int print_row(const char *state_dir, const struct attachment *a, void *data)
{
	(void)state_dir;
	long long now = *(long long *)data;
	char age[32], addrs[128], mode[16], ports[512];

	format_age(now - a->created, age, sizeof(age));
	print_addresses(a, addrs, sizeof(addrs));
	print_ports(a, ports, sizeof(ports));
	snprintf(mode, sizeof(mode), "%s%s", a->mode, a->complete ? "" : "*");
	printf(ROW_FORMAT, a->container_id, a->ifname, a->network, mode, a->rule[0] ? a->rule : "-",
	       a->facts.group[0] ? a->facts.group : "-", facts_role_name(a->facts.role), addrs,
	       a->host_veth[0] ? a->host_veth : "-", age, ports);
	return 0;
}

static int append_json(const char *state_dir, const struct attachment *a, void *data)
{
	(void)state_dir;
	json_t *list = data;

	if (json_array_append_new(list, attachment_to_json(a)) < 0) {
		ctl_error("out of memory listing %s/%s", a->container_id, a->ifname);
		return -1;
	}
	return 0;
}

int ctl_list(int argc, char **argv, struct ctl_options *opts)
{
	long long now = (long long)time(NULL);
	cleanup_json json_t *list = NULL;
	int rc;

	if (argc > 1)
		return ctl_usage_error("jobnetctl list [--json]", "unexpected argument \"%s\"", argv[1]);
	if (opts->json) {
		list = json_array();
		if (list == NULL)
			return ctl_out_of_memory();
		rc = ctlstate_each(opts, append_json, list);
		if (ctlout_print_json(list, JSON_INDENT(2)) < 0)
			return ctl_out_of_memory();
		return rc < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
	}
	printf(ROW_FORMAT, "CONTAINER", "IFNAME", "NETWORK", "MODE", "RULE", "GROUP", "ROLE", "ADDRESSES", "HOST-VETH",
	       "AGE", "PORTS");
	rc = ctlstate_each(opts, print_row, &now);
	return rc < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
