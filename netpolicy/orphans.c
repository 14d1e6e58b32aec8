#include "netpolicy/orphans.h"

#include <linux/netfilter.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "netpolicy/nfdump.h"
#include "netpolicy/nftwire.h"
#include "netpolicy/render.h"

/* The per-job sets and the kinds of their key fields (the templates'). */
static const struct job_set {
	enum element_table table;
	const char *name;
	int family; /* of ELEMENT_ADDR and ELEMENT_PREFIX fields */
	size_t count;
	enum element_kind kinds[ELEMENT_KEY_MAX];
} job_sets[] = {
	{ ELEMENT_INET, "job_addrs4", AF_INET, 1, { ELEMENT_ADDR } },
	{ ELEMENT_INET, "job_addrs6", AF_INET6, 1, { ELEMENT_ADDR } },
	{ ELEMENT_INET, "job_talk4", AF_INET, 2, { ELEMENT_ADDR, ELEMENT_ADDR } },
	{ ELEMENT_INET, "job_talk6", AF_INET6, 2, { ELEMENT_ADDR, ELEMENT_ADDR } },
	{ ELEMENT_INET, "job_peers4", AF_INET, 2, { ELEMENT_ADDR, ELEMENT_PREFIX } },
	{ ELEMENT_INET, "job_peers6", AF_INET6, 2, { ELEMENT_ADDR, ELEMENT_PREFIX } },
	{ ELEMENT_INET, "job_mutual4", AF_INET, 2, { ELEMENT_ADDR, ELEMENT_ADDR } },
	{ ELEMENT_INET, "job_mutual6", AF_INET6, 2, { ELEMENT_ADDR, ELEMENT_ADDR } },
	{ ELEMENT_INET, "job_mutual_ranges4", AF_INET, 2, { ELEMENT_ADDR, ELEMENT_PREFIX } },
	{ ELEMENT_INET, "job_mutual_ranges6", AF_INET6, 2, { ELEMENT_ADDR, ELEMENT_PREFIX } },
	{ ELEMENT_INET, "job_inbound4", AF_INET, 2, { ELEMENT_ADDR, ELEMENT_PREFIX } },
	{ ELEMENT_INET, "job_inbound6", AF_INET6, 2, { ELEMENT_ADDR, ELEMENT_PREFIX } },
	{ ELEMENT_INET, "job_self4", AF_INET, 2, { ELEMENT_ADDR, ELEMENT_ADDR } },
	{ ELEMENT_INET, "job_self6", AF_INET6, 2, { ELEMENT_ADDR, ELEMENT_ADDR } },
	{ ELEMENT_INET, "portmap4", AF_INET, 3, { ELEMENT_ADDR, ELEMENT_PROTO, ELEMENT_PORT } },
	{ ELEMENT_INET, "portmap6", AF_INET6, 3, { ELEMENT_ADDR, ELEMENT_PROTO, ELEMENT_PORT } },
	{ ELEMENT_INET, "portmap_any4", AF_INET, 2, { ELEMENT_PROTO, ELEMENT_PORT } },
	{ ELEMENT_INET, "portmap_any6", AF_INET6, 2, { ELEMENT_PROTO, ELEMENT_PORT } },
	{ ELEMENT_INET, "portmap_lo4", AF_INET, 3, { ELEMENT_ADDR, ELEMENT_PROTO, ELEMENT_PORT } },
	{ ELEMENT_INET, "portmap_lo6", AF_INET6, 3, { ELEMENT_ADDR, ELEMENT_PROTO, ELEMENT_PORT } },
	{ ELEMENT_BRIDGE, "ports", 0, 1, { ELEMENT_IFNAME } },
	{ ELEMENT_BRIDGE, "port_mac", 0, 2, { ELEMENT_IFNAME, ELEMENT_ETHER } },
	{ ELEMENT_BRIDGE, "port_lladdr", 0, 2, { ELEMENT_IFNAME, ELEMENT_NUMBER48 } },
	{ ELEMENT_BRIDGE, "port_ip4", AF_INET, 2, { ELEMENT_IFNAME, ELEMENT_ADDR } },
	{ ELEMENT_BRIDGE, "port_ip6", AF_INET6, 2, { ELEMENT_IFNAME, ELEMENT_ADDR } },
	{ ELEMENT_BRIDGE, "port_nd_target", AF_INET6, 2, { ELEMENT_IFNAME, ELEMENT_NUMBER128 } },
};

