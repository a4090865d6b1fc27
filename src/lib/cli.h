/*
 * cli.h: the command-line layer every bf program shares (git's
 * parse-options is the model, kept small): one usage() shape, -h/--help
 * and -V/--version everywhere, option values parsed with one message
 * style, and one way to refuse options that do not go together.
 *
 * Messages (to stderr, prefixed with the program's name):
 *   bad --FLAG 'VALUE': expected WHAT        a value that does not parse
 *   --FLAG VALUE is required                 a required option missing
 *   --A and --B do not go together           options that exclude each other
 * Every parser returns 0, or -1 after printing its message: the caller
 * exits BF_EXIT_USAGE (bf_cli_fail does both).
 */
#ifndef BF_CLI_H
#define BF_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decimal.h"
#include "timeutil.h"

/* What every program states about itself: its synopsis, the lines after
 * "usage: " (continuation lines indented under the program's name). */
struct bf_cli {
	const char *synopsis;
	const char *options;  /* every option, for -h (NULL: the man page's) */
};

/* Sets the program's name from argv[0], for its messages and getopt's.
 * (A filter whose output is read as it comes keeps stdio's buffering; the
 * others call bf_stdout_init.) */
void bf_cli_start(int argc, char *argv[]);
/* Prints "usage: SYNOPSIS" to fp and exits with status: for -h (fp
 * stdout) with the options after it, for a mistake (stderr) with a line
 * that points at -h when there are options to see. */
_Noreturn void bf_cli_usage(const struct bf_cli *c, FILE *fp, int status);
/* -h/--help and -V/--version, for the getopt value ch: prints the usage
 * or the version and exits 0 (or 74 when stdout fails). Returns when ch
 * is neither. */
void bf_cli_common(const struct bf_cli *c, int ch);
/* An option getopt refused, or an argument left over: the usage to
 * stderr, exit 2. */
_Noreturn void bf_cli_fail(const struct bf_cli *c);
/* The option loop of every program: getopt_long over argv with
 * shortopts and longopts; -h and -V as bf_cli_common; an option of the
 * table strs (may be NULL) kept in ctx as bf_cli_str_set does; every
 * other option to set(ctx, ch, optarg), which returns 0, or -1 after its
 * message for a bad value, and calls bf_cli_fail for an option it does
 * not know (getopt's '?'). All options are read, so that -h after a bad
 * value still answers; then, when one was bad, exits BF_EXIT_USAGE. The
 * arguments left start at optind. */
struct option;
struct bf_cli_str;
void bf_cli_parse(const struct bf_cli *c, int argc, char *argv[],
    const char *shortopts, const struct option *longopts,
    const struct bf_cli_str *strs,
    int (*set)(void *ctx, int ch, const char *arg), void *ctx);
/* Refuses an argument left after the options ("unexpected argument"),
 * as bf_cli_fail. */
void bf_cli_noargs(const struct bf_cli *c, int argc, char *argv[]);

/* The options whose value is kept as it is (a file, a name, text parsed
 * later): the getopt value and where the value goes, as offsetof in the
 * caller's options struct of a const char * member. A table ends with
 * { 0, 0 }, as getopt's longopts do (no bf option is 0). */
struct bf_cli_str {
	int ch;
	size_t off;
};
/* When ch is one of the options of t, stores arg in that member of dst
 * and returns 1; else 0. */
int bf_cli_str_set(const struct bf_cli_str *t, void *dst, int ch,
    const char *arg);

/* Option values. flag is the option as the user knows it ("--settle"). */
/* A time: RFC 3339, a date or epoch seconds; whole seconds unless frac. */
int bf_cli_time(const char *flag, const char *arg, int frac, bf_time *t);
/* A duration (1h, 90m, 1d, 2w...): positive, or 0 too with zero_ok; at
 * most max seconds when max > 0. */
int bf_cli_duration(const char *flag, const char *arg, int zero_ok,
    int64_t max, int64_t *secs);
/* A duration to the millisecond (500ms, 30s, 5m): positive, or 0 too
 * with zero_ok. */
int bf_cli_ms(const char *flag, const char *arg, int zero_ok, int64_t *ms);
/* A byte count: digits and an optional K, M or G (binary multiples),
 * more than 0, at most 1 TiB. */
int bf_cli_size(const char *flag, const char *arg, size_t *bytes);
/* A whole number from lo to hi. */
int bf_cli_long(const char *flag, const char *arg, long lo, long hi,
    long *out);
/* A decimal from 0 to 1 (a ratio: a reject rate, a coverage). */
int bf_cli_ratio(const char *flag, const char *arg, bf_dec *out);
/* One of the words of choices (NULL-terminated): its index in *out. */
int bf_cli_choice(const char *flag, const char *arg,
    const char *const *choices, int *out);

/* Prints "--FLAG VALUE is required" when !given; returns 0 or -1. */
int bf_cli_required(const char *what, int given);
/* Prints "--A and --B do not go together" when both are given; 0 or -1. */
int bf_cli_exclusive(const char *a, int has_a, const char *b, int has_b);

#endif
