#include "core/facts.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cleanup.h"
#include "base/jsonutil.h"

enum fact_id {
	FACT_GROUP,
	FACT_MULTINODE,
	FACT_BLOCKS,
	FACT_TOTAL_BLOCKS,
	FACT_ROLE,
	FACT_ROUTES,
	FACT_PEERS,
	FACT_ROUTERS,
	FACT_COUNT,
};

static const struct fact_desc {
	const char *name; /* as flags and messages say it */
	const char *json_key; /* in runtimeConfig.jobnet and args.cni.jobnet */
	const char *annotation;
	const char *cni_arg;
} facts[FACT_COUNT] = {
	[FACT_GROUP] = { "group", "group", "jobnet.dev/group", "JOBNET_GROUP" },
	[FACT_MULTINODE] = { "multinode", "multinode", "jobnet.dev/multinode", "JOBNET_MULTINODE" },
	[FACT_BLOCKS] = { "blocks", "blocks", "jobnet.dev/blocks", "JOBNET_BLOCKS" },
	[FACT_TOTAL_BLOCKS] = { "total-blocks", "totalBlocks", "jobnet.dev/total-blocks", "JOBNET_TOTAL_BLOCKS" },
	[FACT_ROLE] = { "role", "role", "jobnet.dev/role", "JOBNET_ROLE" },
	[FACT_ROUTES] = { "routes", "routes", "jobnet.dev/routes", "JOBNET_ROUTES" },
	[FACT_PEERS] = { "peers", "peers", "jobnet.dev/peers", "JOBNET_PEERS" },
	[FACT_ROUTERS] = { "routers", "routers", "jobnet.dev/routers", "JOBNET_ROUTERS" },
};

const char *const facts_cni_arg_keys[] = {
	"JOBNET_GROUP",	       "JOBNET_MULTINODE", "JOBNET_BLOCKS",
	"JOBNET_TOTAL_BLOCKS", "JOBNET_ROLE",	   "JOBNET_ROUTES",
	"JOBNET_PEERS",	       "JOBNET_ROUTERS",   NULL,
};

#define BLOCKS_MAX 1000000

void facts_init(struct jobfacts *f)
{
	memset(f, 0, sizeof(*f));
	f->role = JN_ROLE_WORKER;
}

static const struct fact_desc *find_fact(const char *name, enum fact_id *id)
{
	for (int i = 0; i < FACT_COUNT; i++) {
		if (strcmp(facts[i].name, name) == 0) {
			*id = (enum fact_id)i;
			return &facts[i];
		}
	}
	return NULL;
}

static int bad(struct jn_error *err, const char *fact, const char *channel, const char *value, const char *want)
{
	return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid fact \"%s\" from %s: \"%.64s\" is not %s", fact,
			    channel, value, want);
}