/* What the pairs of a recorded job need. */
struct live_job {
	struct jn_addr addrs[2];
	size_t addr_count;
	char group[JN_ID_MAX + 1];
	bool router;
	char (*routes)[JN_ID_MAX + 1];
	size_t route_count;
};

struct census {
	struct strbuf expected; /* "get element ..." lines */
	struct live_job *jobs;
	size_t count, cap;
	bool unreadable;
	bool failed;
};

static int count_network(void *ctx, const struct netpolicy_network *net, struct jn_error *err)
{
	(void)ctx;
	(void)net;
	(void)err;
	return 0;
}

static int count_job(void *ctx, const struct netpolicy_job *job, struct jn_error *err)
{
	struct census *c = ctx;
	struct live_job *j;

	if (netpolicy_validate_job(job, err) < 0)
		return -1;
	render_job(&c->expected, RENDER_GET, job);
	if (c->count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct live_job *bigger = realloc(c->jobs, cap * sizeof(*bigger));
		if (bigger == NULL)
			return jn_error_set(err, JN_ERR_NFTABLES, "out of memory counting jobs");
		c->jobs = bigger;
		c->cap = cap;
	}
	j = &c->jobs[c->count];
	memset(j, 0, sizeof(*j));
	for (size_t i = 0; i < job->addr_count; i++)
		j->addrs[j->addr_count++] = job->addrs[i].addr;
	strcpy(j->group, job->group);
	j->router = job->router;
	if (job->router && job->route_count > 0) {
		j->routes = calloc(job->route_count, sizeof(*j->routes));
		if (j->routes == NULL)
			return jn_error_set(err, JN_ERR_NFTABLES, "out of memory counting jobs");
		memcpy(j->routes, job->routes, job->route_count * sizeof(*j->routes));
		j->route_count = job->route_count;
	}
	c->count++;
	return 0;
}

static void note_unreadable(void *ctx)
{
	((struct census *)ctx)->unreadable = true;
}

static void census_free(struct census *c)
{
	for (size_t i = 0; i < c->count; i++)
		free(c->jobs[i].routes);
	free(c->jobs);
	strbuf_free(&c->expected);
}

/* Whether src may open connections to dst: pairs.h's rule. */
static bool may_open(const struct live_job *src, const struct live_job *dst)
{
	if (src->group[0] != '\0' && strcmp(src->group, dst->group) == 0)
		return true;
	for (size_t i = 0; src->router && dst->group[0] != '\0' && i < src->route_count; i++)
		if (strcmp(src->routes[i], dst->group) == 0)
			return true;
	return false;
}

static void expect_pairs(struct census *c)
{
	for (size_t s = 0; s < c->count; s++) {
		for (size_t d = 0; d < c->count; d++) {
			if (s == d || !may_open(&c->jobs[s], &c->jobs[d]))
				continue;
			for (size_t a = 0; a < c->jobs[s].addr_count; a++)
				for (size_t b = 0; b < c->jobs[d].addr_count; b++)
					if (c->jobs[s].addrs[a].family == c->jobs[d].addrs[b].family)
						render_pair(&c->expected, RENDER_GET, &c->jobs[s].addrs[a],
							    &c->jobs[d].addrs[b], NULL);
		}
	}
}

static int compare_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The expected lines, split in place and sorted for bsearch. */
struct expected {
	char **lines;
	size_t count;
};

