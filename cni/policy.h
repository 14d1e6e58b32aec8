/* Glue between the state of attachments and netpolicy: builds netpolicy's
 * view of networks and jobs from records, holds the node-wide policy lock
 * around every nftables change, and restores every recorded element when
 * the table has to be rebuilt.
 */
#ifndef JOBNET_POLICY_H
#define JOBNET_POLICY_H

#include "../netpolicy/netpolicy.h"
#include "attachment.h"
#include "error.h"
#include "netrecord.h"

#define JN_POLICY_LOCK "policy.lock"

void policy_job_from_attachment(const struct attachment *a, struct netpolicy_job *job);
void policy_network_from_record(const struct netrecord *rec, struct netpolicy_network *net);

/* Take the node-wide lock; released by closing *fd. */
int policy_lock(const char *state_dir, int *fd, struct jn_error *err);

/* With the policy lock held: add the elements of network and job. */
int policy_attach_locked(const char *state_dir, const struct netrecord *rec, const struct attachment *a,
			 struct jn_error *err);
/* Take the lock and remove the job's elements. */
int policy_detach(const char *state_dir, const struct attachment *a, struct jn_error *err);
int policy_check(const struct netrecord *rec, const struct attachment *a, struct jn_error *err);
/* Take the lock and rebuild jobnet's table from every record. */
int policy_repair(const char *state_dir, struct jn_error *err);

/* The restore callback over every network of state_dir (policy lock held). */
int policy_restore_all(struct strbuf *batch, void *state_dir, struct jn_error *err);

#endif
