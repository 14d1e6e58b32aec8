/* A growable string for building nftables text and reports. An allocation
 * failure is remembered and reported once by strbuf_failed(). */
#ifndef JOBNET_STRBUF_H
#define JOBNET_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *data;
	size_t len;
	size_t cap;
	bool failed;
};

#define STRBUF_INIT               \
	{                         \
		NULL, 0, 0, false \
	}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_append(struct strbuf *sb, const char *text);
bool strbuf_failed(const struct strbuf *sb);
/* The text so far ("" when empty). */
const char *strbuf_text(const struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);

static inline void strbuf_freep(struct strbuf *sb)
{
	strbuf_free(sb);
}
#define cleanup_strbuf __attribute__((cleanup(strbuf_freep)))

#endif
