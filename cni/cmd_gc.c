/* GC: remove every attachment of this network that the runtime no longer
 * lists in cni.dev/valid-attachments, every reservation and host port claim
 * whose owner is neither recorded nor listed, and temporary files a killed
 * writer left: the sweep of core/gc.c with the runtime's list as its judge.
 * Goes on past individual failures and reports them together at the end.
 */
#include <string.h>

#include "base/log.h"
#include "cni/plugin.h"
#include "core/gc.h"

static bool is_valid(const char *key, void *ctx)
{
	const struct plugin *p = ctx;
	json_t *item;
	size_t i;

	json_array_foreach (p->conf.valid_attachments, i, item) {
		char valid[JN_ATTACHMENT_KEY_MAX];
		const char *cid = json_string_value(json_object_get(item, "containerID"));
		const char *ifname = json_string_value(json_object_get(item, "ifname"));
		if (!names_is_valid_id(cid) || !names_is_valid_ifname(ifname))
			continue;
		names_attachment_key(cid, ifname, valid);
		if (strcmp(valid, key) == 0)
			return true;
	}
	return false;
}

/* Whatever its record says: the runtime does not list it. */
static enum gc_verdict judge_unlisted(const struct attachment *a, enum teardown_source source, const char **why,
				      struct jn_error *err, void *ctx)
{
	(void)a;
	(void)source;
	(void)err;
	(void)ctx;
	*why = "not in cni.dev/valid-attachments";
	return GC_STALE;
}

static void log_line(void *ctx, enum report_kind kind, const char *text)
{
	(void)ctx;
	/* A failure is the command's error at the end; teardown warns of it. */
	log_info("GC %s: %s", kind == REPORT_DONE ? "removed" : "could not remove", text);
}

int cmd_gc_input(const struct plugin *p, struct jn_error *err)
{
	if (p->conf.valid_attachments == NULL)
		return jn_error_set(
			err, JN_ERR_INVALID_CONFIG,
			"missing \"cni.dev/valid-attachments\": GC will not guess which attachments are stale");
	return 0;
}

int cmd_gc(struct plugin *p, struct state_network *net, json_t **result, struct jn_error *err)
{
	struct gc_judge judge = { .listed = is_valid, .judge = judge_unlisted, .ctx = p };
	struct report r = { .line = log_line };
	size_t failed;

	(void)result;
	if (gc_network(p->conf.state_dir, net, p->conf.name, &judge, &r, err) < 0)
		return -1;
	failed = r.count[REPORT_FAILED] + r.count[REPORT_UNREADABLE];
	log_info("GC removed %zu stale attachment(s) and leftover(s), %zu failed", r.count[REPORT_DONE], failed);
	if (report_result(&r, err) == 0)
		return 0;
	return jn_error_wrap(err, "GC could not remove %zu stale attachment(s); the first failure", failed);
}
