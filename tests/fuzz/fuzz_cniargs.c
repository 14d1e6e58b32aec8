/* CNI_ARGS and the facts it carries. */
#include "core/cniargs.h"
#include "core/facts.h"
#include "fuzz.h"

static const char *const base[] = { "IP", "K8S_POD_NAME", NULL };
static const char *const *const known[] = { base, facts_cni_arg_keys, NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct cniargs args;
	struct jn_error err = { 0 };

	if (text == NULL)
		return 0;
	if (cniargs_parse(text, known, &args, &err) == 0) {
		struct facts_sources src = { .cni_args = &args };
		struct jobfacts facts;
		FUZZ_ASSERT(args.count <= JN_CNIARGS_MAX_PAIRS);
		for (size_t i = 0; i < args.count; i++)
			FUZZ_ASSERT(strchr(args.pairs[i].key, '=') == NULL && strchr(args.pairs[i].value, ';') == NULL);
		jn_error_clear(&err);
		if (facts_collect(&src, &facts, &err) == 0)
			FUZZ_ASSERT(facts.group[0] == '\0' || names_is_valid_id(facts.group));
		cniargs_free(&args);
	} else {
		FUZZ_ASSERT(err.code == JN_ERR_INVALID_ENV || err.code == JN_ERR_IO);
	}
	free(text);
	return 0;
}
