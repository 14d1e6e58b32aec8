#include "ctl/ctlplugin.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"

/* A result larger than this is not a CNI result. */
#define PLUGIN_OUTPUT_MAX (1 << 20)
#define PLUGIN_ENV_OWN 5

extern char **environ;

int ctlplugin_find(const char *dirs, const char *type, char out[PATH_MAX], struct jn_error *err)
{
	cleanup_free char *copy = strdup(dirs);
	char *cursor = copy, *dir;
	struct stat st;

	if (copy == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	if (type[0] == '\0' || strchr(type, '/') != NULL || strcmp(type, ".") == 0 || strcmp(type, "..") == 0)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid plugin type \"%.64s\"", type);
	while ((dir = strsep(&cursor, ":")) != NULL) {
		if (dir[0] == '\0')
			continue;
		if (snprintf(out, PATH_MAX, "%s/%s", dir, type) >= PATH_MAX)
			continue;
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
	}
	return jn_error_set(err, JN_ERR_IO, "no executable plugin \"%s\" in %s", type, dirs);
}

struct plugin_env {
	char **vars; /* borrowed from environ, then first_own.. our own */
	size_t first_own, count;
};

static int env_add(struct plugin_env *e, const char *key, const char *value)
{
	size_t len = strlen(key) + strlen(value) + 2;
	char *var = malloc(len);

	if (var == NULL)
		return -1;
	snprintf(var, len, "%s=%s", key, value);
	e->vars[e->count++] = var;
	return 0;
}

static void env_free(struct plugin_env *e)
{
	for (size_t i = e->first_own; e->vars != NULL && i < e->count; i++)
		free(e->vars[i]);
	free(e->vars);
}

/* jobnetctl's environment without CNI_*, then the call's CNI_* variables. */
static int env_build(struct plugin_env *e, const struct ctlplugin_call *call)
{
	size_t n = 0;

	while (environ[n] != NULL)
		n++;
	e->vars = calloc(n + PLUGIN_ENV_OWN + 1, sizeof(char *));
	if (e->vars == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "CNI_", 4) != 0)
			e->vars[e->count++] = environ[i];
	e->first_own = e->count;
	if (env_add(e, "CNI_COMMAND", call->command) < 0 || env_add(e, "CNI_CONTAINERID", call->container_id) < 0 ||
	    env_add(e, "CNI_IFNAME", call->ifname) < 0 || env_add(e, "CNI_PATH", call->cni_path) < 0 ||
	    (call->netns != NULL && env_add(e, "CNI_NETNS", call->netns) < 0))
		return -1;
	return 0;
}

/* The configuration as the plugin's stdin: a memory file, so that writing
 * it cannot block on a plugin that has not read yet. */
static int config_fd(const json_t *config, int *out, struct jn_error *err)
{
	cleanup_free char *text = json_dumps(config, JSON_COMPACT);
	cleanup_close int fd = -1;
	size_t len, done = 0;

	if (text == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	fd = memfd_create("jobnet-config", MFD_CLOEXEC);
	if (fd < 0)
		return jn_error_errno(err, JN_ERR_IO, errno, "creating the plugin's stdin");
	len = strlen(text);
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return jn_error_errno(err, JN_ERR_IO, errno, "writing the plugin's stdin");
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		return jn_error_errno(err, JN_ERR_IO, errno, "writing the plugin's stdin");
	*out = take_fd(fd);
	return 0;
}

static int wait_plugin(pid_t pid, int *status, struct jn_error *err)
{
	int ws;

	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return jn_error_errno(err, JN_ERR_IO, errno, "waiting for the plugin");
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return 0;
}

static int spawn(const struct ctlplugin_call *call, int in, int out, pid_t *pid, struct jn_error *err)
{
	char *argv[] = { (char *)call->path, NULL };
	struct plugin_env env = { 0 };
	posix_spawn_file_actions_t fa;
	int rc;

	if (env_build(&env, call) < 0) {
		env_free(&env);
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	}
	rc = posix_spawn_file_actions_init(&fa);
	if (rc == 0) {
		rc = posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
		if (rc == 0)
			rc = posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
		if (rc == 0)
			rc = posix_spawn(pid, call->path, &fa, NULL, argv, env.vars);
		posix_spawn_file_actions_destroy(&fa);
	}
	env_free(&env);
	if (rc != 0)
		return jn_error_errno(err, JN_ERR_IO, rc, "running the plugin %s", call->path);
	return 0;
}

int ctlplugin_exec(const struct ctlplugin_call *call, struct ctlplugin_reply *reply, struct jn_error *err)
{
	cleanup_close int in = -1, out_r = -1, out_w = -1;
	int pipefd[2], rc;
	pid_t pid;

	memset(reply, 0, sizeof(*reply));
	if (config_fd(call->config, &in, err) < 0)
		return -1;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return jn_error_errno(err, JN_ERR_IO, errno, "creating the plugin's stdout");
	out_r = pipefd[0];
	out_w = pipefd[1];
	if (spawn(call, in, out_w, &pid, err) < 0)
		return -1;
	close(take_fd(out_w));
	rc = fileio_read_stream(out_r, PLUGIN_OUTPUT_MAX, "the plugin's output", &reply->out, err);
	/* Always reaped, even when its output could not be read. */
	if (wait_plugin(pid, &reply->status, err) < 0 || rc < 0) {
		ctlplugin_reply_free(reply);
		return -1;
	}
	reply->json = json_loads(reply->out, JSON_REJECT_DUPLICATES, NULL);
	if (reply->json != NULL && !json_is_object(reply->json)) {
		json_decref(reply->json);
		reply->json = NULL;
	}
	return 0;
}

void ctlplugin_reply_free(struct ctlplugin_reply *reply)
{
	free(reply->out);
	json_decref(reply->json);
	memset(reply, 0, sizeof(*reply));
}
