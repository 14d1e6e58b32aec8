/* Running nftables text through libnftables. One call is one transaction:
 * all of it applies or none of it does.
 */
#ifndef JOBNET_NFTRUN_H
#define JOBNET_NFTRUN_H

#include <stdbool.h>

#include "base/error.h"

/* Free the context all calls share (see nftrun.c); call last, after the
 * work that follows the last transaction. Calling nftrun again makes a new
 * one. */
void nftrun_release(void);

/* Check text without applying it (the kernel is still asked); on failure
 * fill err (code 106) with what nft said. */
int nftrun_dry_run(const char *text, struct jn_error *err);

/* Run text; on failure fill err (code 106) with what nft said. When output
 * is not NULL it receives nft's output (malloc'd). */
int nftrun(const char *text, char **output, struct jn_error *err);

/* As nftrun, with nft's JSON output. */
int nftrun_json(const char *text, char **output, struct jn_error *err);

/* Run text and report whether it failed because an object was absent
 * ("No such file or directory"); other failures fill err. */
int nftrun_allow_absent(const char *text, bool *absent, struct jn_error *err);

#endif
