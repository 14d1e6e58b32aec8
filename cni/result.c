#include "cni/result.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "core/cniversion.h"
#include "base/names.h"

/* 0.3.x and 0.4.0 results carry ips[].version; 1.0.0 dropped it. */
static bool wants_ip_version(const char *cni_version)
{
	return !cniversion_at_least(cni_version, "1.0.0");
}

static json_t *interface(const char *name, const uint8_t mac[6], const char *sandbox, unsigned mtu)
{
	char text[18];
	json_t *j;

	names_format_mac(mac, text);
	j = json_pack("{s:s, s:s}", "name", name, "mac", text);
	if (j != NULL && sandbox != NULL)
		json_object_set_new(j, "sandbox", json_string(sandbox));
	if (j != NULL && mtu != 0)
		json_object_set_new(j, "mtu", json_integer(mtu));
	return j;
}

static json_t *ips(const struct result_input *in)
{
	json_t *list = json_array();
	char addr[JN_ADDR_STRLEN], gw[JN_ADDR_STRLEN];

	for (size_t i = 0; list != NULL && i < in->a->addr_count; i++) {
		const struct jn_prefix *p = &in->a->addrs[i];
		json_t *ip = json_pack("{s:s, s:s, s:i}", "address", prefix_format(p, addr), "gateway",
				       addr_format(&in->a->gateways[i], gw), "interface", 2);
		if (ip != NULL && wants_ip_version(in->cni_version))
			json_object_set_new(ip, "version", json_string(p->addr.family == AF_INET ? "4" : "6"));
		json_array_append_new(list, ip);
	}
	return list;
}

static json_t *routes(const struct result_input *in)
{
	json_t *list = json_array();
	char gw[JN_ADDR_STRLEN];

	for (size_t i = 0; list != NULL && i < in->a->addr_count; i++) {
		const char *dst = in->a->addrs[i].addr.family == AF_INET ? "0.0.0.0/0" : "::/0";
		json_array_append_new(list,
				      json_pack("{s:s, s:s}", "dst", dst, "gw", addr_format(&in->a->gateways[i], gw)));
	}
	return list;
}

json_t *result_bridge(const struct result_input *in)
{
	/* interfaces[].mtu is new in 1.1.0. */
	unsigned mtu = cniversion_at_least(in->cni_version, "1.1.0") ? in->mtu : 0;
	json_t *ifaces = json_array();

	if (ifaces == NULL)
		return NULL;
	json_array_append_new(ifaces, interface(in->bridge.name, in->bridge.mac, NULL, mtu));
	json_array_append_new(ifaces, interface(in->host_veth.name, in->host_veth.mac, NULL, mtu));
	json_array_append_new(ifaces, interface(in->a->ifname, in->a->mac, in->a->netns, mtu));
	json_t *r = json_pack("{s:s, s:o, s:o, s:o}", "cniVersion", in->cni_version, "interfaces", ifaces, "ips",
			      ips(in), "routes", routes(in));
	if (r != NULL && in->dns != NULL)
		json_object_set(r, "dns", in->dns);
	if (r != NULL && in->a->map_count > 0)
		json_object_set_new(r, JN_RESULT_PORTMAPS_KEY, portmap_list_to_json(in->a->maps, in->a->map_count));
	return r;
}

json_t *result_empty(const char *cni_version, json_t *dns)
{
	json_t *r = json_pack("{s:s, s:[], s:[]}", "cniVersion", cni_version, "interfaces", "ips");

	if (r != NULL && dns != NULL)
		json_object_set(r, "dns", dns);
	return r;
}

/* Messages may quote hostile input: keep them printable ASCII so they are
 * valid JSON strings whatever the bytes were. */
static void printable_copy(char *out, const char *in, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size && in[i] != '\0'; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	out[i] = '\0';
}

json_t *result_error(const char *cni_version, const struct jn_error *err)
{
	char msg[JN_ERROR_MSG_MAX], details[JN_ERROR_DETAILS_MAX];

	printable_copy(msg, err->msg, sizeof(msg));
	printable_copy(details, err->details, sizeof(details));
	return json_pack("{s:s, s:i, s:s, s:s}", "cniVersion", cni_version[0] ? cni_version : JN_CNI_VERSION_LATEST,
			 "code", err->code, "msg", msg, "details", details);
}

int result_print(json_t *result, struct jn_error *err)
{
	cleanup_free char *text = result ? json_dumps(result, JSON_COMPACT) : NULL;

	if (text == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory printing the result");
	if (printf("%s\n", text) < 0 || fflush(stdout) != 0)
		return jn_error_errno(err, JN_ERR_IO, errno, "writing the result to stdout");
	return 0;
}
