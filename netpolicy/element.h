/* One element of a set or map of jobnet's tables, held as values. render.c
 * says which elements a network, a job or a talk pair has; this file writes
 * an element as nft text (libnftables, CHECK's lookups, error messages);
 * nftwire.c encodes it for the kernel.
 */
#ifndef JOBNET_ELEMENT_H
#define JOBNET_ELEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "base/strbuf.h"

enum element_table {
	ELEMENT_INET, /* table inet jobnet */
	ELEMENT_BRIDGE, /* table bridge jobnet */
};

enum render_op {
	RENDER_ADD,
	RENDER_DELETE, /* idempotent: add, then delete, in one transaction */
	RENDER_GET, /* fails when the element is absent: CHECK */
};

enum element_kind {
	ELEMENT_IFNAME, /* ifname, 16 bytes */
	ELEMENT_ADDR, /* ipv4_addr or ipv6_addr */
	ELEMENT_PREFIX, /* an interval of addresses */
	ELEMENT_ETHER, /* ether_addr */
	ELEMENT_PROTO, /* inet_proto */
	ELEMENT_PORT, /* inet_service */
	ELEMENT_NUMBER128, /* an IPv6 address as a 128-bit number (@th,64,128) */
	ELEMENT_NUMBER48, /* a MAC (.ether) as a 48-bit number (@th,208,48) */
};

struct element_value {
	enum element_kind kind;
	const char *ifname;
	struct jn_prefix prefix; /* ADDR and NUMBER128: .addr */
	uint8_t ether[6]; /* ETHER, NUMBER48 */
	uint16_t number; /* PROTO, PORT */
};

#define ELEMENT_KEY_MAX 3
#define ELEMENT_DATA_MAX 2

struct element {
	enum element_table table;
	const char *set;
	struct element_value key[ELEMENT_KEY_MAX];
	size_t key_count;
	struct element_value data[ELEMENT_DATA_MAX]; /* maps only */
	size_t data_count;
	const char *comment;
};

const char *element_table_name(enum element_table table);

/* The element as one nft command (two for RENDER_DELETE), each ending in a
 * newline. */
void element_text(struct strbuf *sb, enum render_op op, const struct element *e);

#endif
