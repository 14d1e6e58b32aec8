/* Garbage collection: one sweep for the CNI GC command and jobnetctl gc.
 *
 * A network's sweep removes each attachment a judge calls stale (with
 * everything it owns), then the reservations and this network's host port
 * claims whose owner has no record and is not listed, then the temporary
 * files killed writers left. The two commands differ only in the judge:
 * CNI GC removes what the runtime does not list in
 * cni.dev/valid-attachments; jobnetctl gc what never finished its ADD or
 * lost its namespace. jobnetctl gc then removes what no record of the node
 * owns (links named like jobnet's veths, port claims), but only when every
 * network and record read: what cannot be read might own anything. A link
 * goes only from a bridge of a network of the state read, and the tables
 * are rebuilt only when they hold no other network: an empty or wrong
 * state directory names none of the node's live jobs.
 */
#ifndef JOBNET_GC_H
#define JOBNET_GC_H

#include <stdbool.h>

#include "base/error.h"
#include "core/attachment.h"
#include "core/report.h"
#include "core/scan.h"
#include "core/state.h"
#include "core/teardown.h"

enum gc_verdict {
	GC_LIVE,
	GC_STALE,
	GC_UNJUDGED, /* its record does not read: it and what it owns stay */
	GC_UNKNOWN, /* whether it is stale cannot be told (err says why): it stays, a failure */
};

struct gc_judge {
	/* Attachment keys ("<cid>:<ifname>") known live without reading their
	 * record; their reservations and claims stay too. NULL: none. */
	bool (*listed)(const char *key, void *ctx);
	/* The verdict on an attachment not listed, as teardown_find found it
	 * (source says from where); *why says why a stale one is, err why an
	 * unknown one is. */
	enum gc_verdict (*judge)(const struct attachment *a, enum teardown_source source, const char **why,
				 struct jn_error *err, void *ctx);
	void *ctx;
};

/* Sweep one network whose lock the caller holds exclusively. What is
 * removed or fails to go is reported in r; returns -1 with err set when the
 * sweep could not go through the network (its records or reservations did
 * not list, the policy lock did not come). */
int gc_network(const char *state_dir, struct state_network *net, const char *network, const struct gc_judge *judge,
	       struct report *r, struct jn_error *err);

/* 1 when the attachment's namespace is gone: its path does not exist, is
 * no longer a network namespace, or names another namespace than the one
 * ADD attached (a reused /proc/<pid>/ns/net); an empty path counts as
 * gone. 0 when it lives; -1 with err when the path fails to open for
 * another reason (EACCES, EMFILE, ...), which says nothing of the
 * namespace. */
int gc_namespace_is_gone(const struct attachment *a, struct jn_error *err);

/* Leftovers of the node: the host port claims in each state directory
 * whose owner no record of any of them names, and (with links) the links
 * named like jobnet's veths that no record names and that are ports of the
 * bridge of a network of the state (any other is a note). Nothing is
 * removed when any network or record does not read, or r already holds
 * unreadable state; *judged tells whether the sweep ran. */
int gc_sweep_leftovers(const struct namelist *state_dirs, bool links, struct report *r, bool *judged,
		       struct jn_error *err);

/* Whether jobnet's tables may be rebuilt from state_dirs: not when state
 * did not read (the rebuild would drop what it owns), nor from several
 * directories (the tables hold one's), nor when the tables hold a network
 * (its bridge) no network.json of the directory names. Says why not in r. */
bool gc_may_rebuild_tables(const struct namelist *state_dirs, struct report *r);

/* jobnetctl gc: sweep every network of every state directory, stale being
 * an ADD that never finished or a namespace that is gone; then the
 * leftovers; then rebuild the tables from what remains. */
int gc_node(const struct namelist *state_dirs, struct report *r, struct jn_error *err);

#endif
