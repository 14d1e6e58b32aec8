#include "base/publish.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int bad(struct jn_error *err, const char *text, const char *why)
{
	return jn_error_set(err, JN_ERR_INVALID_CONFIG, "\"%.*s\": %s (want [HOSTIP:]HOSTPORT:CONTAINERPORT[/PROTO])",
			    JN_PUBLISH_MAX, text, why);
}

/* A decimal port in [min, 65535]; "" is 0 when min is 0. */
static bool parse_port(const char *text, unsigned min, uint16_t *out)
{
	unsigned long v;

	if (text[0] == '\0') {
		*out = 0;
		return min == 0;
	}
	if (strlen(text) > 5)
		return false;
	for (const char *c = text; *c; c++)
		if (!isdigit((unsigned char)*c))
			return false;
	v = strtoul(text, NULL, 10);
	if (v < min || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static bool parse_proto(const char *text, uint8_t *out)
{
	if (strcasecmp(text, "tcp") == 0)
		*out = IPPROTO_TCP;
	else if (strcasecmp(text, "udp") == 0)
		*out = IPPROTO_UDP;
	else if (strcasecmp(text, "sctp") == 0)
		*out = IPPROTO_SCTP;
	else
		return false;
	return true;
}

/* "1.2.3.4" or "[v6]"; an IPv6 address without brackets is refused, as its
 * colons could not be told from the ports'. */
static const char *parse_host_ip(char *text, struct jn_addr *out)
{
	size_t len = strlen(text);

	if (text[0] == '[') {
		if (len < 3 || text[len - 1] != ']')
			return "a bracket is not closed";
		text[len - 1] = '\0';
		if (!addr_parse(text + 1, out) || out->family != AF_INET6)
			return "the address in brackets is not an IPv6 address";
		return NULL;
	}
	if (len == 0)
		return "the host address is empty";
	if (!addr_parse(text, out))
		return "the host address is not an IP address";
	if (out->family != AF_INET)
		return "an IPv6 host address goes in brackets, as [::1]";
	return NULL;
}

int publish_parse(const char *text, struct portmap *out, struct jn_error *err)
{
	char copy[JN_PUBLISH_MAX + 1];
	char *slash, *last, *prev, *bracket;
	const char *why;

	memset(out, 0, sizeof(*out));
	out->proto = IPPROTO_TCP;
	if (strlen(text) > JN_PUBLISH_MAX)
		return bad(err, text, "too long");
	strcpy(copy, text);
	slash = strrchr(copy, '/');
	if (slash != NULL) {
		*slash = '\0';
		if (!parse_proto(slash + 1, &out->proto))
			return bad(err, text, "the protocol is not tcp, udp or sctp");
	}
	last = strrchr(copy, ':');
	if (last == NULL)
		return bad(err, text, "no host port");
	*last = '\0';
	if (!parse_port(last + 1, 1, &out->container_port))
		return bad(err, text, "the container port is not a number from 1 to 65535");
	prev = strrchr(copy, ':');
	bracket = strchr(copy, ']');
	/* The host port follows the host address, unless there is none; an
	 * IPv6 address in brackets keeps its colons inside them. */
	if (prev != NULL && (copy[0] != '[' || (bracket != NULL && bracket < prev))) {
		*prev = '\0';
		if ((why = parse_host_ip(copy, &out->host_ip)) != NULL)
			return bad(err, text, why);
		prev++;
	} else if (copy[0] == '[') {
		return bad(err, text, "no host port after the host address");
	} else {
		prev = copy;
	}
	if (!parse_port(prev, 0, &out->host_port))
		return bad(err, text, "the host port is not a number from 0 to 65535");
	return 0;
}
