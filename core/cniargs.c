#include "core/cniargs.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cleanup.h"

static bool is_known(const char *key, const char *const *const *known)
{
	if (strcmp(key, "IgnoreUnknown") == 0)
		return true;
	for (; known != NULL && *known != NULL; known++)
		for (const char *const *k = *known; *k != NULL; k++)
			if (strcmp(key, *k) == 0)
				return true;
	return false;
}

static bool is_valid_key(const char *key)
{
	if (key[0] == '\0')
		return false;
	for (const char *p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return false;
	return true;
}

static bool is_printable(const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int parse_ignore_unknown(const char *value, bool *out, struct jn_error *err)
{
	if (strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(value, "0") == 0 || strcasecmp(value, "false") == 0) {
		*out = false;
		return 0;
	}
	return jn_error_set(err, JN_ERR_INVALID_ENV,
			    "invalid CNI_ARGS: IgnoreUnknown=\"%.64s\" is not 1, 0, true or false", value);
}

static int add_pair(struct cniargs *out, const char *pair, struct jn_error *err)
{
	const char *eq = strchr(pair, '=');

	if (eq == NULL || strchr(eq + 1, '=') != NULL)
		return jn_error_set(err, JN_ERR_INVALID_ENV, "invalid CNI_ARGS: pair \"%.64s\" is not KEY=VALUE", pair);
	if (out->count == JN_CNIARGS_MAX_PAIRS)
		return jn_error_set(err, JN_ERR_INVALID_ENV, "invalid CNI_ARGS: more than %d pairs",
				    JN_CNIARGS_MAX_PAIRS);
	out->pairs[out->count].key = strndup(pair, (size_t)(eq - pair));
	out->pairs[out->count].value = strdup(eq + 1);
	if (out->pairs[out->count].key == NULL || out->pairs[out->count].value == NULL) {
		free(out->pairs[out->count].key);
		free(out->pairs[out->count].value);
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	}
	out->count++;
	if (!is_valid_key(out->pairs[out->count - 1].key) || !is_printable(eq + 1))
		return jn_error_set(err, JN_ERR_INVALID_ENV, "invalid CNI_ARGS: pair \"%.64s\" has a bad key or value",
				    pair);
	return 0;
}

static int check_keys(struct cniargs *out, const char *const *const *known, struct jn_error *err)
{
	const char *ignore = cniargs_get(out, "IgnoreUnknown");

	if (ignore != NULL && parse_ignore_unknown(ignore, &out->ignore_unknown, err) < 0)
		return -1;
	for (size_t i = 0; i < out->count; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(out->pairs[i].key, out->pairs[j].key) == 0)
				return jn_error_set(err, JN_ERR_INVALID_ENV,
						    "invalid CNI_ARGS: key \"%.64s\" given twice", out->pairs[i].key);
		if (!out->ignore_unknown && !is_known(out->pairs[i].key, known))
			return jn_error_set(
				err, JN_ERR_INVALID_ENV,
				"invalid CNI_ARGS: unknown key \"%.64s\" (set IgnoreUnknown=1 to ignore it)",
				out->pairs[i].key);
	}
	return 0;
}

int cniargs_parse(const char *text, const char *const *const *known, struct cniargs *out, struct jn_error *err)
{
	cleanup_free char *copy = NULL;
	char *cursor, *pair;

	memset(out, 0, sizeof(*out));
	if (text == NULL || text[0] == '\0')
		return 0;
	copy = strdup(text);
	if (copy == NULL)
		return jn_error_set(err, JN_ERR_IO, "out of memory");
	cursor = copy;
	while ((pair = strsep(&cursor, ";")) != NULL) {
		if (add_pair(out, pair, err) < 0) {
			cniargs_free(out);
			return -1;
		}
	}
	if (check_keys(out, known, err) < 0) {
		cniargs_free(out);
		return -1;
	}
	return 0;
}

const char *cniargs_get(const struct cniargs *args, const char *key)
{
	for (size_t i = 0; i < args->count; i++)
		if (strcmp(args->pairs[i].key, key) == 0)
			return args->pairs[i].value;
	return NULL;
}

void cniargs_free(struct cniargs *args)
{
	for (size_t i = 0; i < args->count; i++) {
		free(args->pairs[i].key);
		free(args->pairs[i].value);
	}
	memset(args, 0, sizeof(*args));
}
