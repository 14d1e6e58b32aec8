/* The jobnet CNI plugin: parse the invocation, dispatch to one command,
 * print its result or the error object. Nothing else writes to stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fileio.h"
#include "core/cniversion.h"
#include "base/log.h"
#include "cni/command.h"
#include "cni/plugin.h"
#include "netpolicy/nfsock.h"
#include "netpolicy/nftrun.h"
#include "cni/result.h"

#define JN_STDIN_MAX (1 << 20)

/* CNI_ARGS keys: the ones main reads and the facts' own. */
const char *const plugin_known_args[] = {
	"IP", "K8S_POD_NAME", "K8S_POD_NAMESPACE", "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID", NULL,
};

static const char *const *const known_arg_lists[] = { plugin_known_args, facts_cni_arg_keys, NULL };

static int apply_cni_args(struct plugin *p, struct jn_error *err)
{
	const char *ip;

	if (cniargs_parse(p->inv.args, known_arg_lists, &p->args, err) < 0)
		return -1;
	ip = cniargs_get(&p->args, "IP");
	/* args.cni.ips and the ips capability win over CNI_ARGS IP. */
	if (ip != NULL && !p->conf.ips_in_config) {
		char copy[256];
		char *cursor = copy, *one;
		snprintf(copy, sizeof(copy), "%s", ip);
		while ((one = strsep(&cursor, ",")) != NULL)
			if (netconf_request_ip(&p->conf, one, err) < 0)
				return jn_error_wrap(err, "invalid CNI_ARGS IP");
	}
	return 0;
}

/* groupScope "namespace": groups are the pod namespace's. The kubelet's
 * runtime sets K8S_POD_NAMESPACE; pod annotations are the tenant's. */
static int scope_groups(struct plugin *p, struct jn_error *err)
{
	const char *ns = cniargs_get(&p->args, "K8S_POD_NAMESPACE");

	if (ns == NULL)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG,
				    "\"groupScope\" is \"namespace\" but CNI_ARGS has no K8S_POD_NAMESPACE");
	if (facts_scope_groups(&p->facts, ns, err) < 0)
		return jn_error_wrap(err, "K8S_POD_NAMESPACE");
	return 0;
}

/* Only ADD acts on facts; DEL and GC must work whatever they say, and
 * CHECK compares with the facts ADD recorded. */
static int collect_facts(struct plugin *p, struct jn_error *err)
{
	struct facts_sources src = {
		.runtime_config = p->conf.facts_runtime,
		.args = p->conf.facts_args,
		.annotations = p->conf.annotations,
		.cni_args = &p->args,
	};

	if (p->inv.cmd->id != JN_CMD_ADD)
		return 0;
	if (facts_collect(&src, &p->facts, err) < 0)
		return -1;
	return p->conf.group_scope == NETCONF_SCOPE_NAMESPACE ? scope_groups(p, err) : 0;
}

/* CNI_ARGS are the runtime's word on the job: a command that does not
 * need them (DEL, GC) only warns of a problem with them. */
static int read_cni_args(struct plugin *p, struct jn_error *err)
{
	struct jn_error problem = { 0 };

	if (apply_cni_args(p, &problem) == 0)
		return 0;
	if (p->inv.cmd->needs == NULL)
		return jn_error_keep_first(err, &problem);
	log_warn("not needed here, ignored: %s", problem.msg);
	cniargs_free(&p->args);
	return 0;
}

static int prepare(struct plugin *p, const char *input, struct jn_error *err)
{
	facts_init(&p->facts);
	if (invocation_read_env(&p->inv, err) < 0)
		return -1;
	log_set_context(p->inv.cmd->name, p->inv.container_id, p->inv.ifname);
	if (netconf_parse_needed(input, p->inv.cmd->needs, &p->conf, err) < 0)
		return -1;
	return read_cni_args(p, err) < 0 ? -1 : collect_facts(p, err);
}

/* logFile first, from the raw text, so that every error reaches it, those
 * of the environment and of parsing included. */
static void open_log_file(const char *input)
{
	char path[JN_PATH_MAX + 1];

	netconf_peek_log_file(input, path, sizeof(path));
	if (path[0] != '\0')
		log_open_file(path);
}

static int run(struct plugin *p, char *version, json_t **result, struct jn_error *err)
{
	cleanup_free char *input = NULL;

	if (invocation_read_command(&p->inv, err) < 0)
		return -1;
	log_set_context(p->inv.cmd->name, "", "");
	if (fileio_read_stream(STDIN_FILENO, JN_STDIN_MAX, "the configuration on stdin", &input, err) < 0)
		return -1;
	netconf_peek_version(input, version);
	/* Only a supported version is echoed: anything else may not even be
	 * valid UTF-8. */
	if (!cniversion_is_supported(version))
		version[0] = '\0';
	if (p->inv.cmd->id == JN_CMD_VERSION)
		return cmd_version(version[0] ? version : JN_CNI_VERSION_LATEST, err);
	open_log_file(input);
	if (prepare(p, input, err) < 0)
		return -1;
	return command_run(p->inv.cmd, p, result, err);
}

int main(void)
{
	struct plugin p;
	struct jn_error err = { 0 };
	char version[JN_CNI_VERSION_MAX] = "";
	json_t *result = NULL;
	int rc;

	memset(&p, 0, sizeof(p));
	rc = run(&p, version, &result, &err);
	if (rc == 0 && result != NULL)
		rc = result_print(result, &err);
	json_decref(result);
	if (rc < 0) {
		json_t *error = result_error(version, &err);
		log_warn("%s (code %d)%s%s", err.msg, err.code, err.details[0] ? ": " : "", err.details);
		if (result_print(error, &err) < 0)
			fprintf(stderr, "jobnet: cannot print the error object\n");
		json_decref(error);
	}
	cniargs_free(&p.args);
	netconf_free(&p.conf);
	nftrun_release(); /* last: see nftrun.c and nfsock.h */
	nfsock_release();
	log_close();
	return rc < 0 ? 1 : 0;
}
