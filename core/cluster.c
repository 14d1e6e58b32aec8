#include "core/cluster.h"

#include <stdio.h>
#include <string.h>

#include "base/jsonutil.h"

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* Keys of an object that are not in keys are refused: a typo must not
 * silently change how a node routes. */
static int check_keys(const json_t *obj, const char *what, const char *const *keys, struct jn_error *err)
{
	char quoted[JN_JSON_QUOTE_MAX];
	const char *key;
	json_t *value;

	json_object_foreach ((json_t *)obj, key, value) {
		bool known = false;
		for (size_t i = 0; keys[i] != NULL; i++)
			known = known || strcmp(key, keys[i]) == 0;
		if (!known)
			return jn_error_set(err, JN_ERR_UNSUPPORTED_FIELD, "unsupported field \"%s.%.64s\": %s", what,
					    key, jsonutil_quote(value, quoted));
	}
	return 0;
}

static int parse_subnet(const json_t *value, int family, const char *key, struct cluster_conf *out,
			struct jn_error *err)
{
	struct jn_prefix *p = &out->subnets[out->subnet_count];
	const char *text;

	if (jsonutil_want_string(value, key, &text, err) < 0)
		return -1;
	if (!prefix_parse(text, true, p) || p->addr.family != family)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"%s\": \"%.64s\" is not an %s CIDR", key,
				    text, family_name(family));
	if (!prefix_is_network(p) || p->len == 0)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid \"%s\": \"%.64s\" has host bits set or covers every address", key, text);
	out->subnet_count++;
	return 0;
}

static bool is_usable_gateway(const struct jn_addr *a)
{
	static const uint8_t zero[16];
	struct jn_prefix link_local;

	prefix_parse("fe80::/10", true, &link_local);
	return memcmp(a->bytes, zero, (size_t)addr_size(a->family)) != 0 && !addr_is_loopback(a) &&
		!prefix_contains(&link_local, a);
}

static int parse_route(const json_t *item, size_t index, struct cluster_conf *out, struct jn_error *err)
{
	static const char *const keys[] = { "dst", "via", NULL };
	struct route_spec *r = &out->routes[out->route_count];
	char what[48], key[64];
	const char *dst, *via;

	snprintf(what, sizeof(what), "cluster.routes[%zu]", index);
	if (jsonutil_want_object(item, what, err) < 0 || check_keys(item, what, keys, err) < 0)
		return -1;
	snprintf(key, sizeof(key), "%s.dst", what);
	if (jsonutil_want_string(json_object_get(item, "dst"), key, &dst, err) < 0)
		return -1;
	if (!prefix_parse(dst, true, &r->dst) || !prefix_is_network(&r->dst))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid \"%s\": \"%.64s\" is not a CIDR without host bits", key, dst);
	snprintf(key, sizeof(key), "%s.via", what);
	if (jsonutil_want_string(json_object_get(item, "via"), key, &via, err) < 0)
		return -1;
	if (!addr_parse(via, &r->via) || r->via.family != r->dst.addr.family)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"%s\": \"%.64s\" is not an %s address", key,
				    via, family_name(r->dst.addr.family));
	if (!is_usable_gateway(&r->via))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid \"%s\": \"%.64s\" is not a gateway (unspecified, loopback or link-local)",
				    key, via);
	out->route_count++;
	return 0;
}

static int parse_routes(const json_t *value, struct cluster_conf *out, struct jn_error *err)
{
	size_t i;
	json_t *item;

	if (jsonutil_want_array(value, "cluster.routes", err) < 0)
		return -1;
	if (json_array_size(value) > JN_CLUSTER_MAX_ROUTES)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"cluster.routes\": more than %d entries",
				    JN_CLUSTER_MAX_ROUTES);
	json_array_foreach (value, i, item)
		if (parse_route(item, i, out, err) < 0)
			return -1;
	return 0;
}

const struct jn_prefix *cluster_subnet(const struct cluster_conf *c, int family)
{
	for (size_t i = 0; i < c->subnet_count; i++)
		if (c->subnets[i].addr.family == family)
			return &c->subnets[i];
	return NULL;
}

/* Each route goes to another node's job subnet: inside the cluster, and
 * no two to overlapping destinations. */