static int parse_bool(const char *value, bool *out)
{
	if (strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0)
		*out = true;
	else if (strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

static int parse_count(const char *value, unsigned *out)
{
	char *end = NULL;
	unsigned long v;

	if (!isdigit((unsigned char)value[0]) || strlen(value) > 7)
		return -1;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > BLOCKS_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Where a text fact comes from: a channel, or a record (whose groups and
 * routes may carry the scope groupScope put before them). */
struct fact_input {
	struct jobfacts *f;
	const char *channel;
	bool record;
};

static bool is_group_name(const struct fact_input *in, const char *name)
{
	return in->record ? names_is_valid_group(name) : names_is_valid_id(name);
}

/* Split a comma-separated list, calling add for each non-empty item. */
static int each_item(const char *value, int (*add)(const struct fact_input *, const char *),
		     const struct fact_input *in)
{
	cleanup_free char *copy = strdup(value);
	char *cursor = copy, *item;

	if (copy == NULL)
		return -1;
	while ((item = strsep(&cursor, ",")) != NULL) {
		if (item[0] == '\0')
			continue;
		if (add(in, item) < 0)
			return -1;
	}
	return 0;
}

static int add_route(const struct fact_input *in, const char *group)
{
	struct jobfacts *f = in->f;

	if (!is_group_name(in, group) || f->route_count == JN_FACTS_MAX_ROUTES)
		return -1;
	for (size_t i = 0; i < f->route_count; i++)
		if (strcmp(f->routes[i], group) == 0)
			return 0;
	strcpy(f->routes[f->route_count++], group);
	return 0;
}

/* An address or CIDR into list; the same one twice counts once. */
static int add_prefix(struct jn_prefix *list, size_t *count, const char *text)
{
	struct jn_prefix p;

	if (!prefix_parse(text, false, &p) || !prefix_is_network(&p))
		return -1;
	for (size_t i = 0; i < *count; i++)
		if (list[i].len == p.len && addr_equal(&list[i].addr, &p.addr))
			return 0;
	if (*count == JN_FACTS_MAX_PEERS)
		return -1;
	list[(*count)++] = p;
	return 0;
}

static int add_peer(const struct fact_input *in, const char *text)
{
	return add_prefix(in->f->peers, &in->f->peer_count, text);
}

static int add_router(const struct fact_input *in, const char *text)
{
	return add_prefix(in->f->routers, &in->f->router_count, text);
}

static int set_list(const struct fact_input *in, enum fact_id id, const char *value, struct jn_error *err)
{
	struct jobfacts *f = in->f;
	const char *channel = in->channel;

	if (id == FACT_ROUTES) {
		f->route_count = 0;
		if (each_item(value, add_route, in) < 0)
			return bad(err, "routes", channel, value, "a comma-separated list of at most 32 group names");
		return 0;
	}
	if (id == FACT_ROUTERS) {
		f->router_count = 0;
		if (each_item(value, add_router, in) < 0)
			return bad(err, "routers", channel, value,
				   "a comma-separated list of at most 64 addresses or CIDRs without host bits");
		return 0;
	}
	f->peer_count = 0;
	if (each_item(value, add_peer, in) < 0)
		return bad(err, "peers", channel, value,
			   "a comma-separated list of at most 64 addresses or CIDRs without host bits");
	return 0;
}

static int set_text(const struct fact_input *in, enum fact_id id, const char *value, struct jn_error *err)
{
	struct jobfacts *f = in->f;
	const char *channel = in->channel;

	switch (id) {
	case FACT_GROUP:
		if (!is_group_name(in, value))
			return bad(err, "group", channel, value, "a name matching [a-zA-Z0-9][a-zA-Z0-9_.-]*");
		strcpy(f->group, value);
		return 0;
	case FACT_MULTINODE:
		return parse_bool(value, &f->multinode) < 0 ? bad(err, "multinode", channel, value, "true or false")
							    : 0;
	case FACT_BLOCKS:
	case FACT_TOTAL_BLOCKS:
		if (parse_count(value, id == FACT_BLOCKS ? &f->blocks : &f->total_blocks) < 0)
			return bad(err, facts[id].name, channel, value, "a whole number from 1 to 1000000");
		return 0;
	case FACT_ROLE:
		if (strcasecmp(value, "worker") == 0)
			f->role = JN_ROLE_WORKER;
		else if (strcasecmp(value, "router") == 0)
			f->role = JN_ROLE_ROUTER;
		else
			return bad(err, "role", channel, value, "\"worker\" or \"router\"");
		return 0;
	default:
		return set_list(in, id, value, err);
	}
}

int facts_set_text(struct jobfacts *f, const char *fact, const char *value, const char *channel, struct jn_error *err)
{
	const struct fact_input in = { .f = f, .channel = channel };
	enum fact_id id;

	if (find_fact(fact, &id) == NULL)
		return jn_error_set(err, JN_ERR_UNSUPPORTED_FIELD, "unknown fact \"%.64s\" from %s", fact, channel);
	return set_text(&in, id, value, err);
}

/* A JSON value of a fact as the text form facts_set_text takes. */
static int json_fact_text(const json_t *value, enum fact_id id, char *buf, size_t size, const char **out)
{
	if (json_is_string(value)) {
		*out = json_string_value(value);
		return strlen(*out) == json_string_length(value) ? 0 : -1;
	}
	if (id == FACT_MULTINODE && json_is_boolean(value)) {
		*out = json_is_true(value) ? "true" : "false";
		return 0;
	}
	if ((id == FACT_BLOCKS || id == FACT_TOTAL_BLOCKS) && json_is_integer(value)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(value));
		*out = buf;
		return 0;
	}
	if ((id == FACT_ROUTES || id == FACT_PEERS || id == FACT_ROUTERS) && json_is_array(value)) {
		size_t i, len = 0;
		json_t *item;
		buf[0] = '\0';
		json_array_foreach (value, i, item) {
			const char *s = json_string_value(item);
			int n = s ? snprintf(buf + len, size - len, "%s%s", i ? "," : "", s) : -1;
			if (n < 0 || (size_t)n >= size - len || strchr(s, ',') != NULL || s[0] == '\0')
				return -1;
			len += (size_t)n;
		}
		*out = buf;
		return 0;
	}
	return -1;
}

static int set_from_json(const struct fact_input *in, enum fact_id id, const json_t *value, struct jn_error *err)
{
	char buf[8192], quoted[JN_JSON_QUOTE_MAX];
	const char *text;

	if (json_fact_text(value, id, buf, sizeof(buf), &text) < 0)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid fact \"%s\" from %s: %s has the wrong type",
				    facts[id].name, in->channel, jsonutil_quote(value, quoted));
	return set_text(in, id, text, err);
}

/* Keys of a jobnet object that are not facts are refused: a typo must not
 * silently change a job's isolation. The keys are matched ignoring case,
 * as a Go runtime's decoder would match them; two spellings of one fact are
 * error 7. */
static int check_object_keys(const json_t *obj, const char *channel, struct jn_error *err)
{
	const char *key;
	json_t *value, *unused;
	char quoted[JN_JSON_QUOTE_MAX];

	if (obj == NULL)
		return 0;
	if (!json_is_object(obj))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid %s: want an object, got %s", channel,
				    jsonutil_quote(obj, quoted));
	json_object_foreach ((json_t *)obj, key, value) {
		bool known = false;
		for (int i = 0; i < FACT_COUNT; i++)
			known = known || strcasecmp(key, facts[i].json_key) == 0;
		if (!known)
			return jn_error_set(err, JN_ERR_UNSUPPORTED_FIELD, "unsupported field \"%s.%.64s\": %s",
					    channel, key, jsonutil_quote(value, quoted));
		if (jsonutil_get_folded(obj, key, channel, &unused, err) < 0)
			return -1;
	}
	return 0;
}

