/* The rulesets of nft-templates/, embedded at build time (templates.S). */
#ifndef JOBNET_TEMPLATES_H
#define JOBNET_TEMPLATES_H

extern const char netpolicy_template_inet[];
extern const char netpolicy_template_bridge[];

/* The tables the templates make, the only ones jobnet touches: their name
 * and how nft text names each. A unit test checks the templates agree. */
#define NETPOLICY_TABLE "jobnet"
#define NETPOLICY_TABLE_INET "inet " NETPOLICY_TABLE
#define NETPOLICY_TABLE_BRIDGE "bridge " NETPOLICY_TABLE

/* The comment both tables carry; a live table with another comment was
 * made by another jobnet version and is rebuilt. A unit test checks that
 * the templates say the same. */
#define NETPOLICY_RULESET_ID "jobnet ruleset 11"

#endif
