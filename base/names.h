/* Name grammars and the names jobnet derives: every value that ends up in a
 * path, a netlink message or nftables text passes one of these checks first.
 */
#ifndef JOBNET_NAMES_H
#define JOBNET_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Linux IFNAMSIZ includes the terminating NUL. */
#define JN_IFNAME_MAX 15
/* Longest container ID, network name or group jobnet accepts. */
#define JN_ID_MAX 255

/* [a-zA-Z0-9][a-zA-Z0-9_.-]*, 1..JN_ID_MAX bytes: container IDs, network
 * names and job groups. */
bool names_is_valid_id(const char *text);

/* A group as the state and nftables hold it: an ID, or "<scope>:<ID>" where
 * groupScope put the pod's namespace (an ID too) before the group the facts
 * name. No ID holds ':', so a scoped name never equals an unscoped one. At
 * most JN_ID_MAX bytes, and safe in file names and nft comments. */
#define JN_GROUP_SCOPE_SEP ':'
bool names_is_valid_group(const char *text);

/* A name the kernel accepts for an interface: 1..15 bytes, not "." or "..",
 * no '/', ':' or whitespace. */
bool names_is_valid_ifname(const char *text);

/* A name that is also safe to print unquoted in nftables text and logs:
 * [a-zA-Z0-9_.-]+ and a valid ifname. */
bool names_is_plain_ifname(const char *text);

/* 64-bit FNV-1a over the parts, with a separator byte between them, so
 * ("ab","c") and ("a","bc") differ. */
uint64_t names_hash(const char *const *parts, size_t count);

/* The host end of a job's veth: "jn" + 12 hex digits of the hash of
 * (network, container ID, ifname). DEL and GC find it without state. */
void names_host_veth(const char *network, const char *container_id, const char *ifname, char out[JN_IFNAME_MAX + 1]);

/* Whether a link name has the form names_host_veth() gives (whoever made
 * the link): how jobnetctl tells jobnet's veths among the node's links. */
bool names_is_host_veth(const char *name);

/* The job's MAC: locally administered unicast, derived from the same triple. */
void names_container_mac(const char *network, const char *container_id, const char *ifname, uint8_t mac[6]);

/* The MAC of a bridge jobnet makes, derived from its name the same way. */
void names_bridge_mac(const char *bridge, uint8_t mac[6]);

/* "xx:xx:xx:xx:xx:xx" into out (18 bytes). */
void names_format_mac(const uint8_t mac[6], char out[18]);
bool names_parse_mac(const char *text, uint8_t mac[6]);

/* The key of one attachment in state: "<container ID>:<ifname>" (neither
 * part can contain ':'). out must hold JN_ID_MAX + JN_IFNAME_MAX + 2 bytes. */
#define JN_ATTACHMENT_KEY_MAX (JN_ID_MAX + JN_IFNAME_MAX + 2)
void names_attachment_key(const char *container_id, const char *ifname, char *out);

#endif