static int check_annotations(const json_t *ann, struct jn_error *err)
{
	const char *key;
	json_t *value;
	char quoted[JN_JSON_QUOTE_MAX];

	if (ann == NULL)
		return 0;
	if (!json_is_object(ann))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid pod annotations: want an object, got %s",
				    jsonutil_quote(ann, quoted));
	json_object_foreach ((json_t *)ann, key, value) {
		bool known = false;
		if (strncmp(key, "jobnet.dev/", 11) != 0)
			continue; /* other annotations are not ours */
		for (int i = 0; i < FACT_COUNT; i++)
			known = known || strcmp(key, facts[i].annotation) == 0;
		if (!known)
			return jn_error_set(err, JN_ERR_UNSUPPORTED_FIELD, "unsupported annotation \"%.64s\": %s", key,
					    jsonutil_quote(value, quoted));
		if (!json_is_string(value))
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid annotation \"%s\": %s is not a string",
					    key, jsonutil_quote(value, quoted));
	}
	return 0;
}

/* The fact in a jobnet object, by its key in any case (the keys were
 * checked: one spelling each). */
static const json_t *json_fact(const json_t *obj, const struct fact_desc *d)
{
	json_t *v = NULL;
	struct jn_error unused = { 0 };

	if (obj != NULL && jsonutil_get_folded(obj, d->json_key, "", &v, &unused) < 0)
		return NULL;
	return v;
}

/* The highest-precedence channel that carries fact id. */
static int collect_one(const struct facts_sources *src, enum fact_id id, struct jobfacts *out, struct jn_error *err)
{
	const struct fact_desc *d = &facts[id];
	struct fact_input in = { .f = out, .record = src->record };
	const json_t *v;
	const char *text;

	if ((v = json_fact(src->runtime_config, d)) != NULL) {
		in.channel = src->record ? "the record" : "runtimeConfig.jobnet";
		return set_from_json(&in, id, v, err);
	}
	if ((v = json_fact(src->args, d)) != NULL) {
		in.channel = "args.cni.jobnet";
		return set_from_json(&in, id, v, err);
	}
	if ((v = json_object_get(src->annotations, d->annotation)) != NULL)
		return facts_set_text(out, d->name, json_string_value(v), "pod annotation", err);
	if (src->cni_args != NULL && (text = cniargs_get(src->cni_args, d->cni_arg)) != NULL)
		return facts_set_text(out, d->name, text, "CNI_ARGS", err);
	return 0;
}

int facts_collect(const struct facts_sources *src, struct jobfacts *out, struct jn_error *err)
{
	facts_init(out);
	if (check_object_keys(src->runtime_config, "runtimeConfig.jobnet", err) < 0 ||
	    check_object_keys(src->args, "args.cni.jobnet", err) < 0 || check_annotations(src->annotations, err) < 0)
		return -1;
	for (int i = 0; i < FACT_COUNT; i++)
		if (collect_one(src, (enum fact_id)i, out, err) < 0)
			return -1;
	return facts_validate(out, err);
}

/* "<scope>:<name>" into out, error 7 when it does not fit. */
static int scoped(const char *scope, const char *name, char out[JN_ID_MAX + 1], const char *what, struct jn_error *err)
{
	char text[2 * JN_ID_MAX + 2];

	snprintf(text, sizeof(text), "%s%c%s", scope, JN_GROUP_SCOPE_SEP, name);
	if (strlen(text) > JN_ID_MAX)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid fact \"%s\": \"%.64s\" scoped by \"%.64s\" is longer than %d bytes", what,
				    name, scope, JN_ID_MAX);
	strcpy(out, text);
	return 0;
}

