/* Runs a fuzz target over every file of its corpus without libFuzzer, so
 * the corpus (findings included) is a regression test in make test. One
 * corpus is one test for tests/run.py; an input that breaks a property
 * aborts and is named on stderr. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"

static char current_input[4096];

static void name_input(int sig)
{
	static const char what[] = "replay: aborted on input ";

	(void)sig;
	if (write(STDERR_FILENO, what, sizeof(what) - 1) < 0 ||
	    write(STDERR_FILENO, current_input, strlen(current_input)) < 0 || write(STDERR_FILENO, "\n", 1) < 0)
		_exit(134);
	_exit(134);
}

static uint8_t *read_input(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16;
	uint8_t *buf = malloc(cap);

	*len = 0;
	if (f == NULL || buf == NULL) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	for (;;) {
		*len += fread(buf + *len, 1, cap - *len, f);
		if (*len < cap)
			break;
		uint8_t *bigger = realloc(buf, cap * 2);
		if (bigger == NULL) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	fclose(f);
	return buf;
}

int main(void)
{
	DIR *d = opendir(CORPUS_DIR);
	struct dirent *e;
	size_t runs = 0;

	if (d == NULL) {
		printf("[  FAILED  ] 1 test(s): no corpus at %s\n", CORPUS_DIR);
		return 1;
	}
	signal(SIGABRT, name_input);
	while ((e = readdir(d)) != NULL) {
		uint8_t *data;
		size_t len;
		if (e->d_name[0] == '.')
			continue;
		snprintf(current_input, sizeof(current_input), "%s/%s", CORPUS_DIR, e->d_name);
		data = read_input(current_input, &len);
		if (data == NULL) {
			printf("[  FAILED  ] 1 test(s): cannot read %s\n", current_input);
			closedir(d);
			return 1;
		}
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		runs++;
	}
	closedir(d);
	if (runs == 0) {
		printf("[  FAILED  ] 1 test(s): the corpus at %s is empty\n", CORPUS_DIR);
		return 1;
	}
	printf("replayed %zu inputs of %s\n[  PASSED  ] 1 test(s).\n", runs, CORPUS_DIR);
	return 0;
}
