/* jobnetctl prints what it finds in the state directory and the kernel:
 * file names, symlink targets, interface names. Any of them may have been
 * written by someone else, so stdout and stderr pass through a filter that
 * prints a byte outside printable ASCII (newline and tab aside) as \xNN: no
 * terminal escape, no invalid UTF-8 reaches the operator. jobnet's own
 * names are plain ASCII, so nothing jobnet made is changed. */
#include "ctl/ctlout.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

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

static ssize_t write_escaped(void *cookie, const char *buf, size_t size)
{
	int fd = (int)(long)cookie;
	static const char hex[] = "0123456789abcdef";
	char out[4096];
	size_t used = 0;

	for (size_t i = 0; i < size; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (used + 4 > sizeof(out)) {
			if (write_all(fd, out, used) < 0)
				return -1;
			used = 0;
		}
		if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t') {
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