static int index_lines(struct strbuf *text, struct expected *out, struct jn_error *err)
{
	size_t cap = 0;
	char *cursor = text->data, *line;

	out->lines = NULL;
	out->count = 0;
	while (cursor != NULL && (line = strsep(&cursor, "\n")) != NULL) {
		if (line[0] == '\0')
			continue;
		if (out->count == cap) {
			char **bigger = realloc(out->lines, (cap = cap ? cap * 2 : 256) * sizeof(*bigger));
			if (bigger == NULL)
				return jn_error_set(err, JN_ERR_NFTABLES, "out of memory");
			out->lines = bigger;
		}
		out->lines[out->count++] = line;
	}
	if (out->count > 0)
		qsort(out->lines, out->count, sizeof(*out->lines), compare_lines);
	return 0;
}

/* A key as the kernel holds it, back into values (nftwire.c's layout). */
struct decoded {
	struct element e;
	char ifname[17];
};

/* The length of the prefix whose first and last addresses these are. */
static int prefix_len_of_range(const uint8_t *first, const uint8_t *last, size_t size)
{
	int len = 0;

	for (size_t i = 0; i < size; i++) {
		uint8_t same = (uint8_t) ~(first[i] ^ last[i]);
		if (same == 0xff) {
			len += 8;
			continue;
		}
		while (same & 0x80) {
			len++;
			same = (uint8_t)(same << 1);
		}
		break;
	}
	return len;
}

static bool decode_field(const struct job_set *s, size_t i, const uint8_t **p, const uint8_t *end,
			 const struct nfdump_element *raw, struct decoded *out)
{
	struct element_value *v = &out->e.key[i];
	size_t size = 4;

	memset(v, 0, sizeof(*v));
	v->kind = s->kinds[i];
	if (v->kind == ELEMENT_IFNAME)
		size = 16;
	else if (v->kind == ELEMENT_ETHER || v->kind == ELEMENT_NUMBER48)
		size = 8;
	else if (v->kind == ELEMENT_NUMBER128 || v->kind == ELEMENT_ADDR || v->kind == ELEMENT_PREFIX)
		size = v->kind == ELEMENT_NUMBER128 ? 16 : (size_t)addr_size(s->family);
	if ((size_t)(end - *p) < size)
		return false;
	if (v->kind == ELEMENT_IFNAME) {
		memcpy(out->ifname, *p, 16);
		out->ifname[16] = '\0';
		v->ifname = out->ifname;
	} else if (v->kind == ELEMENT_ETHER || v->kind == ELEMENT_NUMBER48) {
		memcpy(v->ether, *p, 6);
	} else if (v->kind == ELEMENT_PROTO) {
		v->number = (*p)[0];
	} else if (v->kind == ELEMENT_PORT) {
		v->number = (uint16_t)((*p)[0] << 8 | (*p)[1]);
	} else {
		v->prefix.addr.family = s->kinds[i] == ELEMENT_NUMBER128 ? AF_INET6 : s->family;
		memcpy(v->prefix.addr.bytes, *p, size);
		v->prefix.len = addr_bits(v->prefix.addr.family);
		if (v->kind == ELEMENT_PREFIX) {
			size_t at = (size_t)(*p - raw->key);
			if (raw->key_end == NULL || raw->key_end_len < at + size)
				return false;
			v->prefix.len = prefix_len_of_range(*p, raw->key_end + at, size);
		}
	}
	*p += size;
	return true;
}

static bool decode(const struct job_set *s, const struct nfdump_element *raw, struct decoded *out)
{
	const uint8_t *p = raw->key, *end = raw->key + raw->key_len;

	memset(out, 0, sizeof(*out));
	out->e.table = s->table;
	out->e.set = s->name;
	out->e.key_count = s->count;
	for (size_t i = 0; i < s->count; i++)
		if (!decode_field(s, i, &p, end, raw, out))
			return false;
	return p == end;
}

/* Whether the job address of the key (its first address field: a peer,
 * which may lie in any subnet, comes after it) is inside the scope. A
 * mapping's key names a node address, not a job's: never in scope. */
