/* Repair: make the kernel match the state again, idempotently.
 *
 *   - a damaged record is restored from the copy kept beside it, a copy
 *     that is damaged or differs from its record rewritten;
 *   - a job whose veth was deleted gets it back (same names, MAC,
 *     addresses) while its namespace lives; the bridge, its gateway
 *     addresses and the job's addresses and routes are put back where they
 *     went missing;
 *   - a dead loopback relay is started again, a lost port claim rewritten;
 *   - reservations and port claims that no record owns are released;
 *   - both nftables tables are rebuilt from the records, in one transaction.
 *
 * A job whose namespace is gone is left to gc. When a network or a record
 * does not read (and cannot be restored), no claim is released and the
 * tables are not rebuilt: either could take what it owns.
 */
#ifndef JOBNET_REPAIR_H
#define JOBNET_REPAIR_H

#include "base/error.h"
#include "core/report.h"
#include "core/scan.h"

/* Repair every network of every state directory; each step is reported in
 * r (REPORT_LEFT for a job only gc can remove). Returns -1 with err holding
 * the first failure when anything failed or did not read. */
int repair_node(const struct namelist *state_dirs, struct report *r, struct jn_error *err);

#endif
