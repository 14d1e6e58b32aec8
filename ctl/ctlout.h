/* jobnetctl's output: every byte it prints is printable ASCII, a newline or
 * a tab (see ctlout.c), and its JSON stays valid JSON through that. */
#ifndef JOBNET_CTLOUT_H
#define JOBNET_CTLOUT_H

#include <stddef.h>

#include <jansson.h>

/* Replace stdout and stderr with streams that escape every byte outside
 * printable ASCII, newline and tab. Call first in main. */
void ctlout_install(void);

/* A JSON string of text, whatever its bytes: text itself when it is UTF-8,
 * otherwise with every byte outside printable ASCII spelled \xNN, as the
 * streams print it. NULL without memory. */
json_t *ctlout_json_string(const char *text);

/* Print value as JSON text (json_dumps flags) and a newline, every
 * character outside printable ASCII as a \u escape, so the filter leaves
 * it as it is. -1 without memory (nothing printed). */
int ctlout_print_json(const json_t *value, size_t flags);

#endif