static bool in_scope(const struct decoded *d, const struct orphans_scope *scope)
{
	if (strncmp(d->e.set, "portmap", 7) == 0)
		return false;
	for (size_t i = 0; i < d->e.key_count; i++) {
		const struct element_value *v = &d->e.key[i];
		if (v->kind != ELEMENT_ADDR && v->kind != ELEMENT_NUMBER128)
			continue;
		for (size_t s = 0; s < scope->subnet_count; s++)
			if (prefix_contains(&scope->subnets[s], &v->prefix.addr))
				return true;
		return false;
	}
	return false;
}

struct walk {
	const struct job_set *set;
	const struct expected *expected;
	const struct orphans_scope *scope; /* NULL: report only */
	struct nftwire *wire;
	netpolicy_missing_fn report;
	void *ctx;
	struct strbuf line;
};

static void on_raw(const struct nfdump_element *raw, void *data)
{
	struct walk *w = data;
	struct decoded d;
	char *text;

	strbuf_reset(&w->line);
	if (!decode(w->set, raw, &d)) {
		strbuf_printf(&w->line, "%s %s: an element of %zu bytes jobnet cannot read",
			      element_table_name(w->set->table), w->set->name, raw->key_len);
		w->report(w->ctx, strbuf_text(&w->line));
		return;
	}
	element_text(&w->line, RENDER_GET, &d.e);
	if (strbuf_failed(&w->line))
		return;
	text = w->line.data;
	text[strcspn(text, "\n")] = '\0';
	if (w->expected->count > 0 &&
	    bsearch(&text, w->expected->lines, w->expected->count, sizeof(char *), compare_lines) != NULL)
		return;
	if (w->scope != NULL && !in_scope(&d, w->scope))
		return;
	w->report(w->ctx, text + strlen("get element "));
	if (w->scope != NULL)
		nftwire_delete(w->wire, &d.e);
}

static int walk_sets(const struct expected *expected, const struct orphans_scope *scope, struct nftwire *wire,
		     netpolicy_missing_fn report, void *ctx, struct jn_error *err)
{
	struct walk w = {
		.expected = expected, .scope = scope, .wire = wire, .report = report, .ctx = ctx, .line = STRBUF_INIT
	};
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof(job_sets) / sizeof(job_sets[0]); i++) {
		w.set = &job_sets[i];
		rc = nfdump_set(job_sets[i].table == ELEMENT_BRIDGE ? NFPROTO_BRIDGE : NFPROTO_INET, job_sets[i].name,
				on_raw, &w, err);
	}
	strbuf_free(&w.line);
	return rc;
}

int orphans_find(const struct netpolicy_restore *restore, const struct orphans_scope *scope,
		 netpolicy_missing_fn report, void *ctx, bool *judged, struct jn_error *err)
{
	struct census c = { .expected = STRBUF_INIT };
	struct netpolicy_visitor visitor = {
		.network = count_network, .job = count_job, .unreadable = note_unreadable, .ctx = &c
	};
	cleanup_nftwire struct nftwire wire;
	struct expected expected = { 0 };
	bool current;
	int rc = -1;

	*judged = false;
	nftwire_init(&wire);
	if (netpolicy_tables_are_current(&current, err) < 0)
		return -1;
	if (!current)
		return 0;
	if (restore->each(restore->ctx, &visitor, err) < 0)
		goto out;
	if (c.unreadable) {
		rc = 0;
		goto out;
	}
	expect_pairs(&c);
	if (strbuf_failed(&c.expected)) {
		jn_error_set(err, JN_ERR_NFTABLES, "out of memory listing the expected elements");
		goto out;
	}
	if (index_lines(&c.expected, &expected, err) < 0 || walk_sets(&expected, scope, &wire, report, ctx, err) < 0)
		goto out;
	*judged = true;
	rc = nftwire_commit(&wire, err);
out:
	free(expected.lines);
	census_free(&c);
	return rc;
}
