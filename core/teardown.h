/* Removing an attachment: shared by DEL, GC and ADD's recovery from an
 * earlier ADD that died half-way. Every step treats "already gone" as done.
 */
#ifndef JOBNET_TEARDOWN_H
#define JOBNET_TEARDOWN_H

#include "core/attachment.h"
#include "base/error.h"
#include "core/state.h"

/* Where the attachment that DEL or GC removes came from. */
enum teardown_source {
	TEARDOWN_RECORD, /* its record */
	TEARDOWN_COPY, /* the record did not read; the copy beside it did */
	TEARDOWN_NO_RECORD, /* none: a stand-in (derived names, reservations) */
	TEARDOWN_UNREADABLE, /* neither record nor copy read: a stand-in */
};

/* Find what to remove: the record, else its copy, else a stand-in record
 * built from the derived veth name and the reservations the attachment
 * owns. Fails only when the state cannot be read at all. */
int teardown_find(struct state_network *net, const char *network, const char *container_id, const char *ifname,
		  struct attachment *out, enum teardown_source *source, struct jn_error *err);

/* Remove the attachment's relay, host veth, nftables elements (and its
 * connections), host ports, reservations and record, in that order. A stand-in names no port, and the
 * record of an unfinished ADD may name a port it picked as 0: the claims
 * their owner holds are found in the registry. For one whose record
 * did not read (TEARDOWN_UNREADABLE) the elements it cannot name (port
 * mappings, pairs) go by rebuilding the tables from every other record.
 * Goes on past a failing step and returns the first error, so one broken
 * piece never keeps the rest alive. */
int teardown_attachment(const char *state_dir, struct state_network *net, const struct attachment *a,
			enum teardown_source source, struct jn_error *err);

#endif
