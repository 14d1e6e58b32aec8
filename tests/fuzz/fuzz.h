/* Shared by the libFuzzer targets: one entry point per parser, and the
 * replay driver (replay.c) that runs a corpus without libFuzzer. */
#ifndef JOBNET_FUZZ_H
#define JOBNET_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (malloc'd). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text != NULL) {
		memcpy(text, data, size);
		text[size] = '\0';
	}
	return text;
}

/* A property every input must keep: abort (the fuzzer reports it) if not. */
#define FUZZ_ASSERT(cond)        \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

#endif
