#include "ctl/ctlconf.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

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

/* The first file, in the runtime's order, with a jobnet plugin. Files that
 * do not parse are skipped as a runtime skips them. */
static int find_in_dir(const char *dir, struct netconf *conf, char used[PATH_MAX], struct jn_error *err)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, is_conf_name, alphasort), found = -1;
	json_t *plugin = NULL;

	if (n < 0)
		return jn_error_errno(err, JN_ERR_IO, errno, "reading the configuration directory %s", dir);
	for (int i = 0; i < n; i++) {
		struct jn_error ignored = { 0 };
		if (found < 0) {
			snprintf(used, PATH_MAX, "%s/%s", dir, names[i]->d_name);
			if (load_plugin(used, &plugin, &ignored) == 0 && plugin != NULL)
				found = i;
		}
		free(names[i]);
	}
	free(names);
	if (found < 0)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "no configuration in %s has a plugin of type \"jobnet\"", dir);
	found = parse_plugin(used, plugin, conf, err);
	json_decref(plugin);
	return found;
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
