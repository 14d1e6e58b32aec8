/* A port mapping written as Docker's -p writes it, for jobnetctl attach:
 *
 *   [HOSTIP:]HOSTPORT:CONTAINERPORT[/PROTO]
 *
 * HOSTIP is an IPv4 address, an IPv6 address in brackets ("[::1]"), or
 * absent (every address of the node); HOSTPORT 0 or empty picks a free port;
 * PROTO is tcp (the default), udp or sctp.
 */
#ifndef JOBNET_PUBLISH_H
#define JOBNET_PUBLISH_H

#include "base/error.h"
#include "base/portmap.h"

/* Longest text publish_parse reads. */
#define JN_PUBLISH_MAX 80

/* Parse text into *out; error 7 quoting the text and naming the bad part
 * (the caller says where the text came from). */
int publish_parse(const char *text, struct portmap *out, struct jn_error *err);

#endif
