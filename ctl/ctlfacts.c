#include "ctl/ctlfacts.h"

#include <stdio.h>
#include <string.h>

enum {
	GIVEN_GROUP = 1 << 0,
	GIVEN_MULTINODE = 1 << 1,
	GIVEN_BLOCKS = 1 << 2,
	GIVEN_ROLE = 1 << 3,
	GIVEN_ROUTES = 1 << 4,
	GIVEN_PEERS = 1 << 5,
	GIVEN_ROUTERS = 1 << 6,
};

const struct option ctlfacts_options[] = {
	{ "group", required_argument, NULL, 'g' },   { "multinode", optional_argument, NULL, 'm' },
	{ "blocks", required_argument, NULL, 'b' },  { "role", required_argument, NULL, 'r' },
	{ "routes", required_argument, NULL, 'R' },  { "peers", required_argument, NULL, 'p' },
	{ "routers", required_argument, NULL, 'P' }, { NULL, 0, NULL, 0 },
};

void ctlfacts_init(struct ctlfacts *f)
{
	facts_init(&f->facts);
	f->given = 0;
}

static int set_blocks(struct jobfacts *f, const char *value, struct jn_error *err)
{
	char copy[64];
	char *slash;

	snprintf(copy, sizeof(copy), "%s", value);
	slash = strchr(copy, '/');
	if (slash == NULL)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid --blocks \"%.32s\": want N/M", value);
	*slash = '\0';
	if (facts_set_text(f, "blocks", copy, "--blocks", err) < 0 ||
	    facts_set_text(f, "total-blocks", slash + 1, "--blocks", err) < 0)
		return -1;
	return 0;
}

int ctlfacts_option(struct ctlfacts *f, int c, const char *arg, struct jn_error *err)
{
	switch (c) {
	case 'g':
		f->given |= GIVEN_GROUP;
		return facts_set_text(&f->facts, "group", arg, "--group", err);
	case 'm':
		f->given |= GIVEN_MULTINODE;
		return facts_set_text(&f->facts, "multinode", arg ? arg : "true", "--multinode", err);
	case 'b':
		f->given |= GIVEN_BLOCKS;
		return set_blocks(&f->facts, arg, err);
	case 'r':
		f->given |= GIVEN_ROLE;
		return facts_set_text(&f->facts, "role", arg, "--role", err);
	case 'R':
		f->given |= GIVEN_ROUTES;
		return facts_set_text(&f->facts, "routes", arg, "--routes", err);
	case 'p':
		f->given |= GIVEN_PEERS;
		return facts_set_text(&f->facts, "peers", arg, "--peers", err);
	case 'P':
		f->given |= GIVEN_ROUTERS;
		return facts_set_text(&f->facts, "routers", arg, "--routers", err);
	default:
		return 1;
	}
}

bool ctlfacts_any(const struct ctlfacts *f)
{
	return f->given != 0;
}

static int put_lists(const struct ctlfacts *f, json_t *j)
{
	const struct jobfacts *facts = &f->facts;
	json_t *routes;

	if (f->given & GIVEN_ROUTES) {
		if ((routes = json_array()) == NULL || json_object_set_new(j, "routes", routes) < 0)
			return -1;
		for (size_t i = 0; i < facts->route_count; i++)
			if (json_array_append_new(routes, json_string(facts->routes[i])) < 0)
				return -1;
	}
	if ((f->given & GIVEN_PEERS) &&
	    json_object_set_new(j, "peers", facts_prefixes_to_json(facts->peers, facts->peer_count)) < 0)
		return -1;
	if ((f->given & GIVEN_ROUTERS) &&
	    json_object_set_new(j, "routers", facts_prefixes_to_json(facts->routers, facts->router_count)) < 0)
		return -1;
	return 0;
}

json_t *ctlfacts_to_json(const struct ctlfacts *f)
{
	const struct jobfacts *facts = &f->facts;
	json_t *j = json_object();
	int rc = j == NULL ? -1 : 0;

	if (rc == 0 && (f->given & GIVEN_GROUP))
		rc = json_object_set_new(j, "group", json_string(facts->group));
	if (rc == 0 && (f->given & GIVEN_MULTINODE))
		rc = json_object_set_new(j, "multinode", json_boolean(facts->multinode));
	if (rc == 0 && (f->given & GIVEN_BLOCKS))
		rc = json_object_set_new(j, "blocks", json_integer(facts->blocks)) < 0 ||
				json_object_set_new(j, "totalBlocks", json_integer(facts->total_blocks)) < 0
			? -1
			: 0;
	if (rc == 0 && (f->given & GIVEN_ROLE))
		rc = json_object_set_new(j, "role", json_string(facts_role_name(facts->role)));
	if (rc == 0)
		rc = put_lists(f, j);
	if (rc < 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}
