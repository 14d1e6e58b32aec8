#include "core/attachment.h"

#include <string.h>

#include "base/cleanup.h"

#define RECORD_VERSION 1

void attachment_init(struct attachment *a)
{
	memset(a, 0, sizeof(*a));
	facts_init(&a->facts);
}

void attachment_free(struct attachment *a)
{
	json_decref(a->extra);
	a->extra = NULL;
}

const struct jn_prefix *attachment_addr(const struct attachment *a, int family)
{
	for (size_t i = 0; i < a->addr_count; i++)
		if (a->addrs[i].addr.family == family)
			return &a->addrs[i];
	return NULL;
}

static json_t *ips_to_json(const struct attachment *a)
{
	json_t *ips = json_array();
	char addr[JN_ADDR_STRLEN], gw[JN_ADDR_STRLEN];

	for (size_t i = 0; ips != NULL && i < a->addr_count; i++)
		json_array_append_new(ips,
				      json_pack("{s:s, s:s}", "address", prefix_format(&a->addrs[i], addr), "gateway",
						addr_format(&a->gateways[i], gw)));
	return ips;
}

json_t *attachment_to_json(const struct attachment *a)
{
	char mac[18] = "";
	json_t *j;

	if (a->mac[0] || a->mac[1] || a->mac[2] || a->mac[3] || a->mac[4] || a->mac[5])
		names_format_mac(a->mac, mac);
	j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:o, s:o}", "version",
		      RECORD_VERSION, "containerID", a->container_id, "ifname", a->ifname, "network", a->network,
		      "netns", a->netns, "mode", a->mode, "decision", a->decision, "rule", a->rule, "reason", a->reason,
		      "bridge", a->bridge, "hostVeth", a->host_veth, "mac", mac, "complete", a->complete, "created",
		      (json_int_t)a->created, "ips", ips_to_json(a), "facts", facts_to_json(&a->facts));
	if (j != NULL) {
		json_object_set_new(j, "netnsDev", json_integer((json_int_t)a->netns_id.dev));
		json_object_set_new(j, "netnsInode", json_integer((json_int_t)a->netns_id.ino));
		json_object_set_new(j, "netnsCookie", json_integer((json_int_t)a->netns_id.cookie));
		json_object_set_new(j, "portMappings", portmap_list_to_record(a->maps, a->map_count));
		json_object_set_new(j, "relay",
				    json_pack("{s:i, s:I}", "pid", a->relay.pid, "start", (json_int_t)a->relay.start));
	}
	if (j != NULL && a->extra != NULL)
		json_object_set(j, "extra", a->extra);
	return j;
}

/* Copy a string field into out (size bytes), checked with valid (may be NULL). */
static int get_string(const json_t *j, const char *key, char *out, size_t size, bool (*valid)(const char *),
		      bool allow_empty, struct jn_error *err)
{
	const char *v = json_string_value(json_object_get(j, key));

	if (v == NULL)
		return jn_error_set(err, JN_ERR_STATE, "field \"%s\" is missing or not a string", key);
	if (v[0] == '\0' && allow_empty) {
		out[0] = '\0';
		return 0;
	}
	if (strlen(v) >= size || (valid != NULL && !valid(v)))
		return jn_error_set(err, JN_ERR_STATE, "field \"%s\" has a bad value \"%.64s\"", key, v);
	strcpy(out, v);
	return 0;
}

static bool is_mode(const char *v)
{
	return strcmp(v, "bridge") == 0 || strcmp(v, "host") == 0;
}

static int ips_from_json(const json_t *ips, struct attachment *out, struct jn_error *err)
{
	size_t i;
	json_t *item;

	if (!json_is_array(ips) || json_array_size(ips) > JN_MAX_ADDRS)
		return jn_error_set(err, JN_ERR_STATE, "field \"ips\" is not an array of at most %d entries",
				    JN_MAX_ADDRS);
	json_array_foreach (ips, i, item) {
		const char *addr = json_string_value(json_object_get(item, "address"));
		const char *gw = json_string_value(json_object_get(item, "gateway"));
		if (!prefix_parse(addr, true, &out->addrs[i]) || !addr_parse(gw, &out->gateways[i]) ||
		    out->gateways[i].family != out->addrs[i].addr.family)
			return jn_error_set(err, JN_ERR_STATE, "field \"ips\" entry %zu is not an address and gateway",
					    i);
		out->addr_count = i + 1;
		if (attachment_addr(out, out->addrs[i].addr.family) != &out->addrs[i])
			return jn_error_set(err, JN_ERR_STATE, "field \"ips\" has two addresses of one family");
	}
	return 0;
}

