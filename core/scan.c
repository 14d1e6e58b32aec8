#include "core/scan.h"

#include <stdlib.h>
#include <string.h>

#include "core/netrecord.h"
#include "core/ports.h"
#include "core/walk.h"

int namelist_add(struct namelist *l, const char *name)
{
	char *copy;

	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		char **bigger = realloc(l->items, cap * sizeof(*bigger));
		if (bigger == NULL)
			return -1;
		l->items = bigger;
		l->cap = cap;
	}
	copy = strdup(name);
	if (copy == NULL)
		return -1;
	l->items[l->count++] = copy;
	return 0;
}

int namelist_add_unique(struct namelist *l, const char *name)
{
	return namelist_has(l, name) ? 0 : namelist_add(l, name);
}

bool namelist_has(const struct namelist *l, const char *name)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->items[i], name) == 0)
			return true;
	return false;
}

void namelist_free(struct namelist *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static void note_unreadable(void *ctx, const struct jn_error *problem)
{
	struct known *k = ctx;

	if (k->unreadable++ == 0)
		k->first_unreadable = *problem;
}

static int add_record(struct state_network *net, const struct attachment *a, void *ctx)
{
	struct known *k = ctx;
	char owner[PORTS_OWNER_MAX];

	(void)net;
	ports_owner(a->network, a->container_id, a->ifname, owner);
	if (namelist_add(&k->owners, owner) < 0 ||
	    (a->host_veth[0] != '\0' && namelist_add(&k->veths, a->host_veth) < 0) ||
	    (a->bridge[0] != '\0' && namelist_add_unique(&k->bridges, a->bridge) < 0))
		return -1;
	return 0;
}

/* A network.json that does not read only leaves its bridge unknown: gc
 * then takes nothing on it for a leftover, which errs on the safe side.
 * The network's own sweep reports the damage. */
static int add_bridge(struct state_network *net, struct namelist *bridges)
{
	struct jn_error err = { 0 };
	struct netrecord rec;
	bool found;

	if (netrecord_read(net, &rec, &found, &err) < 0 || !found || rec.bridge[0] == '\0')
		return 0;
	return namelist_add_unique(bridges, rec.bridge);
}

static int scan_network(struct state_network *net, const char *name, void *ctx)
{
	struct jn_error err = { 0 };

	(void)name;
	if (add_bridge(net, &((struct known *)ctx)->bridges) < 0)
		return -1; /* out of memory: stop */
	if (walk_records(net, add_record, note_unreadable, ctx, &err) == 0)
		return 0;
	if (!jn_error_is_set(&err))
		return -1; /* out of memory: stop */
	note_unreadable(ctx, &err);
	return 0;
}

/* Walk state_dir's networks without their locks; a failure the walk did not
 * describe is running out of memory listing what. */
static int walk_unlocked(const char *state_dir, const struct walk_ops *ops, const char *what, struct jn_error *err)
{
	int rc = walk_networks(state_dir, WALK_UNLOCKED, ops, err);

	if (rc < 0 && !jn_error_is_set(err))
		return jn_error_set(err, JN_ERR_IO, "out of memory listing the %s of %s", what, state_dir);
	return rc;
}

int known_scan(const char *state_dir, struct known *k, struct jn_error *err)
{
	struct walk_ops ops = { .network = scan_network, .problem = note_unreadable, .ctx = k };

	return walk_unlocked(state_dir, &ops, "attachments", err);
}

void known_free(struct known *k)
{
	namelist_free(&k->owners);
	namelist_free(&k->veths);
	namelist_free(&k->bridges);
}

static int add_network_bridge(struct state_network *net, const char *name, void *ctx)
{
	(void)name;
	return add_bridge(net, ctx);
}

/* A network that does not open adds no bridge: what it owns is not known. */
static void ignore_problem(void *ctx, const struct jn_error *problem)
{
	(void)ctx;
	(void)problem;
}

int known_network_bridges(const char *state_dir, struct namelist *bridges, struct jn_error *err)
{
	struct walk_ops ops = { .network = add_network_bridge, .problem = ignore_problem, .ctx = bridges };

	return walk_unlocked(state_dir, &ops, "networks", err);
}
