/* What a sweep of the state (GC, jobnetctl gc and repair) tells its caller:
 * one line per thing done, failed, left or not read, counted. The caller
 * decides where the lines go (the plugin's log, jobnetctl's stdout and
 * stderr); the first failure is kept whole for the caller to report.
 */
#ifndef JOBNET_REPORT_H
#define JOBNET_REPORT_H

#include <stddef.h>

#include "base/error.h"

enum report_kind {
	REPORT_DONE, /* something removed or repaired */
	REPORT_FAILED, /* a step failed; the state stays for a later run */
	REPORT_LEFT, /* repair: an attachment only gc can remove */
	REPORT_NOTE, /* information, counted nowhere */
	REPORT_UNREADABLE, /* state that did not read: nothing it may own was removed */
};

#define REPORT_KINDS 5

typedef void (*report_line_fn)(void *ctx, enum report_kind kind, const char *text);

struct report {
	report_line_fn line; /* NULL: lines are only counted */
	void *ctx;
	size_t count[REPORT_KINDS];
	struct jn_error first; /* the first failure or unreadable state */
};

void report_line(struct report *r, enum report_kind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A failed step: "<what>: <failure's message>", kept as r->first when it
 * is the first. */
void report_failure(struct report *r, enum report_kind kind, const struct jn_error *failure, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A failure or unreadable state whose message says it all (its details
 * follow in parentheses). */
void report_error(struct report *r, enum report_kind kind, const struct jn_error *failure);

/* Whether anything failed or did not read. */
static inline int report_has_problems(const struct report *r)
{
	return r->count[REPORT_FAILED] > 0 || r->count[REPORT_UNREADABLE] > 0;
}

/* 0 when nothing failed or went unread; else -1 with err holding the
 * first failure (unless err holds an error already). */
int report_result(const struct report *r, struct jn_error *err);

#endif
