/*
 * err.c: exit codes and error reporting (err.h).
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

#ifndef BF_VERSION
#define BF_VERSION "unknown"
#endif

const char *bf_progname = "bf";

int
bf_err_set(struct bf_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
bf_err_clear(struct bf_err *e)
{
	if (e == NULL)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

void
bf_setprogname(const char *argv0)
{
	const char *p;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	p = strrchr(argv0, '/');
	p = p != NULL ? p + 1 : argv0;
	if (*p != '\0')
		bf_progname = p;
}

/* bf_warn_at with a va_list. */
static void
vwarn_at(const char *file, long line, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", bf_progname);
	if (file != NULL && line > 0)
		fprintf(stderr, "%s:%ld: ", file, line);
	else if (file != NULL)
		fprintf(stderr, "%s: ", file);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
bf_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_at(NULL, 0, fmt, ap);
	va_end(ap);
}

void
bf_warn_at(const char *file, long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_at(file, line, fmt, ap);
	va_end(ap);
}

int
bf_err_print(const struct bf_err *e)
{
	if (e == NULL) {
		bf_warn("unknown error");
		return BF_EXIT_FAILED;
	}
	bf_warn("%s", e->msg[0] != '\0' ? e->msg : "unknown error");
	return e->code != 0 ? e->code : BF_EXIT_FAILED;
}

void
bf_print_version(void)
{
	printf("%s %s\n", bf_progname, BF_VERSION);
}

void
bf_stdout_init(void)
{
	static char buf[1 << 17];
	struct stat st;

	if (isatty(STDOUT_FILENO))
		return;
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
#ifdef F_SETPIPE_SZ
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20);
#else
	(void)st;
#endif
}

int
bf_close_stdout(void)
{
	int bad, err = 0;

	bad = fflush(stdout) != 0;
	if (bad)
		err = errno;
	if (ferror(stdout) && !bad) {
		bad = 1;
		err = EIO;
	}
	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		err = errno;
	}
	if (bad) {
		fprintf(stderr, "%s: write error on standard output: %s\n",
		    bf_progname, strerror(err != 0 ? err : EIO));
		return BF_EXIT_IO;
	}
	return 0;
}
