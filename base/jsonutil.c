#include "base/jsonutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/cleanup.h"

const char *jsonutil_quote(const json_t *value, char buf[JN_JSON_QUOTE_MAX])
{
	cleanup_free char *text = NULL;
	size_t len;

	if (value == NULL) {
		strcpy(buf, "(absent)");
		return buf;
	}
	text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
	if (text == NULL) {
		strcpy(buf, "(unprintable)");
		return buf;
	}
	len = strlen(text);
	if (len < JN_JSON_QUOTE_MAX) {
		memcpy(buf, text, len + 1);
		return buf;
	}
	memcpy(buf, text, JN_JSON_QUOTE_MAX - 4);
	strcpy(buf + JN_JSON_QUOTE_MAX - 4, "...");
	return buf;
}

static int type_error(const json_t *value, const char *what, const char *wanted, struct jn_error *err)
{
	char quoted[JN_JSON_QUOTE_MAX];

	return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"%s\": want %s, got %s", what, wanted,
			    jsonutil_quote(value, quoted));
}

int jsonutil_want_string(const json_t *value, const char *what, const char **out, struct jn_error *err)
{
	if (!json_is_string(value))
		return type_error(value, what, "a string", err);
	if (strlen(json_string_value(value)) != json_string_length(value))
		return type_error(value, what, "a string without NUL bytes", err);
	*out = json_string_value(value);
	return 0;
}

int jsonutil_want_bool(const json_t *value, const char *what, bool *out, struct jn_error *err)
{
	if (!json_is_boolean(value))
		return type_error(value, what, "true or false", err);
	*out = json_is_true(value);
	return 0;
}

int jsonutil_want_object(const json_t *value, const char *what, struct jn_error *err)
{
	return json_is_object(value) ? 0 : type_error(value, what, "an object", err);
}

int jsonutil_want_array(const json_t *value, const char *what, struct jn_error *err)
{
	return json_is_array(value) ? 0 : type_error(value, what, "an array", err);
}

int jsonutil_want_string_array(const json_t *value, const char *what, struct jn_error *err)
{
	size_t i;
	json_t *item;
	const char *unused;

	if (jsonutil_want_array(value, what, err) < 0)
		return -1;
	json_array_foreach (value, i, item)
		if (jsonutil_want_string(item, what, &unused, err) < 0)
			return -1;
	return 0;
}

int jsonutil_want_int(const json_t *value, const char *what, long long min, long long max, long long *out,
		      struct jn_error *err)
{
	char quoted[JN_JSON_QUOTE_MAX];
	long long v;

	if (!json_is_integer(value))
		return type_error(value, what, "an integer", err);
	v = json_integer_value(value);
	if (v < min || v > max)
		return jn_error_set(err, JN_ERR_INVALID_CONFIG, "invalid \"%s\": %s is outside %lld..%lld", what,
				    jsonutil_quote(value, quoted), min, max);
	*out = v;
	return 0;
}

int jsonutil_get_folded(const json_t *obj, const char *key, const char *what, json_t **out, struct jn_error *err)
{
	const char *name, *found = NULL;
	json_t *value;

	*out = NULL;
	json_object_foreach ((json_t *)obj, name, value) {
		if (strcasecmp(name, key) != 0)
			continue;
		if (found != NULL)
			return jn_error_set(err, JN_ERR_INVALID_CONFIG,
					    "invalid \"%s\": \"%.32s\" and \"%.32s\" both name \"%s\"", what, found,
					    name, key);
		found = name;
		*out = value;
	}
	return found != NULL;
}

char *jsonutil_dump(const json_t *value)
{
	return json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
}
