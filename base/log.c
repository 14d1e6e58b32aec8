#include "base/log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char log_context[320];
static int log_fd = -1;
static const char *log_program = "jobnet";

static void flatten(char *text);

void log_set_context(const char *command, const char *container_id, const char *ifname)
{
	snprintf(log_context, sizeof(log_context), "%s%s%s%s%s", command, container_id[0] ? " " : "", container_id,
		 ifname[0] ? "/" : "", ifname);
	flatten(log_context);
}

void log_open_file(const char *path)
{
	log_close();
	log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log_fd < 0)
		fprintf(stderr, "jobnet: cannot open logFile \"%s\": %m\n", path);
}

void log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

void log_set_program(const char *name)
{
	log_program = name;
}

/* A control byte in a message (from a namespace path, say) becomes '?': one
 * message stays one line, and no escape sequence reaches a terminal. */
static void flatten(char *text)
{
	for (unsigned char *p = (unsigned char *)text; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static void log_line(const char *level, int to_stderr, const char *fmt, va_list ap)
{
	char body[1024], stamp[32];
	struct timespec now;
	struct tm tm;

	vsnprintf(body, sizeof(body), fmt, ap);
	flatten(body);
	if (to_stderr)
		fprintf(stderr, "%s: %s: %s%s%s\n", log_program, level, log_context, log_context[0] ? ": " : "", body);
	if (log_fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	dprintf(log_fd, "%s.%03ldZ jobnet[%d] %s %s: %s\n", stamp, now.tv_nsec / 1000000, (int)getpid(), level,
		log_context, body);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("info", 0, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("warning", 1, fmt, ap);
	va_end(ap);
}
