/* jobnetctl prints what it finds in the state directory and the kernel:
 * file names, symlink targets, interface names. Any of them may have been
 * written by someone else, so stdout and stderr pass through a filter that
 * prints a byte outside printable ASCII (newline and tab aside) as \xNN: no
 * terminal escape, no invalid UTF-8 reaches the operator. jobnet's own
 * names are plain ASCII, so nothing jobnet made is changed.
 *
 * JSON output is printed with \u escapes for everything else, which the
 * filter passes as they are: --json output stays valid JSON whatever the
 * names hold. */
#include "ctl/ctlout.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static const char hex[] = "0123456789abcdef";

static bool is_plain(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t';
}

static ssize_t write_escaped(void *cookie, const char *buf, size_t size)
{
	int fd = (int)(long)cookie;
	char out[4096];
	size_t used = 0;

	for (size_t i = 0; i < size; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (used + 4 > sizeof(out)) {
			if (write_all(fd, out, used) < 0)
				return -1;
			used = 0;
		}
		if (is_plain(c)) {
			out[used++] = (char)c;
		} else {
			out[used++] = '\\';
			out[used++] = 'x';
			out[used++] = hex[c >> 4];
			out[used++] = hex[c & 15];
		}
	}
	return write_all(fd, out, used) < 0 ? -1 : (ssize_t)size;
}

static FILE *escaping_stream(int fd, int buffering)
{
	cookie_io_functions_t io = { .write = write_escaped };
	FILE *f = fopencookie((void *)(long)fd, "w", io);

	if (f != NULL)
		setvbuf(f, NULL, buffering, 0);
	return f;
}

void ctlout_install(void)
{
	FILE *out = escaping_stream(STDOUT_FILENO, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF);
	FILE *err = escaping_stream(STDERR_FILENO, _IOLBF);

	/* Without memory for a stream the plain one stays: printing still works. */
	if (out != NULL)
		stdout = out;
	if (err != NULL)
		stderr = err;
}

json_t *ctlout_json_string(const char *text)
{
	cleanup_free char *spelled = NULL;
	json_t *s = json_string(text);
	size_t used = 0;

	if (s != NULL)
		return s;
	/* Not UTF-8: spelled as the streams would print it. */
	spelled = malloc(strlen(text) * 4 + 1);
	if (spelled == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f) {
			spelled[used++] = (char)*p;
			continue;
		}
		spelled[used++] = '\\';
		spelled[used++] = 'x';
		spelled[used++] = hex[*p >> 4];
		spelled[used++] = hex[*p & 15];
	}
	spelled[used] = '\0';
	return json_string(spelled);
}

int ctlout_print_json(const json_t *value, size_t flags)
{
	/* JSON_ENSURE_ASCII escapes everything above 0x7f and jansson every
	 * control character; DEL alone is left to spell. */
	cleanup_free char *text = json_dumps(value, flags | JSON_ENSURE_ASCII);

	if (text == NULL)
		return -1;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == 0x7f)
			fputs("\\u007f", stdout);
		else
			fputc(*p, stdout);
	}
	fputc('\n', stdout);
	return 0;
}