static int check_routes(const struct cluster_conf *c, struct jn_error *err)
{
	char dst[JN_ADDR_STRLEN], other[JN_ADDR_STRLEN];

	for (size_t i = 0; i < c->route_count; i++) {
		const struct jn_prefix *d = &c->routes[i].dst, *subnet = cluster_subnet(c, d->addr.family);
		if (subnet == NULL || !prefix_covers(subnet, d))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG,
					    "invalid \"cluster.routes[%zu].dst\": %s is not inside the cluster's %s "
					    "subnet",
					    i, prefix_format(d, dst), family_name(d->addr.family));
		for (size_t k = 0; k < i; k++)
			if (prefix_overlaps(d, &c->routes[k].dst))
				return jn_error_set(err, JN_ERR_INVALID_CONFIG,
						    "invalid \"cluster.routes[%zu].dst\": %s overlaps route %zu (%s)",
						    i, prefix_format(d, dst), k,
						    prefix_format(&c->routes[k].dst, other));
	}
	return 0;
}

int cluster_parse(const json_t *value, struct cluster_conf *out, struct jn_error *err)
{
	static const char *const keys[] = { "subnet", "subnet6", "routes", NULL };
	const json_t *v;

	memset(out, 0, sizeof(*out));
	if (jsonutil_want_object(value, "cluster", err) < 0 || check_keys(value, "cluster", keys, err) < 0)
		return -1;
	if ((v = json_object_get(value, "subnet")) != NULL && parse_subnet(v, AF_INET, "cluster.subnet", out, err) < 0)
		return -1;
	if ((v = json_object_get(value, "subnet6")) != NULL &&
	    parse_subnet(v, AF_INET6, "cluster.subnet6", out, err) < 0)
		return -1;
	if (out->subnet_count == 0)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid \"cluster\": it needs \"subnet\", \"subnet6\" or both");
	if ((v = json_object_get(value, "routes")) != NULL && parse_routes(v, out, err) < 0)
		return -1;
	return check_routes(out, err);
}

static const struct jn_prefix *node_subnet(const struct jn_prefix *node, size_t count, int family)
{
	for (size_t i = 0; i < count; i++)
		if (node[i].addr.family == family)
			return &node[i];
	return NULL;
}

static int check_cluster_subnet(const struct jn_prefix *cluster, const struct jn_prefix *mine, struct jn_error *err)
{
	const char *key = cluster->addr.family == AF_INET ? "cluster.subnet" : "cluster.subnet6";
	char text[JN_ADDR_STRLEN], subnet[JN_ADDR_STRLEN];

	if (mine == NULL)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"%s\": the network has no \"%s\"", key,
				    cluster->addr.family == AF_INET ? "subnet" : "subnet6");
	if (!prefix_covers(cluster, mine))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid \"%s\": %s does not contain this node's subnet %s", key,
				    prefix_format(cluster, text), prefix_format(mine, subnet));
	return 0;
}

int cluster_check_node(const struct cluster_conf *c, const struct jn_prefix *node, size_t count, struct jn_error *err)
{
	char text[JN_ADDR_STRLEN], subnet[JN_ADDR_STRLEN];

	for (size_t i = 0; i < c->subnet_count; i++)
		if (check_cluster_subnet(&c->subnets[i], node_subnet(node, count, c->subnets[i].addr.family), err) < 0)
			return -1;
	for (size_t i = 0; i < c->route_count; i++) {
		const struct route_spec *r = &c->routes[i];
		const struct jn_prefix *mine = node_subnet(node, count, r->dst.addr.family);
		if (mine != NULL && prefix_overlaps(&r->dst, mine))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG,
					    "invalid \"cluster.routes[%zu].dst\": %s overlaps this node's subnet %s", i,
					    prefix_format(&r->dst, text), prefix_format(mine, subnet));
		if (mine != NULL && prefix_contains(mine, &r->via))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG,
					    "invalid \"cluster.routes[%zu].via\": %s is inside this node's subnet %s",
					    i, addr_format(&r->via, text), prefix_format(mine, subnet));
	}
	return 0;
}

