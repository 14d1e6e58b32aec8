/* spawnstat BINARY [ARG...]: run BINARY (stdin, stdout and stderr are
 * passed on) and write "<wall ns> <peak RSS KiB> <exit status>" to fd 3.
 *
 * make bench measures plugins through this small program rather than from
 * Python: the peak RSS wait4() reports includes the memory a process had
 * before exec, which for a child of the Python interpreter is the
 * interpreter's; here it is this program's few hundred KiB. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec start, end;
	struct rusage usage;
	int status;
	pid_t child;

	if (argc < 2) {
		fprintf(stderr, "usage: spawnstat BINARY [ARG...] (statistics on fd 3)\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	child = fork();
	if (child == 0) {
		close(3);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	if (child < 0 || wait4(child, &status, 0, &usage) < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &end);
	dprintf(3, "%lld %ld %d\n",
		(long long)(end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec), usage.ru_maxrss,
		WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
