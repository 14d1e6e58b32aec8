/* DEL: remove an attachment. Succeeds and leaves no trace after ADD, when
 * repeated, without CNI_NETNS, with a namespace that no longer exists,
 * without prevResult, and for a container never added.
 */
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "plugin.h"
#include "state.h"
#include "teardown.h"

/* The record, or when it is missing or unreadable a stand-in built from
 * the derived veth name and the reservations the attachment owns. */
static int find_attachment(struct plugin *p, struct state_network *net, struct attachment *a, struct jn_error *err)
{
	struct jn_error unreadable = { 0 };
	bool found = false;

	if (state_read_attachment(net, p->inv.container_id, p->inv.ifname, a, &found, &unreadable) < 0) {
		/* A record cut short must not keep DEL from cleaning up. */
		log_warn("%s; cleaning up from the reservations instead", unreadable.msg);
		attachment_free(a);
	} else if (found) {
		return 0;
	}
	return teardown_reconstruct(net, p->conf.name, p->inv.container_id, p->inv.ifname, a, err);
}

int cmd_del(struct plugin *p, json_t **result, struct jn_error *err)
{
	struct state_network net;
	struct attachment a;
	int rc;

	*result = NULL;
	if (state_open(p->conf.state_dir, p->conf.name, false, &net, err) < 0)
		return -1;
	net.lock_timeout = p->conf.lock_timeout;
	if (net.dir_fd >= 0 && state_lock(&net, err) < 0) {
		state_close(&net);
		return -1;
	}
	rc = find_attachment(p, &net, &a, err);
	if (rc == 0)
		rc = teardown_attachment(p->conf.state_dir, &net, &a, err);
	if (rc == 0)
		log_info("detached %s", a.host_veth);
	attachment_free(&a);
	state_close(&net);
	return rc;
}
