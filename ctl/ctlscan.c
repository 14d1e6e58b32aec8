#include "ctl/ctlscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ports.h"
#include "core/state.h"

void namelist_add(struct namelist *l, const char *name)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		char **bigger = realloc(l->items, cap * sizeof(*bigger));
		if (bigger == NULL)
			return;
		l->items = bigger;
		l->cap = cap;
	}
	l->items[l->count] = strdup(name);
	if (l->items[l->count] != NULL)
		l->count++;
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

struct scan {
	const char *state_dir;
	struct known *k;
};

static int scan_record(struct state_network *net, const char *key, void *data)
{
	struct scan *s = data;
	struct jn_error err = { 0 };
	struct attachment a;
	char owner[PORTS_OWNER_MAX];

	if (state_read_attachment_key(net, key, &a, &err) < 0) {
		s->k->unreadable++;
		return 0;
	}
	ports_owner(a.network, a.container_id, a.ifname, owner);
	namelist_add(&s->k->owners, owner);
	if (a.host_veth[0] != '\0')
		namelist_add(&s->k->veths, a.host_veth);
	attachment_free(&a);
	return 0;
}

static int scan_network(const char *name, void *data)
{
	struct scan *s = data;
	struct jn_error err = { 0 };
	struct state_network net;

	if (state_open(s->state_dir, name, false, &net, &err) < 0 || net.dir_fd < 0)
		return 0;
	state_each_attachment(&net, scan_record, s, &err);
	state_close(&net);
	return 0;
}

int known_scan(const char *state_dir, struct known *k)
{
	struct scan s = { .state_dir = state_dir, .k = k };
	struct jn_error err = { 0 };

	memset(k, 0, sizeof(*k));
	return state_each_network(state_dir, scan_network, &s, &err);
}

void known_free(struct known *k)
{
	namelist_free(&k->owners);
	namelist_free(&k->veths);
}
