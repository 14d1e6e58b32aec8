/* Diagnostics for people: stderr and, when the configuration sets logFile,
 * that file. stdout is the runtime's and never carries a log line.
 */
#ifndef JOBNET_LOG_H
#define JOBNET_LOG_H

/* Set the context printed on every line ("ADD c1/eth0"). */
void log_set_context(const char *command, const char *container_id, const char *ifname);

/* Also append to path; failure to open is reported on stderr and ignored. */
void log_open_file(const char *path);

void log_close(void);

/* The program named on stderr lines ("jobnet" unless set): jobnetctl
 * names itself, so the library's warnings read "jobnetctl: warning: ...". */
void log_set_program(const char *name);

/* Info lines go to the log file only: a successful run is silent on stderr. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
