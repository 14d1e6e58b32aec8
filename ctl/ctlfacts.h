/* A job's facts as jobnetctl's flags give them, and in the JSON form the
 * plugin reads from runtimeConfig.jobnet or args.cni.jobnet. */
#ifndef JOBNET_CTLFACTS_H
#define JOBNET_CTLFACTS_H

#include <getopt.h>
#include <stdbool.h>

#include <jansson.h>

#include "base/error.h"
#include "core/facts.h"

#define CTLFACTS_USAGE                                                                   \
	"[--group G] [--multinode[=true|false]] [--blocks N/M] [--role worker|router]\n" \
	"    [--routes G,G] [--peers CIDR,CIDR] [--routers CIDR,CIDR]"

/* The facts' long options (option characters g, m, b, r, R, p, P), ending in
 * a zero entry. */
extern const struct option ctlfacts_options[];

struct ctlfacts {
	struct jobfacts facts;
	unsigned given; /* one bit per option character seen */
};

void ctlfacts_init(struct ctlfacts *f);

/* Apply option c (from ctlfacts_options) with its argument: 1 when c is
 * not a fact's option, 0 when applied, -1 with err for a bad value. */
int ctlfacts_option(struct ctlfacts *f, int c, const char *arg, struct jn_error *err);

bool ctlfacts_any(const struct ctlfacts *f);

/* The facts given, as runtimeConfig.jobnet spells them; NULL without memory. */
json_t *ctlfacts_to_json(const struct ctlfacts *f);

#endif
