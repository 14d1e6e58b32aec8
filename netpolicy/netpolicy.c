#include "netpolicy.h"

#include <linux/netfilter.h>
#include <nftables/libnftables.h>
#include <string.h>

#include "../cni/cleanup.h"
#include "nfquery.h"
#include "nftrun.h"
#include "render.h"
#include "templates.h"

/* The template replaces whatever is there: "add table" makes the delete
 * safe when the table is absent, and it all is one transaction. */
static int load_template(struct strbuf *batch, const struct netpolicy_restore *restore, struct jn_error *err)
{
	strbuf_printf(batch, "add table %s\ndelete table %s\n", RENDER_TABLE, RENDER_TABLE);
	strbuf_append(batch, netpolicy_template_inet);
	strbuf_append(batch, "\n");
	if (restore != NULL && restore->fn != NULL && restore->fn(batch, restore->ctx, err) < 0)
		return jn_error_wrap(err, "restoring jobnet's elements");
	return 0;
}

/* Whether the live table is the one this binary's template makes. */
int netpolicy_table_is_current(bool *current, struct jn_error *err)
{
	char comment[128];
	bool exists;

	if (nfquery_table(NFPROTO_INET, "jobnet", &exists, comment, sizeof(comment), err) < 0)
		return -1;
	*current = exists && strcmp(comment, NETPOLICY_RULESET_ID) == 0;
	return 0;
}

static int run_batch(struct strbuf *batch, struct jn_error *err)
{
	if (strbuf_failed(batch))
		return jn_error_set(err, JN_ERR_NFTABLES, "out of memory building the nftables transaction");
	return nftrun(strbuf_text(batch), NULL, err);
}

int netpolicy_attach(const struct netpolicy_network *net, const struct netpolicy_job *job,
		     const struct netpolicy_restore *restore, struct jn_error *err)
{
	cleanup_strbuf struct strbuf batch = STRBUF_INIT;
	bool current;

	if (render_validate_network(net, err) < 0 || (job != NULL && render_validate_job(job, err) < 0))
		return -1;
	if (netpolicy_table_is_current(&current, err) < 0)
		return -1;
	if (!current && load_template(&batch, restore, err) < 0)
		return -1;
	render_network(&batch, RENDER_ADD, net);
	if (job != NULL)
		render_job(&batch, RENDER_ADD, job);
	return run_batch(&batch, err);
}

int netpolicy_detach(const struct netpolicy_job *job, struct jn_error *err)
{
	cleanup_strbuf struct strbuf batch = STRBUF_INIT;
	bool current;

	if (render_validate_job(job, err) < 0 || netpolicy_table_is_current(&current, err) < 0)
		return -1;
	/* Without jobnet's table there is nothing of the job to remove. */
	if (!current)
		return 0;
	render_job(&batch, RENDER_DELETE, job);
	return run_batch(&batch, err);
}

int netpolicy_check(const struct netpolicy_network *net, const struct netpolicy_job *job, struct jn_error *err)
{
	cleanup_strbuf struct strbuf batch = STRBUF_INIT;
	bool current;

	if (render_validate_network(net, err) < 0 || render_validate_job(job, err) < 0 ||
	    netpolicy_table_is_current(&current, err) < 0)
		return -1;
	if (!current)
		return jn_error_set(err, JN_ERR_CHECK_FAILED, "nftables table %s is missing or outdated", RENDER_TABLE);
	render_network(&batch, RENDER_GET, net);
	render_job(&batch, RENDER_GET, job);
	if (run_batch(&batch, err) < 0) {
		err->code = JN_ERR_CHECK_FAILED;
		return jn_error_wrap(err, "an nftables element of the attachment is missing");
	}
	return 0;
}

int netpolicy_repair(const struct netpolicy_restore *restore, struct jn_error *err)
{
	cleanup_strbuf struct strbuf batch = STRBUF_INIT;

	if (load_template(&batch, restore, err) < 0)
		return -1;
	return run_batch(&batch, err);
}

int netpolicy_probe(struct jn_error *err)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	int rc;

	if (ctx == NULL || nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0) {
		if (ctx)
			nft_ctx_free(ctx);
		return jn_error_set(err, JN_ERR_NOT_AVAILABLE, "cannot create an nftables context");
	}
	/* A dry run still asks the kernel, so a kernel without nf_tables fails. */
	nft_ctx_set_dry_run(ctx, true);
	rc = nft_run_cmd_from_buffer(ctx, netpolicy_template_inet);
	if (rc != 0)
		jn_error_set(err, JN_ERR_NOT_AVAILABLE, "the kernel does not take jobnet's nftables ruleset: %.200s",
			     nft_ctx_get_error_buffer(ctx));
	nft_ctx_free(ctx);
	return rc == 0 ? 0 : -1;
}

void netpolicy_render_network(struct strbuf *sb, const struct netpolicy_network *net)
{
	render_network(sb, RENDER_ADD, net);
}

void netpolicy_render_job(struct strbuf *sb, const struct netpolicy_job *job)
{
	render_job(sb, RENDER_ADD, job);
}
