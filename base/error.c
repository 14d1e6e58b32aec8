#include "base/error.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void format_into(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);
	if (n < 0)
		buf[0] = '\0';
}

/* Fill an empty record; a record that already holds an error keeps it. */
static int set_va(struct jn_error *err, int code, const char *fmt, va_list ap)
{
	if (err == NULL || jn_error_is_set(err))
		return -1;
	err->code = code;
	err->errnum = 0;
	format_into(err->msg, sizeof(err->msg), fmt, ap);
	err->details[0] = '\0';
	return -1;
}

int jn_error_set(struct jn_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_va(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int jn_error_errno(struct jn_error *err, int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	bool fresh = err != NULL && !jn_error_is_set(err);

	va_start(ap, fmt);
	set_va(err, code, fmt, ap);
	va_end(ap);
	if (fresh) {
		err->errnum = errnum;
		snprintf(err->details, sizeof(err->details), "%s", strerror(errnum));
	}
	return -1;
}

void jn_error_detail(struct jn_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	format_into(err->details, sizeof(err->details), fmt, ap);
	va_end(ap);
}

int jn_error_wrap(struct jn_error *err, const char *fmt, ...)
{
	char prefix[JN_ERROR_MSG_MAX];
	char joined[JN_ERROR_MSG_MAX];
	va_list ap;

	if (err == NULL || !jn_error_is_set(err))
		return -1;
	va_start(ap, fmt);
	format_into(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* Truncation of an over-long message is acceptable. */
	if (snprintf(joined, sizeof(joined), "%s: %s", prefix, err->msg) < 0)
		return -1;
	memcpy(err->msg, joined, sizeof(err->msg));
	return -1;
}

bool jn_error_absorb(struct jn_error *err, int errnum)
{
	if (errnum == 0 || jn_error_errnum(err) != errnum)
		return false;
	jn_error_clear(err);
	return true;
}

int jn_error_keep_first(struct jn_error *dst, const struct jn_error *src)
{
	if (!jn_error_is_set(src))
		return 0;
	if (dst != NULL && dst != src && !jn_error_is_set(dst))
		*dst = *src;
	return -1;
}

int jn_error_recode(struct jn_error *err, int code)
{
	if (err != NULL && jn_error_is_set(err) && code != JN_OK)
		err->code = code;
	return -1;
}

void jn_error_clear(struct jn_error *err)
{
	err->code = JN_OK;
	err->errnum = 0;
	err->msg[0] = '\0';
	err->details[0] = '\0';
}

const char *jn_error_code_name(int code)
{
	switch (code) {
	case JN_OK:
		return "ok";
	case JN_ERR_INCOMPATIBLE_VERSION:
		return "incompatible CNI version";
	case JN_ERR_UNSUPPORTED_FIELD:
		return "unsupported field in network configuration";
	case JN_ERR_UNKNOWN_CONTAINER:
		return "container unknown or does not exist";
	case JN_ERR_INVALID_ENV:
		return "invalid or missing environment variables";
	case JN_ERR_IO:
		return "I/O failure";
	case JN_ERR_DECODE:
		return "failed to decode content";
	case JN_ERR_INVALID_CONFIG:
		return "invalid network configuration";
	case JN_ERR_TRY_AGAIN:
		return "try again later";
	case JN_ERR_NOT_AVAILABLE:
		return "plugin not available";
	case JN_ERR_NOT_AVAILABLE_DAMAGED:
		return "plugin not available, existing containers may be damaged";
	case JN_ERR_POLICY_REQUIRES_BRIDGE:
		return "policy requires bridge networking";
	case JN_ERR_NOT_A_BRIDGE:
		return "device exists and is not a bridge";
	case JN_ERR_POOL_EXHAUSTED:
		return "address pool exhausted";
	case JN_ERR_ADDRESS_TAKEN:
		return "requested address unavailable";
	case JN_ERR_IFNAME_EXISTS:
		return "interface already exists";
	case JN_ERR_KERNEL:
		return "kernel refused a network operation";
	case JN_ERR_NFTABLES:
		return "nftables operation failed";
	case JN_ERR_PORT_CONFLICT:
		return "host port already in use";
	case JN_ERR_CHECK_FAILED:
		return "attachment does not match what ADD made";
	case JN_ERR_STATE:
		return "state file unusable";
	case JN_ERR_NETNS:
		return "network namespace unusable";
	default:
		return "unknown error";
	}
}
