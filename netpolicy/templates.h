/* The rulesets of nft-templates/, embedded at build time (templates.S). */
#ifndef JOBNET_TEMPLATES_H
#define JOBNET_TEMPLATES_H

extern const char netpolicy_template_inet[];

/* The table comment each template carries; a live table with another
 * comment was made by another jobnet version and is rebuilt. */
#define NETPOLICY_RULESET_ID "jobnet ruleset 1"

#endif
