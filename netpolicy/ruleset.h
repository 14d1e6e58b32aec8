/* The rules of jobnet's tables as the kernel lists them, saved right after
 * the templates are loaded (<policy_dir>/ruleset.txt), so that jobnetctl
 * verify notices a rule someone deleted or added even though the table
 * still carries the right comment. */
#ifndef JOBNET_RULESET_H
#define JOBNET_RULESET_H

#include "netpolicy/netpolicy.h"

/* Save the live rules of both tables. */
int ruleset_save(const char *policy_dir, struct jn_error *err);

/* Report each chain whose rules differ from the saved ones. */
int ruleset_compare(const char *policy_dir, netpolicy_missing_fn report, void *ctx, struct jn_error *err);

#endif
