/* Small jansson helpers shared by the parsers. */
#ifndef JOBNET_JSONUTIL_H
#define JOBNET_JSONUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/error.h"

#define JN_JSON_QUOTE_MAX 96

/* Compact JSON text of value for an error message, cut to fit buf. */
const char *jsonutil_quote(const json_t *value, char buf[JN_JSON_QUOTE_MAX]);

/* Type checks that fill err (code JN_ERR_INVALID_CONFIG) naming `what`. */
int jsonutil_want_string(const json_t *value, const char *what, const char **out, struct jn_error *err);
int jsonutil_want_bool(const json_t *value, const char *what, bool *out, struct jn_error *err);
int jsonutil_want_object(const json_t *value, const char *what, struct jn_error *err);
int jsonutil_want_array(const json_t *value, const char *what, struct jn_error *err);
/* An array whose every element is a string. */
int jsonutil_want_string_array(const json_t *value, const char *what, struct jn_error *err);
/* An integer in [min, max]. */
int jsonutil_want_int(const json_t *value, const char *what, long long min, long long max, long long *out,
		      struct jn_error *err);

/* The member of obj whose name is key ignoring ASCII case, as Go's
 * encoding/json matches a struct's fields (runtimes written in Go send the
 * capabilities' keys as their structs spell them): 1 with *out when one
 * member matches, 0 when none does (or obj is not an object), -1 with
 * error 7 naming both spellings when two do. */
int jsonutil_get_folded(const json_t *obj, const char *key, const char *what, json_t **out, struct jn_error *err);

/* Serialize compactly; returns malloc'd text or NULL. */
char *jsonutil_dump(const json_t *value);

#endif
