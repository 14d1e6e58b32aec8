/* jobnetctl: the operator's view of jobnet. One file per subcommand,
 * dispatched through the table in jobnetctl.c.
 */
#ifndef JOBNET_CTL_H
#define JOBNET_CTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "core/report.h"
#include "core/scan.h"

/* Exit codes: 0 fine, 1 a finding (drift) or a failure, 2 bad invocation. */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2

struct ctl_options {
	const char *state_dir; /* --state-dir, or NULL */
	const char *conf_dir; /* --conf-dir, or NULL for /etc/cni/net.d */
	struct namelist state_dirs; /* what commands that read state walk */
	bool json;
};

int ctl_version(int argc, char **argv, struct ctl_options *opts);
int ctl_list(int argc, char **argv, struct ctl_options *opts);
int ctl_decide(int argc, char **argv, struct ctl_options *opts);
int ctl_show(int argc, char **argv, struct ctl_options *opts);
int ctl_verify(int argc, char **argv, struct ctl_options *opts);
int ctl_repair(int argc, char **argv, struct ctl_options *opts);
int ctl_gc(int argc, char **argv, struct ctl_options *opts);
int ctl_matrix(int argc, char **argv, struct ctl_options *opts);
int ctl_attach(int argc, char **argv, struct ctl_options *opts);
int ctl_detach(int argc, char **argv, struct ctl_options *opts);
int ctl_peers(int argc, char **argv, struct ctl_options *opts);

/* Print "jobnetctl: <message>" to stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error record on stderr: its message, and its details when it has any. */
void ctl_error_record(const struct jn_error *err);
/* Print "jobnetctl: warning: <message>" to stderr. */
void ctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A report line of gc or repair: "<done_word>: ...", "failed: ...",
 * "left for gc: ..." or a note on stdout; unreadable state on stderr.
 * ctx is the done word. */
void ctl_report_line(void *ctx, enum report_kind kind, const char *text);

/* "jobnetctl: out of memory"; returns CTL_EXIT_FAIL. */
int ctl_out_of_memory(void);

/* getopt_long (with opterr 0) returned '?' for argv and options: fill err
 * quoting what it did not take, an unknown or ambiguous option or one
 * missing its value. Returns -1. */
int ctl_option_error(char **argv, const struct option *options, struct jn_error *err);

/* Usage problem: print it and the subcommand's usage; returns CTL_EXIT_USAGE. */
int ctl_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
