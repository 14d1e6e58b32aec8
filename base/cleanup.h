/* Cleanup attributes: a variable declared with one of these is released when
 * it goes out of scope, on every path. Ownership passes by copying the value
 * and setting the variable to NULL (or -1 for fds): see take_ptr()/take_fd().
 */
#ifndef JOBNET_CLEANUP_H
#define JOBNET_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

static inline void jn_freep(void *p)
{
	free(*(void **)p);
}

static inline void jn_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void jn_fclosep(FILE **f)
{
	if (*f != NULL)
		fclose(*f);
}

static inline void jn_json_decrefp(json_t **j)
{
	json_decref(*j);
}

#define cleanup_free __attribute__((cleanup(jn_freep)))
#define cleanup_close __attribute__((cleanup(jn_closep)))
#define cleanup_fclose __attribute__((cleanup(jn_fclosep)))
#define cleanup_json __attribute__((cleanup(jn_json_decrefp)))

static inline void *jn_take_ptr(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}

static inline int jn_take_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

#define take_ptr(p) jn_take_ptr(&(p))
#define take_fd(fd) jn_take_fd(&(fd))

#define JN_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
