#include "nftrun.h"

#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

#include "../cni/cleanup.h"

static void nft_ctx_freep(struct nft_ctx **ctx)
{
	if (*ctx)
		nft_ctx_free(*ctx);
}
#define cleanup_nft_ctx __attribute__((cleanup(nft_ctx_freep)))

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
	cleanup_nft_ctx struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	int rc;

	if (ctx == NULL || nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0)
		return jn_error_set(err, JN_ERR_NFTABLES, "cannot create an nftables context");
	if (json)
		nft_ctx_output_set_flags(ctx, nft_ctx_output_get_flags(ctx) | NFT_CTX_OUTPUT_JSON);
	rc = nft_run_cmd_from_buffer(ctx, text);
	/* The buffers belong to ctx: copy them before it goes. */
	if (output != NULL)
		*output = strdup(nft_ctx_get_output_buffer(ctx));
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
