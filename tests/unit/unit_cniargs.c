#include <string.h>

#include "core/cniargs.h"
#include "unit.h"

static const char *const known_keys[] = { "IP", "K8S_POD_NAME", NULL };
static const char *const *const known[] = { known_keys, NULL };

static void test_parses_pairs(void **state)
{
	struct cniargs args;
	struct jn_error err = { 0 };

	(void)state;
	assert_int_equal(cniargs_parse("IP=10.0.0.5/24;K8S_POD_NAME=web-1", known, &args, &err), 0);
	assert_string_equal(cniargs_get(&args, "IP"), "10.0.0.5/24");
	assert_string_equal(cniargs_get(&args, "K8S_POD_NAME"), "web-1");
	assert_null(cniargs_get(&args, "OTHER"));
	cniargs_free(&args);
	assert_int_equal(cniargs_parse("", known, &args, &err), 0);
	assert_int_equal(args.count, 0);
	assert_int_equal(cniargs_parse(NULL, known, &args, &err), 0);
}

static void test_ignore_unknown(void **state)
{
	struct cniargs args;
	struct jn_error err = { 0 };

	(void)state;
	assert_int_equal(cniargs_parse("IgnoreUnknown=1;FOO=bar", known, &args, &err), 0);
	assert_true(args.ignore_unknown);
	cniargs_free(&args);
	assert_int_equal(cniargs_parse("FOO=bar;IgnoreUnknown=true", known, &args, &err), 0);
	cniargs_free(&args);
	assert_int_equal(cniargs_parse("IgnoreUnknown=TRUE;FOO=bar", known, &args, &err), 0);
	cniargs_free(&args);
}

struct bad_case {
	const char *text;
	const char *word;
};

static void test_rejects(void **state)
{
	static const struct bad_case cases[] = {
		{ "FOO=bar", "FOO" },
		{ "IgnoreUnknown=0;FOO=bar", "FOO" },
		{ "IP", "IP" },
		{ "IP=1;", "\"\"" },
		{ ";", "\"\"" },
		{ "IP=a=b", "IP=a=b" },
		{ "=x", "=x" },
		{ "IP=1;IP=2", "twice" },
		{ "IgnoreUnknown=maybe", "maybe" },
		{ "IP=a\tb", "IP" },
		{ "K Y=1", "K Y" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cniargs args;
		struct jn_error err = { 0 };
		int rc = cniargs_parse(cases[i].text, known, &args, &err);
		if (rc == 0 || err.code != JN_ERR_INVALID_ENV || strstr(err.msg, "CNI_ARGS") == NULL ||
		    strstr(err.msg, cases[i].word) == NULL)
			fail_msg("case \"%s\": rc %d code %d msg \"%s\"", cases[i].text, rc, err.code, err.msg);
		assert_int_equal(args.count, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parses_pairs),
		cmocka_unit_test(test_ignore_unknown),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
