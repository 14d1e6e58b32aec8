/* The state file reader: an attachment record, whatever its bytes. */
#include "core/attachment.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	struct attachment a, b;
	struct jn_error err = { 0 };

	if (j == NULL)
		return 0;
	if (attachment_from_json(j, &a, &err) == 0) {
		json_t *back = attachment_to_json(&a);
		/* A record jobnet accepts survives a write and a read. */
		FUZZ_ASSERT(back != NULL && attachment_from_json(back, &b, &err) == 0);
		FUZZ_ASSERT(strcmp(a.container_id, b.container_id) == 0 && a.addr_count == b.addr_count &&
			    a.map_count == b.map_count);
		FUZZ_ASSERT(names_is_valid_id(a.container_id) && names_is_valid_ifname(a.ifname));
		attachment_free(&b);
		json_decref(back);
		attachment_free(&a);
	} else {
		FUZZ_ASSERT(err.code == JN_ERR_STATE);
		attachment_free(&a);
	}
	json_decref(j);
	return 0;
}
