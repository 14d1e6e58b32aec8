/* jobnetctl: global options, then one subcommand from the table below; the
 * table also prints the usage. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "core/netconf.h"
#include "netpolicy/nfsock.h"
#include "netpolicy/nftrun.h"
#include "ctl/ctl.h"
#include "ctl/ctlconf.h"
#include "ctl/ctlout.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct ctl_options *opts);
	bool reads_state; /* walks opts->state_dirs */
	bool has_json; /* takes --json */
	const char *description;
} subcommands[] = {
	{ "attach", ctl_attach, false, true, "run jobnet's ADD for a container, as a runtime would (Docker, scripts)" },
	{ "decide", ctl_decide, false, true, "say whether a job with these facts gets host or bridge networking" },
	{ "detach", ctl_detach, false, true, "run jobnet's DEL for a container attach attached" },
	{ "gc", ctl_gc, true, false, "remove attachments whose namespace is gone, and leftovers nothing owns" },
	{ "list", ctl_list, true, true, "list the attachments jobnet has recorded" },
	{ "matrix", ctl_matrix, true, true, "probe who reaches whom among the attached jobs and the node" },
	{ "peers", ctl_peers, true, true, "show or change the peers and routers of a group's members on this node" },
	{ "repair", ctl_repair, true, false, "make the kernel match the state again: tables, elements, links, relays" },
	{ "show", ctl_show, true, true, "everything known of one attachment, with its nftables elements" },
	{ "verify", ctl_verify, true, true, "compare the state with the kernel and print every drift (exit 1 if any)" },
	{ "version", ctl_version, false, true, "print jobnet's version and the CNI versions it speaks" },
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

void ctl_error_record(const struct jn_error *err)
{
	if (err->details[0] != '\0')
		ctl_error("%s (%s)", err->msg, err->details);
	else
		ctl_error("%s", err->msg);
}

void ctl_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("jobnetctl: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void ctl_report_line(void *ctx, enum report_kind kind, const char *text)
{
	switch (kind) {
	case REPORT_DONE:
		printf("%s: %s\n", (const char *)ctx, text);
		break;
	case REPORT_FAILED:
		printf("failed: %s\n", text);
		break;
	case REPORT_LEFT:
		printf("left for gc: %s\n", text);
		break;
	case REPORT_NOTE:
		printf("%s\n", text);
		break;
	case REPORT_UNREADABLE:
		fflush(stdout);
		ctl_error("%s", text);
		break;
	}
}

int ctl_out_of_memory(void)
{
	ctl_error("out of memory");
	return CTL_EXIT_FAIL;
}

/* The option of the table an element "--NAME" (or a prefix of it) names,
 * when its value is optopt. */
static const struct option *named_option(const char *element, const struct option *options)
{
	size_t len = strlen(element + 2);

	for (const struct option *o = options; o->name != NULL; o++)
		if (o->val == optopt && len > 0 && strncmp(o->name, element + 2, len) == 0)
			return o;
	return NULL;
}

int ctl_option_error(char **argv, const struct option *options, struct jn_error *err)
{
	const char *element = argv[optind - 1];
	const struct option *o;

	/* glibc sets optopt to the option's value when a long option lacks
	 * its argument, to the character for an unknown short option (whose
	 * element optind may not have passed yet), and to 0 for an unknown
	 * or ambiguous long option. */
	if (optopt != 0 && strncmp(element, "--", 2) == 0 && strchr(element, '=') == NULL &&
	    (o = named_option(element, options)) != NULL && o->has_arg == required_argument)
		return jn_error_set(err, JN_ERR_INVALID_ENV, "option \"--%s\" needs a value", o->name);
	if (optopt != 0)
		return jn_error_set(err, JN_ERR_INVALID_ENV, "unknown option \"-%c\"", optopt);
	return jn_error_set(err, JN_ERR_INVALID_ENV, "unknown or ambiguous option \"%.64s\"", element);
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
	fprintf(out,
		"usage: jobnetctl [--state-dir DIR | --conf-dir DIR] [--json] <command> [arguments]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].description);
	fprintf(out,
		"\nWithout --state-dir, the commands that read state read the \"stateDir\" of every jobnet\n"
		"network configured in --conf-dir (default %s; %s where none is set).\n",
		CTL_DEFAULT_CONF_DIR, JN_DEFAULT_STATE_DIR);
}

/* A global option that takes a directory, as "--NAME DIR" or
 * "--NAME=DIR": 1 when opt is not name, 0 when *slot is set, -1 when the
 * value is missing or empty (printed). */
static int global_dir(const char *name, int *argc, char ***argv, const char **slot)
{
	const char *opt = (*argv)[0], *value;
	size_t len = strlen(name);

	if (strncmp(opt, name, len) != 0 || (opt[len] != '\0' && opt[len] != '='))
		return 1;
	if (opt[len] == '=') {
		value = opt + len + 1;
	} else if (*argc > 1) {
		value = (*argv)[1];
		(*argc)--;
		(*argv)++;
	} else {
		ctl_error("option \"%s\" needs a directory", name);
		return -1;
	}
	if (value[0] == '\0') {
		ctl_error("invalid %s \"\": empty", name);
		return -1;
	}
	*slot = value;
	return 0;
}

/* Global options come before the subcommand; --json may also follow it. */
static int parse_globals(int *argc, char ***argv, struct ctl_options *opts)
{
	while (*argc > 0 && (*argv)[0][0] == '-') {
		const char *opt = (*argv)[0];
		int rc;
		if (strcmp(opt, "--json") == 0) {
			opts->json = true;
		} else if ((rc = global_dir("--state-dir", argc, argv, &opts->state_dir)) != 1 ||
			   (rc = global_dir("--conf-dir", argc, argv, &opts->conf_dir)) != 1) {
			if (rc < 0) {
				print_usage(stderr);
				return -1;
			}
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

/* --state-dir, else the stateDir of every jobnet network in --conf-dir. */
static int find_state_dirs(struct ctl_options *opts)
{
	struct jn_error err = { 0 };
	struct stat st;

	if (opts->state_dir != NULL) {
		/* A directory that is not there has no networks: gc would take
		 * every jobnet veth of the node for a leftover. */
		if (stat(opts->state_dir, &st) < 0) {
			ctl_error("--state-dir \"%s\": %s", opts->state_dir, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			ctl_error("--state-dir \"%s\" is not a directory", opts->state_dir);
			return -1;
		}
		if (namelist_add(&opts->state_dirs, opts->state_dir) == 0)
			return 0;
		jn_error_set(&err, JN_ERR_IO, "out of memory");
	} else if (ctlconf_state_dirs(opts->conf_dir, &opts->state_dirs, &err) == 0) {
		if (opts->state_dirs.count > 0)
			return 0;
		jn_error_set(&err, JN_ERR_INVALID_CONFIG, "no jobnet configuration in %s names a usable \"stateDir\"",
			     opts->conf_dir ? opts->conf_dir : CTL_DEFAULT_CONF_DIR);
	}
	ctl_error("%s; name the state directory with --state-dir", err.msg);
	return -1;
}

static int run_subcommand(size_t i, int argc, char **argv, struct ctl_options *opts)
{
	int rc;

	take_json_flag(&argc, argv, opts);
	if (opts->json && !subcommands[i].has_json) {
		ctl_error("%s takes no \"--json\": it prints text only", subcommands[i].name);
		print_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (subcommands[i].reads_state && find_state_dirs(opts) < 0)
		return CTL_EXIT_FAIL;
	rc = subcommands[i].fn(argc, argv, opts);
	namelist_free(&opts->state_dirs);
	return rc;
}

int main(int argc, char **argv)
{
	struct ctl_options opts = { .state_dir = NULL };
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
	/* The library's warnings reach the operator; its info lines do not. */
	log_set_program("jobnetctl");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[0], subcommands[i].name) == 0)
			return run_subcommand(i, argc, argv, &opts);
	ctl_error("unknown command \"%s\"", argv[0]);
	print_usage(stderr);
	return CTL_EXIT_USAGE;
}
