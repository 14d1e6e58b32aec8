/* Kernel settings through /proc/sys, in the namespace of the calling thread. */
#ifndef JOBNET_SYSCTL_H
#define JOBNET_SYSCTL_H

#include <stddef.h>

#include "base/error.h"

/* Read the first line of /proc/sys/<key> into out. */
int sysctl_read(const char *key, char *out, size_t size, struct jn_error *err);

/* Write value to /proc/sys/<key> unless it already holds it. */
int sysctl_ensure(const char *key, const char *value, struct jn_error *err);

#endif
