#include "nftrun.h"

#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

#include "../cni/cleanup.h"

/* One context for the whole process. Closing a netfilter socket right
 * after a transaction that deleted something waits for an RCU grace period
 * (the kernel flushes its deferred destruction first): ~15 ms here. Kept
 * open, the socket goes at nftrun_release(), after the rest of the work,
 * by when the grace period has passed. libnftables checks the ruleset's
 * generation before each command, so a reused cache is never stale. */
static struct nft_ctx *shared_ctx;

static struct nft_ctx *context(bool json)
{
	unsigned flags;

	if (shared_ctx == NULL) {
		shared_ctx = nft_ctx_new(NFT_CTX_DEFAULT);
		if (shared_ctx == NULL)
			return NULL;
		if (nft_ctx_buffer_output(shared_ctx) < 0 || nft_ctx_buffer_error(shared_ctx) < 0) {
			nftrun_release();
			return NULL;
		}
	}
	flags = nft_ctx_output_get_flags(shared_ctx) & ~(unsigned)NFT_CTX_OUTPUT_JSON;
	nft_ctx_output_set_flags(shared_ctx, flags | (json ? NFT_CTX_OUTPUT_JSON : 0));
	return shared_ctx;
}

void nftrun_release(void)
{
	if (shared_ctx != NULL)
		nft_ctx_free(shared_ctx);
	shared_ctx = NULL;
}

/* First line of nft's error text, for the message; all of it goes to details. */
static void report(struct jn_error *err, const char *nft_error)
{
	size_t first = strcspn(nft_error, "\n");

	jn_error_set(err, JN_ERR_NFTABLES, "nftables refused the change: %.*s", (int)(first > 200 ? 200 : first),
		     nft_error);
	jn_error_detail(err, "%s", nft_error);
}

static int run(const char *text, bool json, char **output, char **error_text, struct jn_error *err)
{
	struct nft_ctx *ctx = context(json);
	const char *out_text;
	int rc;

	if (ctx == NULL)
		return jn_error_set(err, JN_ERR_NFTABLES, "cannot create an nftables context");
	rc = nft_run_cmd_from_buffer(ctx, text);
	/* Reading a buffer empties it for the next command; both are always
	 * read, so neither carries one command's text into the next. */
	out_text = nft_ctx_get_output_buffer(ctx);
	if (output != NULL)
		*output = strdup(out_text);
	*error_text = strdup(nft_ctx_get_error_buffer(ctx));
	if (*error_text == NULL || (output != NULL && *output == NULL))
		return jn_error_set(err, JN_ERR_NFTABLES, "out of memory reading nftables output");
	return rc == 0 ? 0 : 1;
}

static int run_reporting(const char *text, bool json, char **output, struct jn_error *err)
{
	cleanup_free char *error_text = NULL;
	int rc = run(text, json, output, &error_text, err);

	if (rc < 0)
		return -1;
	if (rc > 0) {
		report(err, error_text[0] ? error_text : "(no error text)");
		if (output != NULL) {
			free(*output);
			*output = NULL;
		}
		return -1;
	}
	return 0;
}

int nftrun(const char *text, char **output, struct jn_error *err)
{
	return run_reporting(text, false, output, err);
}

int nftrun_json(const char *text, char **output, struct jn_error *err)
{
	return run_reporting(text, true, output, err);
}

int nftrun_allow_absent(const char *text, bool *absent, struct jn_error *err)
{
	cleanup_free char *error_text = NULL;
	int rc = run(text, false, NULL, &error_text, err);

	*absent = false;
	if (rc <= 0)
		return rc;
	if (strstr(error_text, "No such file or directory") != NULL) {
		*absent = true;
		return 0;
	}
	report(err, error_text[0] ? error_text : "(no error text)");
	return -1;
}
