#include "base/names.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_id_char(char c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

bool names_is_valid_id(const char *text)
{
	size_t len;

	if (text == NULL || !is_alnum(text[0]))
		return false;
	len = strlen(text);
	if (len > JN_ID_MAX)
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_id_char(text[i]))
			return false;
	return true;
}

bool names_is_valid_group(const char *text)
{
	char scope[JN_ID_MAX + 1];
	const char *sep = text != NULL ? strchr(text, JN_GROUP_SCOPE_SEP) : NULL;

	if (sep == NULL)
		return names_is_valid_id(text);
	if (strlen(text) > JN_ID_MAX)
		return false;
	memcpy(scope, text, (size_t)(sep - text));
	scope[sep - text] = '\0';
	return names_is_valid_id(scope) && names_is_valid_id(sep + 1);
}

bool names_is_valid_ifname(const char *text)
{
	size_t len;

	if (text == NULL)
		return false;
	len = strlen(text);
	if (len == 0 || len > JN_IFNAME_MAX || strcmp(text, ".") == 0 || strcmp(text, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		/* The kernel's rule, and no control byte either: the name goes
		 * into file names and log lines. */
		if (c == '/' || c == ':' || isspace(c) || c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

bool names_is_plain_ifname(const char *text)
{
	if (!names_is_valid_ifname(text))
		return false;
	for (const char *p = text; *p; p++)
		if (!is_id_char(*p))
			return false;
	return true;
}

uint64_t names_hash(const char *const *parts, size_t count)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < count; i++) {
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++) {
			h ^= *p;
			h *= 0x100000001b3ULL;
		}
		h ^= 0xff; /* separator: a byte no part contains */
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t attachment_hash(const char *network, const char *container_id, const char *ifname)
{
	const char *parts[] = { network, container_id, ifname };

	return names_hash(parts, 3);
}

/* The host veth's name: the prefix, then the low 48 bits of the hash in
 * lowercase hex, 14 bytes in all (IFNAMSIZ leaves 15). */
#define VETH_PREFIX "jn"
#define VETH_DIGITS 12

void names_host_veth(const char *network, const char *container_id, const char *ifname, char out[JN_IFNAME_MAX + 1])
{
	uint64_t h = attachment_hash(network, container_id, ifname);

	snprintf(out, JN_IFNAME_MAX + 1, VETH_PREFIX "%0*llx", VETH_DIGITS,
		 (unsigned long long)(h & ((1ULL << (4 * VETH_DIGITS)) - 1)));
}

bool names_is_host_veth(const char *name)
{
	size_t prefix = strlen(VETH_PREFIX);

	if (name == NULL || strncmp(name, VETH_PREFIX, prefix) != 0 || strlen(name) != prefix + VETH_DIGITS)
		return false;
	for (const char *p = name + prefix; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static void mac_from_hash(uint64_t h, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02); /* unicast, locally administered */
}

void names_container_mac(const char *network, const char *container_id, const char *ifname, uint8_t mac[6])
{
	/* A second hash so that the MAC is not the veth name spelled in hex. */
	const char *parts[] = { "mac", network, container_id, ifname };

	mac_from_hash(names_hash(parts, 4), mac);
}

void names_bridge_mac(const char *bridge, uint8_t mac[6])
{
	const char *parts[] = { "bridge", bridge };

	mac_from_hash(names_hash(parts, 2), mac);
}

void names_format_mac(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool names_parse_mac(const char *text, uint8_t mac[6])
{
	if (text == NULL || strlen(text) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		int hi = hex_value(text[i * 3]), lo = hex_value(text[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void names_attachment_key(const char *container_id, const char *ifname, char *out)
{
	snprintf(out, JN_ATTACHMENT_KEY_MAX, "%s:%s", container_id, ifname);
}
