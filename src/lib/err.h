/*
 * err.h: exit codes and error reporting, shared by every bf program.
 *
 * Library code never exits and never prints: it fills a struct bf_err and
 * returns -1. Only main() prints (bf_err_print) and picks the exit status.
 * Messages follow one form: "bf-validate: <stdin>:42: bad timestamp 'x'":
 * program name, position when there is one, lowercase, error first, subject
 * quoted.
 */
#ifndef BF_ERR_H
#define BF_ERR_H

#include <stdarg.h>

/* The exit-code table of bf(7), the same for every program. */
enum bf_exit {
	BF_EXIT_OK = 0,          /* every window ok (DLQ records are normal) */
	BF_EXIT_FAILED = 1,      /* some windows failed or were not committed */
	BF_EXIT_USAGE = 2,       /* usage or configuration error */
	BF_EXIT_VERIFY = 3,      /* verification failed: ledger tampered */
	BF_EXIT_QUOTA = 4,       /* a quota exceeded */
	BF_EXIT_UNAVAILABLE = 69, /* a source or the warehouse unavailable */
	BF_EXIT_IO = 74,         /* an I/O error */
	BF_EXIT_TEMPFAIL = 75,   /* stopped early on purpose: run again later */
};

/* An error as library code reports it: the exit code it implies and the
 * message without program name. Owned by the caller, usually on the stack. */
struct bf_err {
	int code;       /* an enum bf_exit value; 0 when no error */
	char msg[1024];
};

/* Sets e (if not NULL) to code and the formatted message; returns -1 so that
 * library code can write "return bf_err_set(e, ...);". */
int bf_err_set(struct bf_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bf_err_clear(struct bf_err *e);

/* The program name used in messages; set once by main() from argv[0]
 * (the part after the last slash). main() then sets argv[0] to it, so that
 * getopt's own messages name the program the same way however it was
 * started ("bf-window: unrecognized option", not "./bin/bf-window: ..."). */
extern const char *bf_progname;
void bf_setprogname(const char *argv0);

/* "prog: msg\n" on stderr. */
void bf_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: file:line: msg\n" on stderr; line <= 0 leaves it out. */
void bf_warn_at(const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints e as "prog: msg\n" and returns e->code (BF_EXIT_FAILED if 0). */
int bf_err_print(const struct bf_err *e);

/* Prints "prog VERSION\n" to stdout (for --version). */
void bf_print_version(void);

/* Readies stdout for a stream of lines: a large stdio buffer (fewer
 * write(2) calls) and, when stdout is a pipe, a larger pipe (F_SETPIPE_SZ,
 * up to 1 MiB, where the system allows), so that the stages of a pipeline
 * switch less often. Call first in main() of a filter; failures are
 * ignored (the defaults still work). */
void bf_stdout_init(void);

/* Flushes and closes stdout and checks for any earlier write error; on
 * failure prints a message and returns BF_EXIT_IO, else 0. Call at the end of
 * main(): in a pipeline a lost write must be a non-zero exit. */
int bf_close_stdout(void);

#endif
