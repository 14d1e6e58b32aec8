#include "netpolicy/pairs.h"

#include <stdio.h>
#include <string.h>

#include "netpolicy/groups.h"

enum direction {
	FROM_JOB, /* the job opens towards the entry */
	TO_JOB, /* the entry opens towards the job */
};

struct walk {
	const struct netpolicy_job *job;
	enum direction direction;
	const char *why; /* "group G" or "router R routes G" */
	const char *skip_group; /* entries of this group are reported elsewhere */
	pair_fn fn;
	void *ctx;
};

static void emit_family(const struct walk *w, const struct jn_addr *job_addr, const struct jn_addr *other,
			const struct group_entry *e)
{
	char comment[PAIR_COMMENT_MAX];
	bool out = w->direction == FROM_JOB;

	if (job_addr == NULL || other->family == 0)
		return;
	/* Container IDs as the 12-character short form `docker ps` shows;
	 * names are [a-zA-Z0-9_.-], so cutting them cannot break the quoting. */
	snprintf(comment, sizeof(comment), "%.80s: %.12s -> %.12s", w->why,
		 out ? w->job->container_id : e->container_id, out ? e->container_id : w->job->container_id);
	if (out)
		w->fn(job_addr, other, comment, w->ctx);
	else
		w->fn(other, job_addr, comment, w->ctx);
}

static const struct jn_addr *job_addr(const struct netpolicy_job *job, int family)
{
	for (size_t i = 0; i < job->addr_count; i++)
		if (job->addrs[i].addr.family == family)
			return &job->addrs[i].addr;
	return NULL;
}

static int visit(const struct group_entry *e, void *data)
{
	const struct walk *w = data;

	if (groups_is_job(e, w->job) || (w->skip_group != NULL && strcmp(e->group, w->skip_group) == 0))
		return 0;
	emit_family(w, job_addr(w->job, AF_INET), &e->addr4, e);
	emit_family(w, job_addr(w->job, AF_INET6), &e->addr6, e);
	return 0;
}

static int group_pairs(int fd, const struct netpolicy_job *job, bool both_ways, struct walk *w, struct jn_error *err)
{
	char why[PAIR_COMMENT_MAX];

	snprintf(why, sizeof(why), "group %.60s", job->group);
	w->why = why;
	w->skip_group = NULL;
	w->direction = FROM_JOB;
	if (groups_each_member(fd, job->group, visit, w, err) < 0)
		return -1;
	if (both_ways) {
		w->direction = TO_JOB;
		if (groups_each_member(fd, job->group, visit, w, err) < 0)
			return -1;
		/* Routers into the group; those in it are members already. */
		snprintf(why, sizeof(why), "router into group %.60s", job->group);
		w->skip_group = job->group;
		if (groups_each_router(fd, job->group, visit, w, err) < 0)
			return -1;
	}
	return 0;
}

static int route_pairs(int fd, const struct netpolicy_job *job, struct walk *w, struct jn_error *err)
{
	char why[PAIR_COMMENT_MAX];

	w->direction = FROM_JOB;
	w->skip_group = NULL;
	for (size_t i = 0; i < job->route_count; i++) {
		/* A route to its own group adds nothing to membership. */
		if (strcmp(job->routes[i], job->group) == 0)
			continue;
		snprintf(why, sizeof(why), "router %.12s routes %.50s", job->container_id, job->routes[i]);
		w->why = why;
		if (groups_each_member(fd, job->routes[i], visit, w, err) < 0)
			return -1;
	}
	return 0;
}

int pairs_each(int groups_fd, const struct netpolicy_job *job, bool both_ways, pair_fn fn, void *ctx,
	       struct jn_error *err)
{
	struct walk w = { .job = job, .fn = fn, .ctx = ctx };

	if (job->group[0] != '\0' && group_pairs(groups_fd, job, both_ways, &w, err) < 0)
		return -1;
	if (job->router && route_pairs(groups_fd, job, &w, err) < 0)
		return -1;
	return 0;
}
