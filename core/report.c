#include "core/report.h"

#include <stdarg.h>
#include <stdio.h>

static void emit(struct report *r, enum report_kind kind, const char *text)
{
	r->count[kind]++;
	if (r->line != NULL)
		r->line(r->ctx, kind, text);
}

void report_line(struct report *r, enum report_kind kind, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	emit(r, kind, text);
}

void report_failure(struct report *r, enum report_kind kind, const struct jn_error *failure, const char *fmt, ...)
{
	char what[512], text[512 + JN_ERROR_MSG_MAX + 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(text, sizeof(text), "%s: %s", what, failure->msg);
	jn_error_keep_first(&r->first, failure);
	emit(r, kind, text);
}

void report_error(struct report *r, enum report_kind kind, const struct jn_error *failure)
{
	char text[JN_ERROR_MSG_MAX + JN_ERROR_DETAILS_MAX + 4];

	jn_error_keep_first(&r->first, failure);
	/* The details say why (strerror) or what to do. */
	if (failure->details[0] != '\0')
		snprintf(text, sizeof(text), "%s (%s)", failure->msg, failure->details);
	else
		snprintf(text, sizeof(text), "%s", failure->msg);
	emit(r, kind, text);
}

int report_result(const struct report *r, struct jn_error *err)
{
	if (!report_has_problems(r))
		return 0;
	if (jn_error_keep_first(err, &r->first) < 0)
		return -1;
	return jn_error_set(err, JN_ERR_STATE, "%zu failure(s), %zu part(s) of the state unreadable",
			    r->count[REPORT_FAILED], r->count[REPORT_UNREADABLE]);
}
