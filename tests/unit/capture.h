/* Unit-test helper: run a function with stdout (and, if asked, stderr)
 * redirected into strings, as the commands' output reaches a user. */
#ifndef NETLENS_TEST_CAPTURE_H
#define NETLENS_TEST_CAPTURE_H

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* The whole content of f (malloc'ed, NUL-terminated); closes f. */
static inline char *capture_slurp(FILE *f)
{
	long n = lseek(fileno(f), 0, SEEK_CUR);
	char *s = calloc(1, (size_t)(n > 0 ? n : 0) + 1);

	rewind(f);
	if (!s || (n > 0 && fread(s, 1, (size_t)n, f) != (size_t)n))
		abort();
	fclose(f);
	return s;
}

/* Runs fn(arg) with stdout in *out and, when err is not NULL, stderr in
 * *err (both malloc'ed). Returns what fn returned. */
static inline int capture_run(int (*fn)(void *), void *arg, char **out, char **err)
{
	FILE *fo = tmpfile(), *fe = err ? tmpfile() : NULL;
	int so = dup(STDOUT_FILENO), se = err ? dup(STDERR_FILENO) : -1, r;

	if (!fo || (err && !fe) || so < 0 || (err && se < 0))
		abort();
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(fo), STDOUT_FILENO);
	if (err)
		dup2(fileno(fe), STDERR_FILENO);
	r = fn(arg);
	fflush(stdout);
	fflush(stderr);
	dup2(so, STDOUT_FILENO);
	close(so);
	if (err) {
		dup2(se, STDERR_FILENO);
		close(se);
		*err = capture_slurp(fe);
	}
	*out = capture_slurp(fo);
	return r;
}

static inline int capture_call_void(void *fn)
{
	(*(void (**)(void))fn)();
	return 0;
}

/* stdout of fn() as a string (caller frees). */
static inline char *capture(void (*fn)(void))
{
	char *out;

	capture_run(capture_call_void, &fn, &out, NULL);
	return out;
}

/* True when fn() ends in abort() (run in a child, its stdout discarded):
 * for APIs that refuse misuse by aborting rather than printing broken
 * output. */
static inline bool capture_aborts(void (*fn)(void))
{
	int st;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		signal(SIGABRT, SIG_DFL);
		fn();
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		abort();
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

#endif
