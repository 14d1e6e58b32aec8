/* Cheap questions to nf_tables over netlink (libmnl), where libnftables
 * would fetch and parse a whole table with all its elements.
 */
#ifndef JOBNET_NFQUERY_H
#define JOBNET_NFQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Whether table `name` of `family` (NFPROTO_*) exists and, if so, its
 * comment (empty when none) into comment[size]. */
int nfquery_table(uint8_t family, const char *name, bool *exists, char *comment, size_t size, struct jn_error *err);

#endif
