/* Netlink message building: every put checks the room left. */
#include <linux/netfilter/nf_tables.h>
#include <string.h>

#include "netpolicy/nfsock.h"
#include "unit.h"

#define GUARD 0xa5

static void test_puts_that_fit(void **state)
{
	unsigned char buf[256];
	struct nfsock_msg m;
	struct nlattr *nest;
	const struct nlattr *attr;
	size_t seen = 0;

	(void)state;
	nfsock_msg_start(&m, buf, sizeof(buf), (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE, NLM_F_ACK, 1, 42, 0);
	nfsock_put_strz(&m, NFTA_TABLE_NAME, "jobnet");
	nest = nfsock_nest_start(&m, NFTA_TABLE_USERDATA);
	nfsock_put_u32(&m, 1, 7);
	nfsock_nest_end(&m, nest);
	assert_false(m.overflow);
	assert_int_equal(m.nlh->nlmsg_seq, 42);
	assert_int_equal(m.nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_true(m.nlh->nlmsg_len <= sizeof(buf));
	mnl_attr_for_each(attr, m.nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(attr) == NFTA_TABLE_NAME)
			assert_string_equal(mnl_attr_get_str(attr), "jobnet");
		seen++;
	}
	assert_int_equal(seen, 2);
}

static void test_overflow_stops_at_the_buffer(void **state)
{
	unsigned char buf[128];
	char long_name[200];
	struct nfsock_msg m;
	struct jn_error err = { 0 };
	uint32_t len;

	(void)state;
	memset(buf, GUARD, sizeof(buf));
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	/* The message gets the first 64 bytes; the rest must stay untouched. */
	nfsock_msg_start(&m, buf, 64, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE, 0, 1, 1, 0);
	nfsock_put_strz(&m, NFTA_TABLE_NAME, "jobnet");
	assert_false(m.overflow);
	len = m.nlh->nlmsg_len;
	nfsock_put_strz(&m, NFTA_TABLE_NAME, long_name);
	assert_true(m.overflow);
	/* Later puts do nothing, even ones that would fit. */
	nfsock_put_u8(&m, 2, 1);
	assert_null(nfsock_nest_start(&m, 3));
	nfsock_nest_end(&m, NULL);
	assert_int_equal(m.nlh->nlmsg_len, len);
	for (size_t i = 64; i < sizeof(buf); i++)
		assert_int_equal(buf[i], GUARD);
	/* Refused before anything is sent. */
	assert_int_equal(nfsock_request(&m, NULL, NULL, JN_ERR_NFTABLES, "asking for a table", &err), -1);
	assert_int_equal(err.code, JN_ERR_NFTABLES);
	assert_non_null(strstr(err.msg, "asking for a table"));
}

static void test_header_that_does_not_fit(void **state)
{
	unsigned char buf[NFSOCK_HEADER_LEN + 8];
	struct nfsock_msg m;

	(void)state;
	memset(buf, GUARD, sizeof(buf));
	nfsock_msg_start(&m, buf, NFSOCK_HEADER_LEN - 1, NFNL_MSG_BATCH_BEGIN, 0, 0, 1, NFNL_SUBSYS_NFTABLES);
	assert_true(m.overflow);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], GUARD);
	nfsock_msg_start(&m, buf, NFSOCK_HEADER_LEN, NFNL_MSG_BATCH_BEGIN, 0, 0, 1, NFNL_SUBSYS_NFTABLES);
	assert_false(m.overflow);
	assert_int_equal(m.nlh->nlmsg_len, NFSOCK_HEADER_LEN);
	nfsock_put_u8(&m, 1, 1);
	assert_true(m.overflow);
	assert_int_equal(buf[NFSOCK_HEADER_LEN], GUARD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_puts_that_fit),
		cmocka_unit_test(test_overflow_stops_at_the_buffer),
		cmocka_unit_test(test_header_that_does_not_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
