#include "base/portmap.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/jsonutil.h"
#include "base/service.h"

static int field_error(size_t i, const char *field, const json_t *value, const char *want, struct jn_error *err)
{
	char quoted[JN_JSON_QUOTE_MAX];

	return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"runtimeConfig.portMappings[%zu].%s\": %s is not %s",
			    i, field, jsonutil_quote(value, quoted), want);
}

static int parse_proto(const json_t *v, size_t i, uint8_t *out, struct jn_error *err)
{
	const char *text = v ? json_string_value(v) : "tcp";

	if (text != NULL && strcasecmp(text, "tcp") == 0)
		*out = IPPROTO_TCP;
	else if (text != NULL && strcasecmp(text, "udp") == 0)
		*out = IPPROTO_UDP;
	else if (text != NULL && strcasecmp(text, "sctp") == 0)
		*out = IPPROTO_SCTP;
	else
		return field_error(i, "protocol", v, "\"tcp\", \"udp\" or \"sctp\"", err);
	return 0;
}

static int parse_port(const json_t *v, size_t i, const char *field, long long min, uint16_t *out, struct jn_error *err)
{
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > 65535)
		return field_error(i, field, v, min == 0 ? "a port from 0 to 65535" : "a port from 1 to 65535", err);
	*out = (uint16_t)json_integer_value(v);
	return 0;
}

static bool is_v4_mapped(const struct jn_addr *a)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a->bytes, prefix, sizeof(prefix)) == 0;
}

static const char *const entry_keys[] = { "hostPort", "containerPort", "protocol", "hostIP" };

/* An unknown key is error 2; a key may be spelt in any case, once. */
static int check_entry_keys(const json_t *j, size_t i, bool record, struct jn_error *err)
{
	char quoted[JN_JSON_QUOTE_MAX];
	const char *key;
	json_t *value;

	json_object_foreach ((json_t *)j, key, value) {
		bool known = record && strcmp(key, "relayPort") == 0;
		for (size_t k = 0; k < sizeof(entry_keys) / sizeof(entry_keys[0]); k++)
			known = known || strcasecmp(key, entry_keys[k]) == 0;
		if (!known)
			return jn_error_set(err, JN_ERR_UNSUPPORTED_FIELD,
					    "unsupported field \"runtimeConfig.portMappings[%zu].%.64s\": %s", i, key,
					    jsonutil_quote(value, quoted));
	}
	return 0;
}

/* The entry's fields by the capability's names, whatever their case; null
 * is as absent (Go's decoder leaves the field unset). */
static int entry_fields(const json_t *j, size_t i, json_t *fields[4], struct jn_error *err)
{
	char what[48];

	snprintf(what, sizeof(what), "runtimeConfig.portMappings[%zu]", i);
	for (size_t k = 0; k < sizeof(entry_keys) / sizeof(entry_keys[0]); k++) {
		if (jsonutil_get_folded(j, entry_keys[k], what, &fields[k], err) < 0)
			return -1;
		if (json_is_null(fields[k]))
			fields[k] = NULL;
	}
	return 0;
}

static int parse_host_ip(const json_t *ip, size_t i, struct portmap *m, struct jn_error *err)
{
	if (ip != NULL && !json_is_string(ip))
		return field_error(i, "hostIP", ip, "a string", err);
	if (ip != NULL && json_string_length(ip) > 0 && !addr_parse(json_string_value(ip), &m->host_ip))
		return field_error(i, "hostIP", ip, "an IP address or \"\"", err);
	/* An IPv4-mapped IPv6 address names an IPv4 address no IPv6 socket,
	 * map or relay can serve: the IPv4 form is the one to give. */
	if (m->host_ip.family == AF_INET6 && is_v4_mapped(&m->host_ip))
		return field_error(i, "hostIP", ip, "an IP address or \"\" (give an IPv4 address in its IPv4 form)",
				   err);
	return 0;
}