bool cluster_same_subnets(const struct cluster_conf *a, const struct cluster_conf *b)
{
	if (a->subnet_count != b->subnet_count)
		return false;
	for (size_t i = 0; i < a->subnet_count; i++) {
		const struct jn_prefix *other = cluster_subnet(b, a->subnets[i].addr.family);
		if (other == NULL || other->len != a->subnets[i].len || !addr_equal(&other->addr, &a->subnets[i].addr))
			return false;
	}
	return true;
}

json_t *cluster_to_json(const struct cluster_conf *c)
{
	json_t *subnets, *routes;
	char dst[JN_ADDR_STRLEN], via[JN_ADDR_STRLEN];

	if (c->subnet_count == 0)
		return NULL;
	subnets = json_array();
	routes = json_array();
	for (size_t i = 0; subnets != NULL && i < c->subnet_count; i++)
		json_array_append_new(subnets, json_string(prefix_format(&c->subnets[i], dst)));
	for (size_t i = 0; routes != NULL && i < c->route_count; i++)
		json_array_append_new(routes,
				      json_pack("{s:s, s:s}", "dst", prefix_format(&c->routes[i].dst, dst), "via",
						addr_format(&c->routes[i].via, via)));
	return json_pack("{s:o, s:o}", "subnets", subnets, "routes", routes);
}

static int bad_record(struct jn_error *err, const char *what)
{
	return jn_error_set(err, JN_ERR_STATE, "network record has a bad cluster %s", what);
}

int cluster_from_json(const json_t *j, struct cluster_conf *out, struct jn_error *err)
{
	const json_t *subnets = json_object_get(j, "subnets"), *routes = json_object_get(j, "routes"), *item;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (j == NULL)
		return 0;
	if (!json_is_array(subnets) || json_array_size(subnets) > 2 || !json_is_array(routes) ||
	    json_array_size(routes) > JN_CLUSTER_MAX_ROUTES)
		return bad_record(err, "entry");
	json_array_foreach (subnets, i, item) {
		if (!prefix_parse(json_string_value(item), true, &out->subnets[i]) ||
		    cluster_subnet(out, out->subnets[i].addr.family) != NULL)
			return bad_record(err, "subnet");
		out->subnet_count = i + 1;
	}
	json_array_foreach (routes, i, item) {
		struct route_spec *r = &out->routes[i];
		if (!prefix_parse(json_string_value(json_object_get(item, "dst")), true, &r->dst) ||
		    !addr_parse(json_string_value(json_object_get(item, "via")), &r->via) ||
		    r->via.family != r->dst.addr.family)
			return bad_record(err, "route");
		out->route_count = i + 1;
	}
	return 0;
}

/* A peer or a router of another node: inside the cluster subnet or outside
 * it, never across its edge, and never in this node's own subnet (members
 * here are found through the group, routers through their routes). */
static int check_remote(const struct cluster_conf *c, const struct jn_prefix *node, size_t count,
			const struct jn_prefix *p, const char *fact, const char *found_how, struct jn_error *err)
{
	const struct jn_prefix *cluster = cluster_subnet(c, p->addr.family);
	const struct jn_prefix *mine = node_subnet(node, count, p->addr.family);
	char text[JN_ADDR_STRLEN], other[JN_ADDR_STRLEN];

	if (cluster != NULL && prefix_overlaps(cluster, p) && !prefix_covers(cluster, p))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid fact \"%s\": %s reaches beyond the cluster subnet %s (it lies inside it "
				    "or outside it)",
				    fact, prefix_format(p, text), prefix_format(cluster, other));
	if (mine != NULL && prefix_overlaps(mine, p))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid fact \"%s\": %s is in this node's subnet %s (%s on this node are found "
				    "through %s)",
				    fact, prefix_format(p, text), prefix_format(mine, other), fact, found_how);
	return 0;
}

int cluster_check_facts(const struct cluster_conf *c, const struct jn_prefix *node, size_t count,
			const struct jobfacts *f, struct jn_error *err)
{
	for (size_t i = 0; i < f->peer_count; i++)
		if (check_remote(c, node, count, &f->peers[i], "peers", "the group", err) < 0)
			return -1;
	for (size_t i = 0; i < f->router_count; i++)
		if (check_remote(c, node, count, &f->routers[i], "routers", "their routes", err) < 0)
			return -1;
	return 0;
}
