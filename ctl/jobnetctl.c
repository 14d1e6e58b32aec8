/* jobnetctl: global options, then one subcommand from the table below; the
 * table also prints the usage. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/netconf.h"
#include "netpolicy/nfsock.h"
#include "netpolicy/nftrun.h"
#include "ctl/ctl.h"
#include "ctl/ctlout.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct ctl_options *opts);
	const char *description;
} subcommands[] = {
	{ "decide", ctl_decide, "say whether a job with these facts gets host or bridge networking" },
	{ "gc", ctl_gc, "remove attachments whose namespace is gone, and leftovers nothing owns" },
	{ "list", ctl_list, "list the attachments jobnet has recorded" },
	{ "matrix", ctl_matrix, "probe who reaches whom among the attached jobs and the node" },
	{ "repair", ctl_repair, "make the kernel match the state again: tables, elements, links, relays" },
	{ "show", ctl_show, "everything known of one attachment, with its nftables elements" },
	{ "verify", ctl_verify, "compare the state with the kernel and print every drift (exit 1 if any)" },
	{ "version", ctl_version, "print jobnet's version and the CNI versions it speaks" },
};

void ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("jobnetctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void ctl_tally(struct ctl_tally *t, bool failed, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", failed ? "failed" : t->done_word);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (failed)
		t->failures++;
	else
		t->done++;
}

int ctl_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("jobnetctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", usage);
	return CTL_EXIT_USAGE;
}

static void print_usage(FILE *out)
{
	fprintf(out, "usage: jobnetctl [--state-dir DIR] [--json] <command> [arguments]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].description);
	fprintf(out, "\n--state-dir defaults to %s (the plugin's \"stateDir\").\n", JN_DEFAULT_STATE_DIR);
}

/* Global options come before the subcommand; --json may also follow it. */
static int parse_globals(int *argc, char ***argv, struct ctl_options *opts)
{
	while (*argc > 0 && (*argv)[0][0] == '-') {
		const char *opt = (*argv)[0];
		if (strcmp(opt, "--json") == 0) {
			opts->json = true;
		} else if (strcmp(opt, "--state-dir") == 0 && *argc > 1) {
			opts->state_dir = (*argv)[1];
			(*argc)--;
			(*argv)++;
		} else if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
			print_usage(stdout);
			return 1;
		} else {
			ctl_error("unknown option \"%s\"", opt);
			print_usage(stderr);
			return -1;
		}
		(*argc)--;
		(*argv)++;
	}
	return 0;
}

/* Drop a trailing --json from the subcommand's arguments. */
static void take_json_flag(int *argc, char **argv, struct ctl_options *opts)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--json") != 0)
			continue;
		opts->json = true;
		memmove(&argv[i], &argv[i + 1], sizeof(char *) * (size_t)(*argc - i));
		(*argc)--;
		i--;
	}
}

int main(int argc, char **argv)
{
	struct ctl_options opts = { .state_dir = JN_DEFAULT_STATE_DIR };
	int rc;

	ctlout_install();
	atexit(nftrun_release);
	atexit(nfsock_release);
	argc--;
	argv++;
	rc = parse_globals(&argc, &argv, &opts);
	if (rc != 0)
		return rc > 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	if (argc == 0) {
		print_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	log_set_quiet(1);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (strcmp(argv[0], subcommands[i].name) != 0)
			continue;
		take_json_flag(&argc, argv, &opts);
		return subcommands[i].fn(argc, argv, &opts);
	}
	ctl_error("unknown command \"%s\"", argv[0]);
	print_usage(stderr);
	return CTL_EXIT_USAGE;
}
