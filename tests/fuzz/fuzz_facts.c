/* Facts from the JSON channels: the input is the runtimeConfig object. */
#include "core/facts.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	struct facts_sources src = { 0 };
	struct jobfacts facts;
	struct jn_error err = { 0 };

	if (root == NULL)
		return 0;
	src.runtime_config = json_object_get(root, "jobnet");
	src.args = json_object_get(root, "args");
	src.annotations = json_object_get(root, "io.kubernetes.cri.pod-annotations");
	if (facts_collect(&src, &facts, &err) == 0) {
		json_t *back = facts_to_json(&facts);
		struct jobfacts again;
		FUZZ_ASSERT(facts.blocks <= facts.total_blocks);
		for (size_t i = 0; i < facts.route_count; i++)
			FUZZ_ASSERT(names_is_valid_id(facts.routes[i]));
		/* What the record says is read back the same. */
		FUZZ_ASSERT(back != NULL && facts_from_json(back, &again, &err) == 0);
		FUZZ_ASSERT(strcmp(again.group, facts.group) == 0 && again.peer_count == facts.peer_count);
		FUZZ_ASSERT(again.router_count == facts.router_count);
		/* No two peers or routers overlap: each is one element. */
		for (size_t i = 0; i < facts.peer_count; i++)
			for (size_t k = 0; k < facts.router_count; k++)
				FUZZ_ASSERT(!prefix_overlaps(&facts.peers[i], &facts.routers[k]));
		json_decref(back);
		/* Scoped, the names stay valid and read back the same. */
		if (facts_scope_groups(&facts, "team-a", &err) == 0) {
			FUZZ_ASSERT(facts.group[0] == '\0' || names_is_valid_group(facts.group));
			back = facts_to_json(&facts);
			FUZZ_ASSERT(back != NULL && facts_from_json(back, &again, &err) == 0);
			FUZZ_ASSERT(strcmp(again.group, facts.group) == 0 && again.route_count == facts.route_count);
			json_decref(back);
		} else {
			FUZZ_ASSERT(err.code == JN_ERR_INVALID_CONFIG);
		}
	}
	json_decref(root);
	return 0;
}
