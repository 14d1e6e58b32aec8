/* The error record every fallible jobnet function fills.
 *
 * Discipline (docs/design.md, "Errors and ownership"): a fallible function
 * returns an int, < 0 on failure, and fills a struct jn_error with the CNI
 * code, a short message that names the offending key or value, details and,
 * when a system call failed, its errno. Callers add context with
 * jn_error_wrap() as the error travels up. The first error written into a
 * record stays: later ones (a cleanup's) never overwrite it. Only main()
 * turns the record into the CNI error object on stdout.
 */
#ifndef JOBNET_ERROR_H
#define JOBNET_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

/* Well-known codes from the CNI specification. */
enum jn_code {
	JN_OK = 0,
	JN_ERR_INCOMPATIBLE_VERSION = 1,
	JN_ERR_UNSUPPORTED_FIELD = 2,
	JN_ERR_UNKNOWN_CONTAINER = 3,
	JN_ERR_INVALID_ENV = 4,
	JN_ERR_IO = 5,
	JN_ERR_DECODE = 6,
	JN_ERR_INVALID_CONFIG = 7,
	JN_ERR_TRY_AGAIN = 11,
	JN_ERR_NOT_AVAILABLE = 50,
	JN_ERR_NOT_AVAILABLE_DAMAGED = 51,
	/* jobnet's own codes; each is listed in the README. */
	JN_ERR_POLICY_REQUIRES_BRIDGE = 100,
	JN_ERR_NOT_A_BRIDGE = 101,
	JN_ERR_POOL_EXHAUSTED = 102,
	JN_ERR_ADDRESS_TAKEN = 103,
	JN_ERR_IFNAME_EXISTS = 104,
	JN_ERR_KERNEL = 105,
	JN_ERR_NFTABLES = 106,
	JN_ERR_PORT_CONFLICT = 107,
	JN_ERR_CHECK_FAILED = 108,
	JN_ERR_STATE = 109,
	JN_ERR_NETNS = 110,
};

#define JN_ERROR_MSG_MAX 512
#define JN_ERROR_DETAILS_MAX 1024

struct jn_error {
	int code;
	int errnum; /* the errno behind the error, 0 when none */
	char msg[JN_ERROR_MSG_MAX];
	char details[JN_ERROR_DETAILS_MAX];
};

/* Fill err (unless it already holds an error) and return -1. */
int jn_error_set(struct jn_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* As jn_error_set, and record errnum (put strerror(errnum) into the
 * details): callers that count an absence as success ask jn_error_errnum(). */
int jn_error_errno(struct jn_error *err, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Set the details of an error already set (replacing earlier details). */
void jn_error_detail(struct jn_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix the message with context: "adding route: <old message>". */
int jn_error_wrap(struct jn_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline int jn_error_is_set(const struct jn_error *err)
{
	return err->code != JN_OK;
}

/* The errno of the error the record holds; 0 when it holds none, or one
 * that no system call reported. */
static inline int jn_error_errnum(const struct jn_error *err)
{
	return jn_error_is_set(err) ? err->errnum : 0;
}

/* When err holds an error of errno errnum (an absence the caller counts as
 * success: ENOENT, ENODEV, ESRCH), clear it and return true. Ask it of a
 * record the failing call filled (a local one), never of one that may
 * carry an earlier error. */
bool jn_error_absorb(struct jn_error *err, int errnum);

/* Copy src into dst unless dst already holds an error: the first error
 * wins, so a cleanup's failure never hides the one that made it run.
 * Returns -1 when src holds an error, 0 when not. */
int jn_error_keep_first(struct jn_error *dst, const struct jn_error *src);

/* Give the error err holds another CNI code (an error that means 51 to a
 * STATUS, 108 to a CHECK); the message, details and errno stay. An empty
 * record stays empty. Returns -1. */
int jn_error_recode(struct jn_error *err, int code);

void jn_error_clear(struct jn_error *err);

/* Short description of a code, for logs and the README table. */
const char *jn_error_code_name(int code);

#endif
