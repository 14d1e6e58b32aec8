#include "cni/command.h"

#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "core/cniversion.h"

/* What names the attachment's state: the network and where its state is. */
static const char *const del_needs[] = { "name", "stateDir", NULL };
static const char *const gc_needs[] = {
	"name", "stateDir", "cniVersion", "cni.dev/valid-attachments", "cni.dev/attachments", NULL,
};

static const struct command commands[] = {
	{ .name = "ADD", .id = JN_CMD_ADD, .run = cmd_add, .check = cmd_add_input, .create = true, .exclusive = true },
	{ .name = "DEL", .id = JN_CMD_DEL, .run = cmd_del, .needs = del_needs, .exclusive = true },
	{ .name = "CHECK", .id = JN_CMD_CHECK, .run = cmd_check, .min_version = "0.4.0", .check = cmd_check_input },
	{ .name = "STATUS",
	  .id = JN_CMD_STATUS,
	  .run = cmd_status,
	  .min_version = "1.1.0",
	  .prelude_failed = cmd_status_unavailable,
	  .create = true },
	{ .name = "GC",
	  .id = JN_CMD_GC,
	  .run = cmd_gc,
	  .min_version = "1.1.0",
	  .check = cmd_gc_input,
	  .needs = gc_needs,
	  .exclusive = true },
	{ .name = "VERSION", .id = JN_CMD_VERSION },
};

const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < JN_ARRAY_SIZE(commands); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

int command_unknown(const char *given, struct jn_error *err)
{
	char names[128] = "";
	size_t len = 0;

	for (size_t i = 0; i < JN_ARRAY_SIZE(commands); i++) {
		const char *sep = i == 0 ? "" : i + 1 == JN_ARRAY_SIZE(commands) ? " or " : ", ";
		int n = snprintf(names + len, sizeof(names) - len, "%s%s", sep, commands[i].name);
		if (n > 0 && (size_t)n < sizeof(names) - len)
			len += (size_t)n;
	}
	return jn_error_set(err, JN_ERR_INVALID_ENV, "invalid CNI_COMMAND \"%.32s\": want %s", given, names);
}

static int open_network(const struct command *c, struct plugin *p, struct state_network *net, struct jn_error *err)
{
	int rc = state_open(p->conf.state_dir, p->conf.name, c->create, net, err);

	net->lock_timeout = p->conf.lock_timeout;
	/* Without create, a network never added has no directory to lock. */
	if (rc == 0 && net->dir_fd >= 0)
		rc = c->exclusive ? state_lock(net, err) : state_lock_shared(net, err);
	if (rc < 0) {
		state_close(net);
		return c->prelude_failed != NULL ? c->prelude_failed(err) : -1;
	}
	return 0;
}

int command_run(const struct command *c, struct plugin *p, json_t **result, struct jn_error *err)
{
	struct state_network net;
	int rc;

	*result = NULL;
	if (c->min_version != NULL && !cniversion_at_least(p->conf.cni_version, c->min_version))
		return jn_error_set(err, JN_ERR_INCOMPATIBLE_VERSION, "%s needs cniVersion %s or later, got %s",
				    c->name, c->min_version, p->conf.cni_version);
	if (c->check != NULL && c->check(p, err) < 0)
		return -1;
	if (open_network(c, p, &net, err) < 0)
		return -1;
	rc = c->run(p, &net, result, err);
	state_close(&net);
	return rc;
}
