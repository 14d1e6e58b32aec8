/* An attachment's port mappings outside nftables: the host ports it holds
 * in the registry, and the relay that serves its loopback mappings. The
 * DNAT elements themselves are netpolicy's. Callers hold the policy lock.
 */
#ifndef JOBNET_MAPPINGS_H
#define JOBNET_MAPPINGS_H

#include "core/attachment.h"
#include "base/error.h"

/* Claim the host ports (choosing those given as 0) and start the relay when
 * a mapping is on 127.0.0.1 or ::1, recording the port it listens on in
 * each such mapping (relay_port: the redirect's target). On failure
 * nothing of it remains. The relay serves once the caller has written the
 * record and called relay_commit(relay_commit_fd) (see relay.h). */
int mappings_install(const char *state_dir, struct attachment *a, int *relay_commit_fd, struct jn_error *err);

/* Stop the relay and release the ports; goes on past failures. */
int mappings_remove(const char *state_dir, const struct attachment *a, struct jn_error *err);

/* The two halves, for teardown: the relay goes before the veth, the ports
 * only once no DNAT element names them (a new claim then finds no stale
 * element in its way). */
int mappings_stop_relay(const struct attachment *a, struct jn_error *err);
int mappings_release_ports(const char *state_dir, const struct attachment *a, struct jn_error *err);

/* Error 108 when a port is no longer held or the relay is gone. */
int mappings_check(const char *state_dir, const struct attachment *a, struct jn_error *err);

/* Start the relay again if it should run and does not (repair), on the
 * ports it had when they are free, else on new ones (relay_port changes:
 * the caller rewrites the record and the tables); commit as for
 * mappings_install. */
int mappings_revive(const char *state_dir, struct attachment *a, bool *revived, int *relay_commit_fd,
		    struct jn_error *err);

#endif
