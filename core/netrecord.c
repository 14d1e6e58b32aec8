#include "core/netrecord.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"
#include "core/netconf.h"
#include "core/statelayout.h"

#define NETRECORD_MAX 32768

void netrecord_from_conf(const struct netconf *conf, struct netrecord *out)
{
	const struct netconf_family *fams[] = { &conf->v4, &conf->v6 };

	memset(out, 0, sizeof(*out));
	strcpy(out->name, conf->name);
	strcpy(out->bridge, conf->bridge);
	for (size_t i = 0; i < 2; i++) {
		if (!fams[i]->enabled)
			continue;
		out->subnets[out->subnet_count] = fams[i]->subnet;
		out->gateways[out->subnet_count] = fams[i]->gateway;
		out->subnet_count++;
	}
	out->ip_masq = conf->ip_masq;
	out->mtu = conf->mtu;
	out->protect_count = conf->protect_count;
	memcpy(out->protect, conf->protect, sizeof(out->protect));
	out->service_count = conf->service_count;
	memcpy(out->services, conf->services, sizeof(out->services));
	out->cluster = conf->cluster;
}

static json_t *to_json(const struct netrecord *rec)
{
	json_t *subnets = json_array(), *protect = json_array(), *allow = json_array(), *j;
	char subnet[JN_ADDR_STRLEN], gw[JN_ADDR_STRLEN], service[16];

	for (size_t i = 0; subnets != NULL && i < rec->subnet_count; i++)
		json_array_append_new(subnets,
				      json_pack("{s:s, s:s}", "subnet", prefix_format(&rec->subnets[i], subnet),
						"gateway", addr_format(&rec->gateways[i], gw)));
	for (size_t i = 0; protect != NULL && i < rec->protect_count; i++)
		json_array_append_new(protect, json_string(prefix_format(&rec->protect[i], subnet)));
	for (size_t i = 0; allow != NULL && i < rec->service_count; i++) {
		snprintf(service, sizeof(service), "%s/%u", service_proto_name(rec->services[i].proto),
			 rec->services[i].port);
		json_array_append_new(allow, json_string(service));
	}
	j = json_pack("{s:s, s:s, s:o, s:b, s:i, s:o, s:o}", "name", rec->name, "bridge", rec->bridge, "subnets",
		      subnets, "ipMasq", rec->ip_masq, "mtu", (int)rec->mtu, "protect", protect, "hostServicesAllow",
		      allow);
	/* Written only when set, so a record of a network without one reads
	 * the same as before the key existed. */
	if (j != NULL && rec->cluster.subnet_count > 0)
		json_object_set_new(j, "cluster", cluster_to_json(&rec->cluster));
	return j;
}

static int lists_from_json(const json_t *j, struct netrecord *out, struct jn_error *err)
{
	json_t *protect = json_object_get(j, "protect"), *allow = json_object_get(j, "hostServicesAllow"), *item;
	size_t i;

	if (!json_is_array(protect) || json_array_size(protect) > JN_ARRAY_SIZE(out->protect) ||
	    !json_is_array(allow) || json_array_size(allow) > JN_MAX_SERVICES)
		return jn_error_set(err, JN_ERR_STATE, "network record has bad protect or hostServicesAllow lists");
	json_array_foreach (protect, i, item) {
		if (!prefix_parse(json_string_value(item), true, &out->protect[i]))
			return jn_error_set(err, JN_ERR_STATE, "network record has a bad protect entry %zu", i);
		out->protect_count = i + 1;
	}
	json_array_foreach (allow, i, item) {
		if (!json_is_string(item) || !service_parse(json_string_value(item), &out->services[i]))
			return jn_error_set(err, JN_ERR_STATE, "network record has a bad service entry %zu", i);
		out->service_count = i + 1;
	}
	return 0;
}

static int from_json(const json_t *j, struct netrecord *out, struct jn_error *err)
{
	const char *name = json_string_value(json_object_get(j, "name"));
	const char *bridge = json_string_value(json_object_get(j, "bridge"));
	json_t *subnets = json_object_get(j, "subnets"), *item;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!names_is_valid_id(name) || !names_is_plain_ifname(bridge) || !json_is_array(subnets) ||
	    json_array_size(subnets) > 2 || !json_is_boolean(json_object_get(j, "ipMasq")))
		return jn_error_set(err, JN_ERR_STATE, "network record has missing or bad fields");
	strcpy(out->name, name);
	strcpy(out->bridge, bridge);
	json_array_foreach (subnets, i, item) {
		if (!prefix_parse(json_string_value(json_object_get(item, "subnet")), true, &out->subnets[i]) ||
		    !addr_parse(json_string_value(json_object_get(item, "gateway")), &out->gateways[i]))
			return jn_error_set(err, JN_ERR_STATE, "network record has a bad subnet entry %zu", i);
		out->subnet_count = i + 1;
	}
	out->ip_masq = json_is_true(json_object_get(j, "ipMasq"));
	out->mtu = (unsigned)json_integer_value(json_object_get(j, "mtu"));
	if (lists_from_json(j, out, err) < 0)
		return -1;
	return cluster_from_json(json_object_get(j, "cluster"), &out->cluster, err);
}

/* A missing file fails with errno ENOENT. */
static int read_text(struct state_network *net, char *buf, size_t size, struct jn_error *err)
{
	cleanup_close int fd = openat(net->dir_fd, JN_STATE_NETWORK_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (n < 0)
		return jn_error_errno(err, JN_ERR_STATE, errno, "reading %s/%s", net->path, JN_STATE_NETWORK_FILE);
	if ((size_t)n == size - 1)
		return jn_error_errno(err, JN_ERR_STATE, EFBIG, "reading %s/%s", net->path, JN_STATE_NETWORK_FILE);
	buf[n] = '\0';
	return 0;
}

int netrecord_read(struct state_network *net, struct netrecord *out, bool *found, struct jn_error *err)
{
	char text[NETRECORD_MAX];
	cleanup_json json_t *j = NULL;
	struct jn_error failure = { 0 };

	*found = false;
	if (net->dir_fd < 0)
		return 0;
	if (read_text(net, text, sizeof(text), &failure) < 0)
		return jn_error_absorb(&failure, ENOENT) ? 0 : jn_error_keep_first(err, &failure);
	j = json_loads(text, 0, NULL);
	if (j == NULL || from_json(j, out, err) < 0) {
		jn_error_set(err, JN_ERR_STATE, "network record is corrupt");
		return jn_error_wrap(err, "%s/%s", net->path, JN_STATE_NETWORK_FILE);
	}
	*found = true;
	return 0;
}

bool netrecord_equal(const struct netrecord *a, const struct netrecord *b)
{
	cleanup_json json_t *ja = to_json(a);
	cleanup_json json_t *jb = to_json(b);

	return ja != NULL && jb != NULL && json_equal(ja, jb);
}

int netrecord_write(struct state_network *net, const struct netrecord *rec, struct jn_error *err)
{
	cleanup_json json_t *j = to_json(rec);
	cleanup_free char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	char current[NETRECORD_MAX];
	struct jn_error unread = { 0 };

	if (text == NULL)
		return jn_error_set(err, JN_ERR_STATE, "out of memory writing the network record");
	/* Missing or unreadable: written anew. */
	if (read_text(net, current, sizeof(current), &unread) == 0 && strcmp(current, text) == 0)
		return 0;
	return fileio_write_atomic(net->dir_fd, net->path, JN_STATE_NETWORK_FILE, text, strlen(text), err);
}
