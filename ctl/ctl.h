/* jobnetctl: the operator's view of jobnet. One file per subcommand,
 * dispatched through the table in jobnetctl.c.
 */
#ifndef JOBNET_CTL_H
#define JOBNET_CTL_H

#include <stdbool.h>
#include <stddef.h>

/* Exit codes: 0 fine, 1 a finding (drift) or a failure, 2 bad invocation. */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2

struct ctl_options {
	const char *state_dir;
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

/* Print "jobnetctl: <message>" to stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* What gc and repair do, one line each ("<done_word>: ..." or
 * "failed: ..."), counted. */
struct ctl_tally {
	const char *done_word;
	size_t done, failures;
};
void ctl_tally(struct ctl_tally *t, bool failed, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Usage problem: print it and the subcommand's usage; returns CTL_EXIT_USAGE. */
int ctl_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
