/* IP addresses and prefixes: parsing, printing and the arithmetic IPAM needs.
 * Parsers return bool; the caller names the bad value in its error.
 */
#ifndef JOBNET_ADDR_H
#define JOBNET_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct jn_addr {
	int family; /* AF_INET or AF_INET6; 0 when unset */
	uint8_t bytes[16]; /* network order; IPv4 uses the first 4 */
};

struct jn_prefix {
	struct jn_addr addr;
	int len;
};

/* Large enough for an IPv6 address with "/128". */
#define JN_ADDR_STRLEN (INET6_ADDRSTRLEN + 4)

static inline int addr_size(int family)
{
	return family == AF_INET ? 4 : 16;
}

static inline int addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

bool addr_parse(const char *text, struct jn_addr *out);
/* "a.b.c.d/len"; with require_len false, a bare address gets the full length. */
bool prefix_parse(const char *text, bool require_len, struct jn_prefix *out);

/* Write the address (or prefix) into buf of JN_ADDR_STRLEN bytes and return buf. */
const char *addr_format(const struct jn_addr *addr, char *buf);
const char *prefix_format(const struct jn_prefix *prefix, char *buf);

bool addr_equal(const struct jn_addr *a, const struct jn_addr *b);
int addr_compare(const struct jn_addr *a, const struct jn_addr *b);

/* The prefix with its host bits cleared. */
void prefix_network(const struct jn_prefix *prefix, struct jn_addr *out);
/* True when the prefix's host bits are all zero. */
bool prefix_is_network(const struct jn_prefix *prefix);
bool prefix_contains(const struct jn_prefix *prefix, const struct jn_addr *addr);
bool prefix_overlaps(const struct jn_prefix *a, const struct jn_prefix *b);
/* True when every address of inner is inside outer (same family). */
bool prefix_covers(const struct jn_prefix *outer, const struct jn_prefix *inner);
/* The last address of the prefix (the IPv4 broadcast address). */
void prefix_last(const struct jn_prefix *prefix, struct jn_addr *out);

/* Add n to the address, wrapping around within its family; returns the result. */
void addr_add(struct jn_addr *addr, uint64_t n);
/* Number of host addresses (2^(bits-len)), saturated at UINT64_MAX. */
uint64_t prefix_size(const struct jn_prefix *prefix);
/* Offset of addr from the prefix's network address (addr must be inside). */
uint64_t prefix_offset(const struct jn_prefix *prefix, const struct jn_addr *addr);

bool addr_is_loopback(const struct jn_addr *addr);

/* addr and port as a socket address (an address of all zeroes is the
 * family's wildcard); returns its length. */
socklen_t addr_to_sockaddr(const struct jn_addr *addr, uint16_t port, struct sockaddr_storage *out);
/* The port of an AF_INET or AF_INET6 socket address, and setting it. */
uint16_t sockaddr_port(const struct sockaddr_storage *ss);
void sockaddr_set_port(struct sockaddr_storage *ss, uint16_t port);

#endif
