/* Glue between the state of attachments and netpolicy: builds netpolicy's
 * view of networks and jobs from records, holds the node-wide policy lock
 * around every change, and walks every record when the tables have to be
 * rebuilt.
 */
#ifndef JOBNET_POLICY_H
#define JOBNET_POLICY_H

#include "netpolicy/netpolicy.h"
#include "core/attachment.h"
#include "base/error.h"
#include "core/netrecord.h"

/* rec, the job's network, says which peers are members on other nodes;
 * NULL (as DEL has it) leaves that open: removal needs no answer. */
void policy_job_from_attachment(const struct attachment *a, const struct netrecord *rec, struct netpolicy_job *job);
void policy_network_from_record(const struct netrecord *rec, struct netpolicy_network *net);

/* Take the node-wide lock; released by closing *fd. */
int policy_lock(const char *state_dir, int *fd, struct jn_error *err);

/* With the policy lock held: add the elements of the network (replacing
 * those of old when it is not NULL) and of the job (when not NULL). A
 * changed cluster rebuilds both tables from every record first: which
 * peers are members on other nodes depends on it. */
int policy_attach_locked(const char *state_dir, const struct netrecord *rec, const struct netrecord *old,
			 const struct attachment *a, struct jn_error *err);
/* Take the lock and remove the job's elements and pairs. */
int policy_detach(const char *state_dir, const struct attachment *a, struct jn_error *err);
/* Forget the job's connections (conntrack); call before its addresses are
 * released, so no new holder of one has flows yet. */
int policy_forget_flows(const struct attachment *a, struct jn_error *err);
/* Report each element of the network (and of a, when not NULL) that the
 * kernel does not list. */
int policy_verify(const char *state_dir, const struct netrecord *rec, const struct attachment *a,
		  netpolicy_missing_fn missing, void *ctx, struct jn_error *err);
/* Call fn with each of the job's elements as the kernel lists it ("inet
 * jobnet job_addrs4: 10.1.0.2 comment ..."), or "MISSING ..." for one it
 * does not have. */
typedef void (*policy_element_fn)(void *ctx, const char *line);
int policy_show_elements(const char *state_dir, const struct attachment *a, policy_element_fn fn, void *ctx,
			 struct jn_error *err);

/* Report chains whose rules differ from what jobnet loaded. */
int policy_verify_rules(const char *state_dir, netpolicy_missing_fn report, void *ctx, struct jn_error *err);

/* Take the lock and report each element of the per-job sets that no
 * record explains; with a network (remove_in), only those naming an
 * address of its subnets, which are deleted. *judged false when that
 * cannot be told (tables missing or outdated, a record unreadable). */
int policy_orphans(const char *state_dir, const struct netrecord *remove_in, netpolicy_missing_fn report, void *ctx,
		   bool *judged, struct jn_error *err);

/* Take the lock and rebuild jobnet's tables from every record. */
int policy_repair(const char *state_dir, struct jn_error *err);
/* The same, with the lock held already. */
int policy_repair_locked(const char *state_dir, struct jn_error *err);

/* Error 7 when a peer would exempt a protected host address (such as the
 * metadata endpoint): peers open protected networks, not single hosts. */
int policy_check_peers(const struct netrecord *rec, const struct jobfacts *facts, struct jn_error *err);

#endif
