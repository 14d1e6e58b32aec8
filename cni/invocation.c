#include "cni/invocation.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "cni/command.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

int invocation_read_command(struct invocation *inv, struct jn_error *err)
{
	const char *cmd = env("CNI_COMMAND");

	memset(inv, 0, sizeof(*inv));
	if (cmd == NULL)
		return jn_error_set(err, JN_ERR_INVALID_ENV, "missing CNI_COMMAND");
	inv->cmd = command_find(cmd);
	if (inv->cmd == NULL)
		return command_unknown(cmd, err);
	return 0;
}

/* Collects "missing X, invalid Y" into one message. */
struct env_problems {
	char text[JN_ERROR_MSG_MAX];
	size_t len;
};

static void note_problem(struct env_problems *p, const char *what, const char *name)
{
	int n = snprintf(p->text + p->len, sizeof(p->text) - p->len, "%s%s %s", p->len ? ", " : "", what, name);

	if (n > 0 && (size_t)n < sizeof(p->text) - p->len)
		p->len += (size_t)n;
}

static void read_var(struct env_problems *p, const char *name, bool required, bool (*valid)(const char *), char *out,
		     size_t out_size)
{
	const char *v = env(name);

	if (v == NULL) {
		if (required)
			note_problem(p, "missing", name);
		return;
	}
	if (strlen(v) >= out_size || (valid != NULL && !valid(v))) {
		note_problem(p, "invalid", name);
		return;
	}
	strcpy(out, v);
}

static bool is_absolute_path(const char *v)
{
	return v[0] == '/';
}

int invocation_read_env(struct invocation *inv, struct jn_error *err)
{
	struct env_problems problems = { .len = 0 };
	bool attach = inv->cmd->id == JN_CMD_ADD || inv->cmd->id == JN_CMD_DEL || inv->cmd->id == JN_CMD_CHECK;
	bool need_netns = inv->cmd->id == JN_CMD_ADD || inv->cmd->id == JN_CMD_CHECK;
	/* DEL acts in no namespace (deleting the host veth deletes both ends):
	 * whatever CNI_NETNS says, even a path that now names another
	 * namespace, cannot matter to it. */
	bool read_netns = inv->cmd->id != JN_CMD_DEL;

	problems.text[0] = '\0';
	if (attach) {
		read_var(&problems, "CNI_CONTAINERID", true, names_is_valid_id, inv->container_id,
			 sizeof(inv->container_id));
		if (read_netns)
			read_var(&problems, "CNI_NETNS", need_netns, is_absolute_path, inv->netns, sizeof(inv->netns));
		read_var(&problems, "CNI_IFNAME", true, names_is_valid_ifname, inv->ifname, sizeof(inv->ifname));
		inv->args = env("CNI_ARGS");
	}
	if (problems.len == 0)
		return 0;
	jn_error_set(err, JN_ERR_INVALID_ENV, "%s", problems.text);
	jn_error_detail(err,
			"CNI_CONTAINERID must match [a-zA-Z0-9][a-zA-Z0-9_.-]*; CNI_IFNAME must be 1-15 "
			"bytes without '/', ':' or whitespace and not '.' or '..'; CNI_NETNS must be an "
			"absolute path");
	return -1;
}
