/* CNI_ARGS: "K=V;K=V". A pair without '=' is an error; a key that is not
 * known is an error unless IgnoreUnknown is 1 or true. Errors are code 4
 * (invalid environment) and quote the offending pair.
 */
#ifndef JOBNET_CNIARGS_H
#define JOBNET_CNIARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

#define JN_CNIARGS_MAX_PAIRS 64

struct cniargs_pair {
	char *key;
	char *value;
};

struct cniargs {
	struct cniargs_pair pairs[JN_CNIARGS_MAX_PAIRS];
	size_t count;
	bool ignore_unknown;
};

/* known: a NULL-terminated list of NULL-terminated lists of the keys the
 * caller consumes (each module lists its own). */
int cniargs_parse(const char *text, const char *const *const *known, struct cniargs *out, struct jn_error *err);

/* The value of key, or NULL. */
const char *cniargs_get(const struct cniargs *args, const char *key);

void cniargs_free(struct cniargs *args);

#endif
