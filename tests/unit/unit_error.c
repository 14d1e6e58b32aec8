/* The error record: the first error wins, recoding, the errno it carries. */
#include <errno.h>
#include <string.h>

#include "base/error.h"
#include "unit.h"

static void test_first_error_wins(void **state)
{
	struct jn_error err = { 0 };

	(void)state;
	assert_false(jn_error_is_set(&err));
	assert_int_equal(jn_error_set(&err, JN_ERR_STATE, "first %d", 1), -1);
	assert_int_equal(jn_error_set(&err, JN_ERR_KERNEL, "second"), -1);
	assert_int_equal(jn_error_errno(&err, JN_ERR_NETNS, ENOENT, "third"), -1);
	assert_int_equal(err.code, JN_ERR_STATE);
	assert_string_equal(err.msg, "first 1");
	assert_int_equal(jn_error_errnum(&err), 0);
	assert_string_equal(err.details, "");
	jn_error_wrap(&err, "in %s", "context");
	assert_string_equal(err.msg, "in context: first 1");
	/* Wrapping an empty record makes no error. */
	jn_error_clear(&err);
	assert_int_equal(jn_error_wrap(&err, "context"), -1);
	assert_false(jn_error_is_set(&err));
}

static void test_errno_is_carried(void **state)
{
	struct jn_error err = { 0 };

	(void)state;
	jn_error_errno(&err, JN_ERR_NETNS, ENOENT, "network namespace \"%s\" does not exist", "x");
	assert_int_equal(err.code, JN_ERR_NETNS);
	assert_int_equal(jn_error_errnum(&err), ENOENT);
	assert_string_equal(err.details, strerror(ENOENT));
	jn_error_wrap(&err, "opening");
	jn_error_detail(&err, "other details");
	assert_int_equal(jn_error_errnum(&err), ENOENT);
	jn_error_clear(&err);
	assert_int_equal(jn_error_errnum(&err), 0);
	assert_int_equal(err.errnum, 0);
	/* A record set without an errno says 0, whatever came before. */
	jn_error_errno(&err, JN_ERR_IO, EIO, "x");
	jn_error_clear(&err);
	jn_error_set(&err, JN_ERR_IO, "y");
	assert_int_equal(jn_error_errnum(&err), 0);
}

static void test_absorb_clears_only_its_errno(void **state)
{
	struct jn_error err = { 0 };

	(void)state;
	assert_false(jn_error_absorb(&err, ENOENT));
	jn_error_errno(&err, JN_ERR_STATE, EACCES, "reading");
	assert_false(jn_error_absorb(&err, ENOENT));
	assert_true(jn_error_is_set(&err));
	assert_false(jn_error_absorb(&err, 0));
	assert_true(jn_error_absorb(&err, EACCES));
	assert_false(jn_error_is_set(&err));
	assert_string_equal(err.msg, "");
	jn_error_set(&err, JN_ERR_STATE, "no errno");
	assert_false(jn_error_absorb(&err, 0));
	assert_true(jn_error_is_set(&err));
}

static void test_keep_first(void **state)
{
	struct jn_error dst = { 0 }, src = { 0 };

	(void)state;
	/* Nothing to keep. */
	assert_int_equal(jn_error_keep_first(&dst, &src), 0);
	assert_false(jn_error_is_set(&dst));
	/* Into an empty record: all of it. */
	jn_error_errno(&src, JN_ERR_KERNEL, ENODEV, "deleting %s", "jn0");
	assert_int_equal(jn_error_keep_first(&dst, &src), -1);
	assert_int_equal(dst.code, JN_ERR_KERNEL);
	assert_string_equal(dst.msg, "deleting jn0");
	assert_string_equal(dst.details, strerror(ENODEV));
	assert_int_equal(jn_error_errnum(&dst), ENODEV);
	/* Never over an error already there: a cleanup's failure stays out. */
	jn_error_clear(&src);
	jn_error_set(&src, JN_ERR_STATE, "cleanup failed");
	assert_int_equal(jn_error_keep_first(&dst, &src), -1);
	assert_int_equal(dst.code, JN_ERR_KERNEL);
	assert_string_equal(dst.msg, "deleting jn0");
	/* Onto itself, or into no record at all. */
	assert_int_equal(jn_error_keep_first(&dst, &dst), -1);
	assert_string_equal(dst.msg, "deleting jn0");
	assert_int_equal(jn_error_keep_first(NULL, &src), -1);
}

static void test_recode(void **state)
{
	struct jn_error err = { 0 };

	(void)state;
	assert_int_equal(jn_error_recode(&err, JN_ERR_CHECK_FAILED), -1);
	assert_false(jn_error_is_set(&err));
	jn_error_errno(&err, JN_ERR_NETNS, EPERM, "entering %s", "ns");
	assert_int_equal(jn_error_recode(&err, JN_ERR_CHECK_FAILED), -1);
	assert_int_equal(err.code, JN_ERR_CHECK_FAILED);
	assert_string_equal(err.msg, "entering ns");
	assert_int_equal(jn_error_errnum(&err), EPERM);
	/* Recoding to "no error" would drop it: refused. */
	jn_error_recode(&err, JN_OK);
	assert_int_equal(err.code, JN_ERR_CHECK_FAILED);
	assert_int_equal(jn_error_recode(NULL, JN_ERR_STATE), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_errno_is_carried),
		cmocka_unit_test(test_absorb_clears_only_its_errno),
		cmocka_unit_test(test_keep_first),
		cmocka_unit_test(test_recode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
