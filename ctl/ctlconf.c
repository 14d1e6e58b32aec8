#include "ctl/ctlconf.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "base/cleanup.h"
#include "ctl/ctl.h"

/* The jobnet entry of a conflist, or the object itself when it is one. */
static json_t *jobnet_plugin(json_t *root)
{
	json_t *plugins = json_object_get(root, "plugins"), *p;
	size_t i;

	if (plugins == NULL)
		return strcmp(json_string_value(json_object_get(root, "type")) ?: "", "jobnet") == 0 ? json_incref(root)
												     : NULL;
	json_array_foreach (plugins, i, p) {
		json_t *copy;
		if (strcmp(json_string_value(json_object_get(p, "type")) ?: "", "jobnet") != 0)
			continue;
		copy = json_deep_copy(p);
		json_object_set(copy, "name", json_object_get(root, "name"));
		json_object_set(copy, "cniVersion", json_object_get(root, "cniVersion"));
		return copy;
	}
	return NULL;
}

/* The jobnet plugin of a file: 0 with *plugin NULL when it has none. */
static int load_plugin(const char *path, json_t **plugin, struct jn_error *err)
{
	json_error_t jerr;
	cleanup_json json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (root == NULL)
		return jn_error_set(err, JN_ERR_DECODE, "%s: %s (line %d)", path, jerr.text, jerr.line);
	*plugin = jobnet_plugin(root);
	return 0;
}

static int parse_plugin(const char *path, json_t *plugin, struct netconf *conf, struct jn_error *err)
{
	cleanup_free char *text = json_dumps(plugin, JSON_COMPACT);

	if (text == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	if (netconf_parse(text, conf, err) < 0)
		return jn_error_wrap(err, "%s", path);
	return 0;
}

static int parse_file(const char *path, struct netconf *conf, struct jn_error *err)
{
	cleanup_json json_t *plugin = NULL;

	if (load_plugin(path, &plugin, err) < 0)
		return -1;
	if (plugin == NULL)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "%s has no plugin of type \"jobnet\"", path);
	return parse_plugin(path, plugin, conf, err);
}

static int is_conf_name(const struct dirent *e)
{
	const char *dot = strrchr(e->d_name, '.');

	return dot != NULL && (strcmp(dot, ".conflist") == 0 || strcmp(dot, ".conf") == 0 || strcmp(dot, ".json") == 0);
}

/* Call fn with each jobnet plugin of the configuration directory, in the
 * runtime's order; fn returns 1 to stop. Files that do not parse are
 * skipped as a runtime skips them. */
typedef int (*plugin_fn)(const char *path, json_t *plugin, void *ctx);

static int each_plugin(const char *dir, plugin_fn fn, void *ctx, struct jn_error *err)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, is_conf_name, alphasort), rc = 0;

	if (n < 0)
		return jn_error_errno(err, JN_ERR_IO, errno, "reading the configuration directory %s", dir);
	for (int i = 0; i < n; i++) {
		struct jn_error ignored = { 0 };
		char path[PATH_MAX];
		json_t *plugin = NULL;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (rc == 0 && load_plugin(path, &plugin, &ignored) == 0 && plugin != NULL)
			rc = fn(path, plugin, ctx);
		json_decref(plugin);
		free(names[i]);
	}
	free(names);
	return rc < 0 ? -1 : 0;
}

struct first_plugin {
	struct netconf *conf;
	char *used;
	struct jn_error *err;
	bool found;
};

static int parse_first(const char *path, json_t *plugin, void *ctx)
{
	struct first_plugin *f = ctx;

	f->found = true;
	snprintf(f->used, PATH_MAX, "%s", path);
	return parse_plugin(path, plugin, f->conf, f->err) < 0 ? -1 : 1;
}

/* The first file, in the runtime's order, with a jobnet plugin. */
static int find_in_dir(const char *dir, struct netconf *conf, char used[PATH_MAX], struct jn_error *err)
{
	struct first_plugin f = { .conf = conf, .used = used, .err = err };

	if (each_plugin(dir, parse_first, &f, err) < 0)
		return -1;
	if (!f.found)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "no configuration in %s has a plugin of type \"jobnet\"", dir);
	return 0;
}

struct state_dirs {
	struct namelist *dirs;
	size_t plugins;
};

static int add_state_dir(const char *path, json_t *plugin, void *ctx)
{
	struct state_dirs *s = ctx;
	json_t *value = json_object_get(plugin, "stateDir");
	const char *dir = value == NULL ? JN_DEFAULT_STATE_DIR : json_string_value(value);
	char clean[PATH_MAX];
	size_t len;

	s->plugins++;
	if (dir == NULL || dir[0] != '/' || strlen(dir) >= sizeof(clean)) {
		ctl_warn("%s: ignoring its \"stateDir\": not an absolute path", path);
		return 0;
	}
	strcpy(clean, dir);
	for (len = strlen(clean); len > 1 && clean[len - 1] == '/'; len--)
		clean[len - 1] = '\0';
	return namelist_add_unique(s->dirs, clean);
}

int ctlconf_state_dirs(const char *conf_dir, struct namelist *dirs, struct jn_error *err)
{
	struct state_dirs s = { .dirs = dirs };
	const char *dir = conf_dir ? conf_dir : CTL_DEFAULT_CONF_DIR;
	struct stat st;

	/* A node without CNI configuration has jobnet's default. */
	if (stat(dir, &st) == 0 || errno != ENOENT) {
		if (each_plugin(dir, add_state_dir, &s, err) < 0)
			return jn_error_is_set(err) ? -1 : jn_error_set(err, JN_ERR_IO, "out of memory");
	}
	if (s.plugins == 0 && namelist_add_unique(dirs, JN_DEFAULT_STATE_DIR) < 0)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	return 0;
}

int ctlconf_load(const char *path, const char *conf_dir, struct netconf *conf, char used[PATH_MAX],
		 struct jn_error *err)
{
	if (path != NULL) {
		snprintf(used, PATH_MAX, "%s", path);
		return parse_file(path, conf, err);
	}
	return find_in_dir(conf_dir ? conf_dir : CTL_DEFAULT_CONF_DIR, conf, used, err);
}
