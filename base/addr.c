#include "base/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool addr_parse(const char *text, struct jn_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return false;
	if (inet_pton(AF_INET, text, out->bytes) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, out->bytes) == 1) {
		out->family = AF_INET6;
		return true;
	}
	return false;
}

static bool parse_prefix_len(const char *text, int max, int *out)
{
	char *end = NULL;
	long v;

	/* Digits only: strtol alone would accept "+8", " 8" or "0x8". */
	if (text[0] < '0' || text[0] > '9' || strlen(text) > 3)
		return false;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > max)
		return false;
	*out = (int)v;
	return true;
}

bool prefix_parse(const char *text, bool require_len, struct jn_prefix *out)
{
	char buf[JN_ADDR_STRLEN];
	const char *slash;
	size_t addr_len;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return false;
	slash = strchr(text, '/');
	addr_len = slash ? (size_t)(slash - text) : strlen(text);
	if (addr_len == 0 || addr_len >= sizeof(buf))
		return false;
	memcpy(buf, text, addr_len);
	buf[addr_len] = '\0';
	if (!addr_parse(buf, &out->addr))
		return false;
	if (slash == NULL) {
		if (require_len)
			return false;
		out->len = addr_bits(out->addr.family);
		return true;
	}
	return parse_prefix_len(slash + 1, addr_bits(out->addr.family), &out->len);
}

const char *addr_format(const struct jn_addr *addr, char *buf)
{
	if (addr->family == 0 || inet_ntop(addr->family, addr->bytes, buf, JN_ADDR_STRLEN) == NULL)
		strcpy(buf, "?");
	return buf;
}

const char *prefix_format(const struct jn_prefix *prefix, char *buf)
{
	size_t n;

	addr_format(&prefix->addr, buf);
	n = strlen(buf);
	snprintf(buf + n, JN_ADDR_STRLEN - n, "/%d", prefix->len);
	return buf;
}

bool addr_equal(const struct jn_addr *a, const struct jn_addr *b)
{
	return addr_compare(a, b) == 0;
}

int addr_compare(const struct jn_addr *a, const struct jn_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, (size_t)addr_size(a->family));
}

static void mask_bytes(uint8_t *bytes, int size, int len)
{
	for (int i = 0; i < size; i++) {
		int bits = len - i * 8;
		if (bits >= 8)
			continue;
		bytes[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
}

void prefix_network(const struct jn_prefix *prefix, struct jn_addr *out)
{
	*out = prefix->addr;
	mask_bytes(out->bytes, addr_size(out->family), prefix->len);
}

bool prefix_is_network(const struct jn_prefix *prefix)
{
	struct jn_addr net;

	prefix_network(prefix, &net);
	return addr_equal(&net, &prefix->addr);
}

bool prefix_contains(const struct jn_prefix *prefix, const struct jn_addr *addr)
{
	struct jn_prefix probe = { .addr = *addr, .len = prefix->len };
	struct jn_addr a, b;

	if (addr->family != prefix->addr.family)
		return false;
	prefix_network(prefix, &a);
	prefix_network(&probe, &b);
	return addr_equal(&a, &b);
}

bool prefix_overlaps(const struct jn_prefix *a, const struct jn_prefix *b)
{
	if (a->addr.family != b->addr.family)
		return false;
	return a->len <= b->len ? prefix_contains(a, &b->addr) : prefix_contains(b, &a->addr);
}

bool prefix_covers(const struct jn_prefix *outer, const struct jn_prefix *inner)
{
	return inner->len >= outer->len && prefix_contains(outer, &inner->addr);
}

void prefix_last(const struct jn_prefix *prefix, struct jn_addr *out)
{
	int size = addr_size(prefix->addr.family);

	prefix_network(prefix, out);
	for (int i = 0; i < size; i++) {
		int bits = prefix->len - i * 8;
		if (bits >= 8)
			continue;
		out->bytes[i] |= bits <= 0 ? 0xff : (uint8_t)(0xff >> bits);
	}
}

void addr_add(struct jn_addr *addr, uint64_t n)
{
	int size = addr_size(addr->family);
	unsigned carry = 0;

	for (int i = size - 1; i >= 0; i--) {
		unsigned sum = addr->bytes[i] + (unsigned)(n & 0xff) + carry;
		addr->bytes[i] = (uint8_t)sum;
		carry = sum >> 8;
		n >>= 8;
	}
}

uint64_t prefix_size(const struct jn_prefix *prefix)
{
	int host_bits = addr_bits(prefix->addr.family) - prefix->len;

	return host_bits >= 64 ? UINT64_MAX : (uint64_t)1 << host_bits;
}

uint64_t prefix_offset(const struct jn_prefix *prefix, const struct jn_addr *addr)
{
	int size = addr_size(addr->family);
	struct jn_addr net;
	uint64_t off = 0;

	prefix_network(prefix, &net);
	/* Only the low 8 bytes can differ for prefixes IPAM accepts (>= /64). */
	for (int i = size > 8 ? size - 8 : 0; i < size; i++)
		off = (off << 8) | (uint8_t)(addr->bytes[i] - net.bytes[i]);
	return off;
}

bool addr_is_loopback(const struct jn_addr *addr)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	if (addr->family == AF_INET)
		return addr->bytes[0] == 127;
	return memcmp(addr->bytes, v6_loopback, 16) == 0;
}

socklen_t addr_to_sockaddr(const struct jn_addr *addr, uint16_t port, struct sockaddr_storage *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

	memset(out, 0, sizeof(*out));
	if (addr->family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr->bytes, 4);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, addr->bytes, 16);
	return sizeof(*sin6);
}

uint16_t sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

void sockaddr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}
