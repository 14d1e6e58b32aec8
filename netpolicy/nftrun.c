#include "netpolicy/nftrun.h"

#include <dlfcn.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

/* libnftables is loaded on first use, not when the process starts: a job's
 * ADD and DEL in the common case do not need it (nftwire.c), and loading it
 * with libnftnl, libxtables and libgmp costs every run 0.5 ms. */
#define NFTABLES_LIBRARY "libnftables.so.1"

static struct {
	void *handle;
	typeof(nft_ctx_new) *ctx_new;
	typeof(nft_ctx_free) *ctx_free;
	typeof(nft_ctx_buffer_output) *buffer_output;
	typeof(nft_ctx_buffer_error) *buffer_error;
	typeof(nft_ctx_get_output_buffer) *get_output_buffer;
	typeof(nft_ctx_get_error_buffer) *get_error_buffer;
	typeof(nft_ctx_output_get_flags) *output_get_flags;
	typeof(nft_ctx_output_set_flags) *output_set_flags;
	typeof(nft_ctx_set_dry_run) *set_dry_run;
	typeof(nft_run_cmd_from_buffer) *run_cmd_from_buffer;
} lib;

static bool bind_symbol(void *handle, const char *name, void **slot)
{
	*slot = dlsym(handle, name);
	return *slot != NULL;
}

static int load_library(struct jn_error *err)
{
	void *handle;

	if (lib.handle != NULL)
		return 0;
	handle = dlopen(NFTABLES_LIBRARY, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL)
		return jn_error_set(err, JN_ERR_NFTABLES, "cannot load %s: %s", NFTABLES_LIBRARY, dlerror());
	if (!bind_symbol(handle, "nft_ctx_new", (void **)&lib.ctx_new) ||
	    !bind_symbol(handle, "nft_ctx_free", (void **)&lib.ctx_free) ||
	    !bind_symbol(handle, "nft_ctx_buffer_output", (void **)&lib.buffer_output) ||
	    !bind_symbol(handle, "nft_ctx_buffer_error", (void **)&lib.buffer_error) ||
	    !bind_symbol(handle, "nft_ctx_get_output_buffer", (void **)&lib.get_output_buffer) ||
	    !bind_symbol(handle, "nft_ctx_get_error_buffer", (void **)&lib.get_error_buffer) ||
	    !bind_symbol(handle, "nft_ctx_output_get_flags", (void **)&lib.output_get_flags) ||
	    !bind_symbol(handle, "nft_ctx_output_set_flags", (void **)&lib.output_set_flags) ||
	    !bind_symbol(handle, "nft_ctx_set_dry_run", (void **)&lib.set_dry_run) ||
	    !bind_symbol(handle, "nft_run_cmd_from_buffer", (void **)&lib.run_cmd_from_buffer)) {
		jn_error_set(err, JN_ERR_NFTABLES, "%s lacks a function jobnet uses: %s", NFTABLES_LIBRARY, dlerror());
		dlclose(handle);
		memset(&lib, 0, sizeof(lib));
		return -1;
	}
	lib.handle = handle; /* kept until the process ends */
	return 0;
}

/* A new context with buffered output and errors, or NULL (err filled). */
static struct nft_ctx *new_context(struct jn_error *err)
{
	struct nft_ctx *ctx;

	if (load_library(err) < 0)
		return NULL;
	ctx = lib.ctx_new(NFT_CTX_DEFAULT);
	if (ctx == NULL || lib.buffer_output(ctx) < 0 || lib.buffer_error(ctx) < 0) {
		if (ctx != NULL)
			lib.ctx_free(ctx);
		jn_error_set(err, JN_ERR_NFTABLES, "cannot create an nftables context");
		return NULL;
	}
	return ctx;
}

/* One context for the whole process. Closing a netfilter socket right
 * after a transaction that deleted something waits for an RCU grace period
 * (the kernel flushes its deferred destruction first): ~15 ms here. Kept
 * open, the socket goes at nftrun_release(), after the rest of the work,
 * by when the grace period has passed. libnftables checks the ruleset's
 * generation before each command, so a reused cache is never stale. */
static struct nft_ctx *shared_ctx;

static struct nft_ctx *context(bool json, struct jn_error *err)
{
	unsigned flags;

	if (shared_ctx == NULL) {
		shared_ctx = new_context(err);
		if (shared_ctx == NULL)
			return NULL;
	}
	flags = lib.output_get_flags(shared_ctx) & ~(unsigned)NFT_CTX_OUTPUT_JSON;
	lib.output_set_flags(shared_ctx, flags | (json ? NFT_CTX_OUTPUT_JSON : 0));
	return shared_ctx;
}

void nftrun_release(void)
{
	if (shared_ctx != NULL)
		lib.ctx_free(shared_ctx);
	shared_ctx = NULL;
}

int nftrun_dry_run(const char *text, struct jn_error *err)
{
	struct nft_ctx *ctx = new_context(err);
	int rc;

	if (ctx == NULL)
		return -1;
	/* A dry run still asks the kernel, so a kernel without nf_tables fails. */
	lib.set_dry_run(ctx, true);
	rc = lib.run_cmd_from_buffer(ctx, text);
	if (rc != 0)
		jn_error_set(err, JN_ERR_NFTABLES, "%.200s", lib.get_error_buffer(ctx));
	lib.ctx_free(ctx);
	return rc == 0 ? 0 : -1;
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
	struct nft_ctx *ctx = context(json, err);
	const char *out_text;
	int rc;

	if (ctx == NULL)
		return -1;
	rc = lib.run_cmd_from_buffer(ctx, text);
	/* Reading a buffer empties it for the next command; both are always
	 * read, so neither carries one command's text into the next. */
	out_text = lib.get_output_buffer(ctx);
	if (output != NULL)
		*output = strdup(out_text);
	*error_text = strdup(lib.get_error_buffer(ctx));
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

/* Whether nft failed because what it was told to delete is not there.
 * libnftables reports a command's failure only as text, with no errno: the
 * kernel's ENOENT comes back as strerror's words, and they are the only
 * signal (nftables 1.0.6 has no "destroy", which would not fail). */
static bool says_absent(const char *nft_error)
{
	return strstr(nft_error, "No such file or directory") != NULL;
}

int nftrun_allow_absent(const char *text, bool *absent, struct jn_error *err)
{
	cleanup_free char *error_text = NULL;
	int rc = run(text, false, NULL, &error_text, err);

	*absent = false;
	if (rc <= 0)
		return rc;
	if (says_absent(error_text)) {
		*absent = true;
		return 0;
	}
	report(err, error_text[0] ? error_text : "(no error text)");
	return -1;
}
