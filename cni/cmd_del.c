/* DEL: remove an attachment. Succeeds and leaves no trace after ADD, when
 * repeated, without CNI_NETNS, with a namespace that no longer exists,
 * without prevResult, for a container never added, after an ADD killed at
 * any point, and with a record cut short or overwritten (see teardown_find).
 */
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "cni/plugin.h"
#include "core/state.h"
#include "core/teardown.h"

int cmd_del(struct plugin *p, struct state_network *net, json_t **result, struct jn_error *err)
{
	struct attachment a;
	enum teardown_source source;
	int rc;

	(void)result;
	rc = teardown_find(net, p->conf.name, p->inv.container_id, p->inv.ifname, &a, &source, err);
	if (rc == 0)
		rc = teardown_attachment(p->conf.state_dir, net, &a, source, err);
	if (rc == 0)
		log_info("detached %s", a.host_veth);
	attachment_free(&a);
	return rc;
}