int facts_scope_groups(struct jobfacts *f, const char *scope, struct jn_error *err)
{
	if (!names_is_valid_id(scope))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid group scope \"%.64s\": not a name matching [a-zA-Z0-9][a-zA-Z0-9_.-]*",
				    scope);
	if (f->group[0] != '\0' && scoped(scope, f->group, f->group, "group", err) < 0)
		return -1;
	for (size_t i = 0; i < f->route_count; i++)
		if (scoped(scope, f->routes[i], f->routes[i], "routes", err) < 0)
			return -1;
	return 0;
}

/* Each peer and router is one element of an interval set keyed by the
 * job: two that overlap could not both go in. */
static int check_overlaps(const struct jn_prefix *a, size_t a_count, const char *a_name, const struct jn_prefix *b,
			  size_t b_count, const char *b_name, struct jn_error *err)
{
	char x[JN_ADDR_STRLEN], y[JN_ADDR_STRLEN];

	for (size_t i = 0; i < a_count; i++) {
		for (size_t k = a == b ? i + 1 : 0; k < b_count; k++) {
			if (!prefix_overlaps(&a[i], &b[k]))
				continue;
			return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid facts: %s %s and %s %s overlap",
					    a_name, prefix_format(&a[i], x), b_name, prefix_format(&b[k], y));
		}
	}
	return 0;
}

int facts_validate(const struct jobfacts *f, struct jn_error *err)
{
	if ((f->blocks == 0) != (f->total_blocks == 0))
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid facts: \"blocks\" (%u) and \"total-blocks\" (%u) go together", f->blocks,
				    f->total_blocks);
	if (f->blocks > f->total_blocks)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid facts: \"blocks\" %u is greater than \"total-blocks\" %u", f->blocks,
				    f->total_blocks);
	if (f->route_count > 0 && f->role != JN_ROLE_ROUTER)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "invalid facts: \"routes\" (%s...) are only for role \"router\"", f->routes[0]);
	if (check_overlaps(f->peers, f->peer_count, "peer", f->peers, f->peer_count, "peer", err) < 0 ||
	    check_overlaps(f->routers, f->router_count, "router", f->routers, f->router_count, "router", err) < 0 ||
	    check_overlaps(f->peers, f->peer_count, "peer", f->routers, f->router_count, "router", err) < 0)
		return -1;
	return 0;
}

bool facts_is_partial(const struct jobfacts *f)
{
	return f->total_blocks > 0 && f->blocks < f->total_blocks;
}

const char *facts_role_name(enum jobrole role)
{
	return role == JN_ROLE_ROUTER ? "router" : "worker";
}

json_t *facts_prefixes_to_json(const struct jn_prefix *list, size_t count)
{
	json_t *array = json_array();
	char text[JN_ADDR_STRLEN];

	for (size_t i = 0; array != NULL && i < count; i++)
		json_array_append_new(array, json_string(prefix_format(&list[i], text)));
	return array;
}

json_t *facts_to_json(const struct jobfacts *f)
{
	json_t *routes = json_array();

	for (size_t i = 0; routes != NULL && i < f->route_count; i++)
		json_array_append_new(routes, json_string(f->routes[i]));
	return json_pack("{s:s, s:b, s:i, s:i, s:s, s:o, s:o, s:o}", "group", f->group, "multinode", f->multinode,
			 "blocks", (int)f->blocks, "totalBlocks", (int)f->total_blocks, "role",
			 facts_role_name(f->role), "routes", routes, "peers",
			 facts_prefixes_to_json(f->peers, f->peer_count), "routers",
			 facts_prefixes_to_json(f->routers, f->router_count));
}

int facts_from_json(const json_t *j, struct jobfacts *out, struct jn_error *err)
{
	cleanup_json json_t *copy = NULL;
	struct facts_sources src = { 0 };
	json_t *group;

	facts_init(out);
	if (!json_is_object(j))
		return jn_error_set(err, JN_ERR_STATE, "facts are not an object");
	copy = json_deep_copy(j);
	if (copy == NULL)
		return jn_error_set(err, JN_ERR_STATE, "out of memory reading facts");
	/* facts_to_json writes absent facts as "" and 0. */
	group = json_object_get(copy, "group");
	if (json_is_string(group) && json_string_length(group) == 0)
		json_object_del(copy, "group");
	if (json_is_integer(json_object_get(copy, "blocks")) &&
	    json_integer_value(json_object_get(copy, "blocks")) == 0)
		json_object_del(copy, "blocks");
	if (json_is_integer(json_object_get(copy, "totalBlocks")) &&
	    json_integer_value(json_object_get(copy, "totalBlocks")) == 0)
		json_object_del(copy, "totalBlocks");
	src.runtime_config = copy;
	src.record = true;
	if (facts_collect(&src, out, err) < 0)
		return jn_error_recode(err, JN_ERR_STATE);
	return 0;
}
