/* Where jobnet keeps its state, under <stateDir> (default /run/jobnet):
 *
 *   <network>/lock                     flock()ed for the whole of ADD, DEL, CHECK, GC
 *   <network>/network.json             the network at its last ADD (netrecord.h)
 *   <network>/attachments/<cid>:<if>   one JSON record per attachment (state.h)
 *   <network>/attachments/.<key>.copy  the copy beside each record, for repair
 *   <network>/ipam/<address>           a symlink to its owner "<cid>:<if>" (ipam.h)
 *   policy/                            netpolicy's own files: its group index and
 *                                      the saved ruleset (netpolicy.h)
 *   policy/ports/<proto>-<port>/<ip>   host port claims (ports.h)
 *   policy.lock                        the node-wide lock of nftables changes (policy.h)
 *
 * A file replaced whole is written through ".<name>.tmp" beside it and
 * renamed (base/fileio.h).
 */
#ifndef JOBNET_STATELAYOUT_H
#define JOBNET_STATELAYOUT_H

#define JN_STATE_LOCK_FILE "lock"
#define JN_STATE_NETWORK_FILE "network.json"
#define JN_STATE_ATTACHMENTS_DIR "attachments"
#define JN_STATE_COPY_FORMAT ".%s.copy"
#define JN_STATE_IPAM_DIR "ipam"
#define JN_STATE_POLICY_DIR "policy"
#define JN_STATE_PORTS_DIR JN_STATE_POLICY_DIR "/ports"
#define JN_STATE_POLICY_LOCK "policy.lock"

#endif