static int strings_from_json(const json_t *j, struct attachment *out, struct jn_error *err)
{
	if (get_string(j, "containerID", out->container_id, sizeof(out->container_id), names_is_valid_id, false, err) <
		    0 ||
	    get_string(j, "ifname", out->ifname, sizeof(out->ifname), names_is_valid_ifname, false, err) < 0 ||
	    get_string(j, "network", out->network, sizeof(out->network), names_is_valid_id, false, err) < 0 ||
	    get_string(j, "netns", out->netns, sizeof(out->netns), NULL, true, err) < 0 ||
	    get_string(j, "mode", out->mode, sizeof(out->mode), is_mode, false, err) < 0 ||
	    get_string(j, "decision", out->decision, sizeof(out->decision), is_mode, false, err) < 0 ||
	    get_string(j, "rule", out->rule, sizeof(out->rule), names_is_valid_id, true, err) < 0 ||
	    get_string(j, "reason", out->reason, sizeof(out->reason), NULL, true, err) < 0 ||
	    get_string(j, "bridge", out->bridge, sizeof(out->bridge), names_is_plain_ifname, true, err) < 0 ||
	    get_string(j, "hostVeth", out->host_veth, sizeof(out->host_veth), names_is_plain_ifname, true, err) < 0)
		return -1;
	return 0;
}

static bool is_count(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

/* Absent in records written before jobnet kept it: unknown. */
static int netns_id_from_json(const json_t *j, struct attachment *out, struct jn_error *err)
{
	const json_t *dev = json_object_get(j, "netnsDev"), *ino = json_object_get(j, "netnsInode");
	const json_t *cookie = json_object_get(j, "netnsCookie");

	if (dev == NULL && ino == NULL && cookie == NULL)
		return 0;
	if (!is_count(dev) || !is_count(ino) || (cookie != NULL && !is_count(cookie)))
		return jn_error_set(err, JN_ERR_STATE,
				    "fields \"netnsDev\", \"netnsInode\" and \"netnsCookie\" are not numbers");
	out->netns_id.dev = (unsigned long long)json_integer_value(dev);
	out->netns_id.ino = (unsigned long long)json_integer_value(ino);
	/* Without a cookie (0), device and inode alone. */
	out->netns_id.cookie = cookie != NULL ? (unsigned long long)json_integer_value(cookie) : 0;
	return 0;
}

static int maps_from_json(const json_t *j, struct attachment *out, struct jn_error *err)
{
	const json_t *maps = json_object_get(j, "portMappings"), *relay = json_object_get(j, "relay"), *item;
	size_t i;

	if (!json_is_array(maps) || json_array_size(maps) > JN_MAX_PORTMAPS || !json_is_object(relay) ||
	    !json_is_integer(json_object_get(relay, "pid")) || !json_is_integer(json_object_get(relay, "start")))
		return jn_error_set(err, JN_ERR_STATE, "fields \"portMappings\" and \"relay\" are missing or mistyped");
	json_array_foreach (maps, i, item) {
		if (portmap_from_json(item, &out->maps[i], err) < 0)
			return jn_error_wrap(err, "field \"portMappings\" entry %zu", i);
		out->map_count = i + 1;
	}
	out->relay.pid = (int)json_integer_value(json_object_get(relay, "pid"));
	out->relay.start = (unsigned long long)json_integer_value(json_object_get(relay, "start"));
	return 0;
}

int attachment_from_json(const json_t *j, struct attachment *out, struct jn_error *err)
{
	const char *mac;
	json_t *extra;

	attachment_init(out);
	if (!json_is_object(j) || json_integer_value(json_object_get(j, "version")) != RECORD_VERSION)
		return jn_error_set(err, JN_ERR_STATE, "not a version %d attachment record", RECORD_VERSION);
	if (strings_from_json(j, out, err) < 0 || netns_id_from_json(j, out, err) < 0)
		return -1;
	mac = json_string_value(json_object_get(j, "mac"));
	if (mac == NULL || (mac[0] != '\0' && !names_parse_mac(mac, out->mac)))
		return jn_error_set(err, JN_ERR_STATE, "field \"mac\" is missing or not a MAC address");
	if (!json_is_boolean(json_object_get(j, "complete")) || !json_is_integer(json_object_get(j, "created")))
		return jn_error_set(err, JN_ERR_STATE, "fields \"complete\" and \"created\" are missing or mistyped");
	out->complete = json_is_true(json_object_get(j, "complete"));
	out->created = json_integer_value(json_object_get(j, "created"));
	if (ips_from_json(json_object_get(j, "ips"), out, err) < 0)
		return -1;
	if (facts_from_json(json_object_get(j, "facts"), &out->facts, err) < 0)
		return jn_error_wrap(err, "field \"facts\"");
	if (maps_from_json(j, out, err) < 0)
		return -1;
	extra = json_object_get(j, "extra");
	if (extra != NULL && !json_is_object(extra))
		return jn_error_set(err, JN_ERR_STATE, "field \"extra\" is not an object");
	out->extra = json_incref(extra);
	return 0;
}