static int parse_one(const json_t *j, size_t i, bool record, struct portmap *m, struct jn_error *err)
{
	json_t *f[4];

	memset(m, 0, sizeof(*m));
	if (!json_is_object(j))
		return field_error(i, "", j, "an object", err);
	if (check_entry_keys(j, i, record, err) < 0 || entry_fields(j, i, f, err) < 0)
		return -1;
	if (parse_port(f[0], i, "hostPort", 0, &m->host_port, err) < 0 ||
	    parse_port(f[1], i, "containerPort", 1, &m->container_port, err) < 0 ||
	    parse_proto(f[2], i, &m->proto, err) < 0 || parse_host_ip(f[3], i, m, err) < 0)
		return -1;
	if (m->proto == IPPROTO_SCTP && portmap_is_loopback(m))
		return field_error(i, "protocol", f[2], "tcp or udp on a loopback address", err);
	if (record && json_object_get(j, "relayPort") != NULL &&
	    parse_port(json_object_get(j, "relayPort"), i, "relayPort", 1, &m->relay_port, err) < 0)
		return -1;
	return 0;
}

static bool same_binding(const struct portmap *a, const struct portmap *b)
{
	return a->proto == b->proto && a->host_port != 0 && a->host_port == b->host_port &&
		(a->host_ip.family == 0 || b->host_ip.family == 0 || addr_equal(&a->host_ip, &b->host_ip));
}

int portmap_parse_list(const json_t *list, struct portmap *out, size_t *count, struct jn_error *err)
{
	char text[96];
	size_t i;
	json_t *item;

	*count = 0;
	if (json_is_null(list))
		return 0;
	if (!json_is_array(list) || json_array_size(list) > JN_MAX_PORTMAPS)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid \"runtimeConfig.portMappings\": want an array of at most %d mappings",
				    JN_MAX_PORTMAPS);
	json_array_foreach (list, i, item) {
		if (parse_one(item, i, false, &out[i], err) < 0)
			return -1;
		for (size_t k = 0; k < i; k++) {
			if (!same_binding(&out[k], &out[i]))
				continue;
			portmap_describe(&out[i], text, sizeof(text));
			return jn_error_set(err, JN_ERR_INVALID_CONFIG,
					    "invalid \"runtimeConfig.portMappings\": %s is mapped twice", text);
		}
		*count = i + 1;
	}
	return 0;
}

bool portmap_is_loopback(const struct portmap *m)
{
	return m->host_ip.family != 0 && addr_is_loopback(&m->host_ip);
}

bool portmap_is_any(const struct portmap *m)
{
	return m->host_ip.family == 0;
}

void portmap_describe(const struct portmap *m, char *out, size_t size)
{
	char ip[JN_ADDR_STRLEN] = "every address";

	if (m->host_ip.family != 0)
		addr_format(&m->host_ip, ip);
	snprintf(out, size, "%s/%u on %s", service_proto_name(m->proto), m->host_port, ip);
}

json_t *portmap_to_json(const struct portmap *m)
{
	char ip[JN_ADDR_STRLEN] = "";

	if (m->host_ip.family != 0)
		addr_format(&m->host_ip, ip);
	return json_pack("{s:i, s:i, s:s, s:s}", "hostPort", m->host_port, "containerPort", m->container_port,
			 "protocol", service_proto_name(m->proto), "hostIP", ip);
}

json_t *portmap_list_to_json(const struct portmap *maps, size_t count)
{
	json_t *list = json_array();

	for (size_t i = 0; list != NULL && i < count; i++)
		json_array_append_new(list, portmap_to_json(&maps[i]));
	return list;
}

json_t *portmap_list_to_record(const struct portmap *maps, size_t count)
{
	json_t *list = json_array();

	for (size_t i = 0; list != NULL && i < count; i++) {
		json_t *m = portmap_to_json(&maps[i]);
		if (m != NULL && maps[i].relay_port != 0)
			json_object_set_new(m, "relayPort", json_integer(maps[i].relay_port));
		json_array_append_new(list, m);
	}
	return list;
}

int portmap_from_json(const json_t *j, struct portmap *out, struct jn_error *err)
{
	if (parse_one(j, 0, true, out, err) < 0)
		return jn_error_recode(err, JN_ERR_STATE);
	return 0;
}
