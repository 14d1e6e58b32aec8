/* Element changes sent to nf_tables directly (libmnl), for the elements of
 * one job and its talk pairs: the ADD and DEL of a job in the common case.
 * One batch is one transaction, as a libnftables run is, but it needs no
 * parsing and no cache of the node's tables: the ruleset's own sets are
 * known from the templates. Interval sets of one field (a network's
 * subnets) are left to libnftables, which merges their ranges.
 */
#ifndef JOBNET_NFTWIRE_H
#define JOBNET_NFTWIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "netpolicy/element.h"

struct nftwire {
	unsigned char *buf;
	size_t len, cap;
	unsigned first_seq, next_seq; /* the batch's begin; its messages follow */
	struct strbuf text; /* each message as nft text, for error messages */
	size_t *text_at; /* offset of each message's text */
	size_t text_cap;
	bool failed; /* out of memory, or an element it cannot encode */
};

void nftwire_init(struct nftwire *w);

/* How many messages are queued. */
static inline size_t nftwire_messages(const struct nftwire *w)
{
	return w->next_seq - w->first_seq - 1;
}
void nftwire_free(struct nftwire *w);

/* Queue the element's change: RENDER_ADD adds it (an existing equal one is
 * fine), RENDER_DELETE adds then deletes it (an absent one is fine). */
void nftwire_element(struct nftwire *w, enum render_op op, const struct element *e);

/* Queue the deletion of an element the kernel lists (no add first: a map
 * element's data is not known). */
void nftwire_delete(struct nftwire *w, const struct element *e);

/* Send what is queued as one transaction; nothing queued is success. On
 * failure fill err (code 106) naming the first element refused. */
int nftwire_commit(struct nftwire *w, struct jn_error *err);

/* Whether the kernel lists the element (its key; data and comment aside). */
int nftwire_element_exists(const struct element *e, bool *exists, struct jn_error *err);
/* The same, and (when same is not NULL) whether the element listed under
 * that key has e's data. */
int nftwire_element_lookup(const struct element *e, bool *exists, bool *same, struct jn_error *err);

static inline void nftwire_freep(struct nftwire *w)
{
	nftwire_free(w);
}
#define cleanup_nftwire __attribute__((cleanup(nftwire_freep)))

#endif
