#include "base/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(struct strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	char *bigger;

	if (sb->failed)
		return false;
	if (want <= sb->cap)
		return true;
	if (want < 256)
		want = 256;
	if (want < sb->cap * 2)
		want = sb->cap * 2;
	bigger = realloc(sb->data, want);
	if (bigger == NULL) {
		sb->failed = true;
		return false;
	}
	sb->data = bigger;
	sb->cap = want;
	return true;
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(sb, (size_t)n)) {
		sb->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void strbuf_append(struct strbuf *sb, const char *text)
{
	size_t n = strlen(text);

	if (!reserve(sb, n))
		return;
	memcpy(sb->data + sb->len, text, n + 1);
	sb->len += n;
}

bool strbuf_failed(const struct strbuf *sb)
{
	return sb->failed;
}

const char *strbuf_text(const struct strbuf *sb)
{
	return sb->data != NULL ? sb->data : "";
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->data != NULL)
		sb->data[0] = '\0';
}

void strbuf_free(struct strbuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
	sb->failed = false;
}
