#include "netpolicy/ruleset.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"
#include "netpolicy/nftrun.h"
#include "netpolicy/templates.h"

#define RULESET_FILE "ruleset.txt"
#define RULESET_MAX (256 * 1024)
#define SNAPSHOT_HEAD "# jobnet ruleset snapshot\n"
#define SNAPSHOT_TAIL "# end\n"

/* One line per chain: "family table chain: <chain's hook and rules>", the
 * rules' expressions as canonical JSON, handles left out. */
static void add_chain_lines(json_t *items, struct strbuf *out)
{
	size_t i;
	json_t *item;

	json_array_foreach (items, i, item) {
		json_t *chain = json_object_get(item, "chain");
		cleanup_free char *hook = NULL;
		cleanup_json json_t *base = NULL;
		if (chain == NULL)
			continue;
		base = json_pack("{s:O?, s:O?, s:O?, s:O?}", "type", json_object_get(chain, "type"), "hook",
				 json_object_get(chain, "hook"), "prio", json_object_get(chain, "prio"), "policy",
				 json_object_get(chain, "policy"));
		hook = base ? json_dumps(base, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		strbuf_printf(out, "%s %s %s: %s", json_string_value(json_object_get(chain, "family")),
			      json_string_value(json_object_get(chain, "table")),
			      json_string_value(json_object_get(chain, "name")), hook ? hook : "");
		for (size_t k = 0; k < json_array_size(items); k++) {
			json_t *rule = json_object_get(json_array_get(items, k), "rule");
			cleanup_free char *expr = NULL;
			if (rule == NULL || !json_equal(json_object_get(rule, "chain"), json_object_get(chain, "name")))
				continue;
			expr = json_dumps(json_object_get(rule, "expr"), JSON_COMPACT | JSON_SORT_KEYS);
			strbuf_printf(out, " | %s", expr ? expr : "");
		}
		strbuf_append(out, "\n");
	}
}

static int snapshot(struct strbuf *out, struct jn_error *err)
{
	static const char *const tables[] = { "list table " NETPOLICY_TABLE_INET,
					      "list table " NETPOLICY_TABLE_BRIDGE };

	for (size_t t = 0; t < 2; t++) {
		cleanup_free char *text = NULL;
		cleanup_json json_t *root = NULL;
		if (nftrun_json(tables[t], &text, err) < 0)
			return -1;
		root = json_loads(text, 0, NULL);
		if (root == NULL)
			return jn_error_set(err, JN_ERR_NFTABLES, "nft printed JSON jobnet cannot read");
		add_chain_lines(json_object_get(root, "nftables"), out);
	}
	return strbuf_failed(out) ? jn_error_set(err, JN_ERR_NFTABLES, "out of memory") : 0;
}

int ruleset_save(const char *policy_dir, struct jn_error *err)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_close int dir_fd = -1;

	strbuf_append(&text, SNAPSHOT_HEAD);
	if (snapshot(&text, err) < 0)
		return -1;
	strbuf_append(&text, SNAPSHOT_TAIL);
	if (strbuf_failed(&text))
		return jn_error_set(err, JN_ERR_NFTABLES, "out of memory");
	dir_fd = open(policy_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return jn_error_errno(err, JN_ERR_STATE, errno, "saving the ruleset in %s", policy_dir);
	return fileio_write_atomic(dir_fd, policy_dir, RULESET_FILE, strbuf_text(&text), text.len, err);
}

/* Whether text, one chain per line, has line as a whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = strstr(text, line); p != NULL; p = strstr(p + 1, line))
		if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
			return true;
	return false;
}

/* A snapshot jobnet wrote: head, chain lines of printable ASCII naming
 * jobnet's tables, tail. Anything else (cut short, overwritten) is not
 * compared line by line: it is one drift, which repair rewrites. */
static bool snapshot_is_whole(const char *text, size_t len)
{
	size_t head = strlen(SNAPSHOT_HEAD), tail = strlen(SNAPSHOT_TAIL);
	const char *line, *end;

	if (len < head + tail || strncmp(text, SNAPSHOT_HEAD, head) != 0 ||
	    strcmp(text + len - tail, SNAPSHOT_TAIL) != 0)
		return false;
	for (line = text + head, end = text + len - tail; line < end; line = strchr(line, '\n') + 1) {
		if (strncmp(line, NETPOLICY_TABLE_INET " ", strlen(NETPOLICY_TABLE_INET " ")) != 0 &&
		    strncmp(line, NETPOLICY_TABLE_BRIDGE " ", strlen(NETPOLICY_TABLE_BRIDGE " ")) != 0)
			return false;
		for (const char *c = line; *c != '\n'; c++)
			if (*c < 0x20 || *c > 0x7e)
				return false;
	}
	return true;
}

static void report_differences(const char *saved, const char *live, netpolicy_missing_fn report, void *ctx)
{
	cleanup_free char *copy = strdup(saved);
	char *cursor = copy, *line;

	/* A saved chain line not found whole is a chain that drifted. */
	while (copy != NULL && (line = strsep(&cursor, "\n")) != NULL) {
		char what[160];
		size_t name_len = strcspn(line, ":");
		if (line[0] == '\0' || line[0] == '#' || has_line(live, line))
			continue;
		snprintf(what, sizeof(what), "the rules of chain %.*s differ from the ruleset jobnet loaded",
			 (int)name_len, line);
		report(ctx, what);
	}
}

int ruleset_compare(const char *policy_dir, netpolicy_missing_fn report, void *ctx, struct jn_error *err)
{
	cleanup_strbuf struct strbuf live = STRBUF_INIT;
	char path[PATH_MAX];
	cleanup_free char *saved = NULL;
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", policy_dir, RULESET_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : jn_error_errno(err, JN_ERR_STATE, errno, "reading %s", path);
	saved = malloc(RULESET_MAX);
	if (saved == NULL)
		return jn_error_set(err, JN_ERR_STATE, "out of memory");
	n = read(fd, saved, RULESET_MAX - 1);
	if (n < 0)
		return jn_error_errno(err, JN_ERR_STATE, errno, "reading %s", path);
	saved[n] = '\0';
	if (memchr(saved, '\0', (size_t)n) != NULL || !snapshot_is_whole(saved, (size_t)n)) {
		char what[PATH_MAX + 64];
		snprintf(what, sizeof(what), "the saved ruleset %s is damaged", path);
		report(ctx, what);
		return 0;
	}
	if (snapshot(&live, err) < 0)
		return -1;
	report_differences(saved, strbuf_text(&live), report, ctx);
	return 0;
}
