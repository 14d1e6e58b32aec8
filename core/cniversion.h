/* CNI specification versions jobnet speaks. */
#ifndef JOBNET_CNIVERSION_H
#define JOBNET_CNIVERSION_H

#include <stdbool.h>

#include <jansson.h>

#define JN_CNI_VERSION_LATEST "1.1.0"

bool cniversion_is_supported(const char *version);
/* version >= minimum, both "x.y.z"; false for unparsable versions. */
bool cniversion_at_least(const char *version, const char *minimum);
/* The supported versions as a JSON array (new reference). */
json_t *cniversion_supported_list(void);
/* "0.3.0, 0.3.1, ..." for messages. */
const char *cniversion_supported_text(void);

#endif
