/* The elements of one set of jobnet's tables as the kernel holds them
 * (a netlink dump through libmnl): keys as raw register bytes, the form
 * nftwire.c encodes them in. For verify and GC, which must find elements
 * that no record explains, and for DEL, which removes every pair naming
 * the job whatever the index says.
 */
#ifndef JOBNET_NFDUMP_H
#define JOBNET_NFDUMP_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct nfdump_element {
	const uint8_t *key;
	size_t key_len;
	const uint8_t *key_end; /* NULL unless an interval's last value */
	size_t key_end_len;
};

typedef void (*nfdump_fn)(const struct nfdump_element *e, void *ctx);

/* Call fn for every element of set `set` of table jobnet of family
 * (NFPROTO_*). A missing table or set is error 106. */
int nfdump_set(uint8_t family, const char *set, nfdump_fn fn, void *ctx, struct jn_error *err);

#endif
