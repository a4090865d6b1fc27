/*
 * test-err.c: unit tests for err.c.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "tap.h"

/* Runs fn with stderr sent to a temporary file; returns what it wrote. */
static char *
capture_stderr(void (*fn)(void *), void *arg)
{
	static char out[4096];
	FILE *tmp = tmpfile();
	int saved, n;

	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = (int)fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}

static void
do_warn(void *arg)
{
	bf_warn("bad thing '%s'", (const char *)arg);
}

static void
do_warn_at(void *arg)
{
	bf_warn_at("<stdin>", 42, "bad timestamp '%s'", (const char *)arg);
}

static void
do_warn_at0(void *arg)
{
	bf_warn_at("rates.csv", 0, "cannot open: %s", (const char *)arg);
}

static int print_rc;

static void
do_print(void *arg)
{
	print_rc = bf_err_print(arg);
}

/* In a child: stdout to path, write something, return bf_close_stdout(). */
static int
close_stdout_status(const char *path)
{
	pid_t pid;
	int st, fd;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fd = open(path, O_WRONLY);
		if (fd < 0)
			_exit(100);
		dup2(fd, 1);
		close(fd);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		printf("hello\n");
		_exit(bf_close_stdout());
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int
main(void)
{
	struct bf_err e;
	const char *s;

	is_int(BF_EXIT_OK, 0, "exit ok is 0");
	is_int(BF_EXIT_FAILED, 1, "exit failed is 1");
	is_int(BF_EXIT_USAGE, 2, "exit usage is 2");
	is_int(BF_EXIT_VERIFY, 3, "exit verify is 3");
	is_int(BF_EXIT_QUOTA, 4, "exit quota is 4");
	is_int(BF_EXIT_UNAVAILABLE, 69, "exit unavailable is 69");
	is_int(BF_EXIT_IO, 74, "exit io is 74");
	is_int(BF_EXIT_TEMPFAIL, 75, "exit tempfail is 75");

	is_int(bf_err_set(&e, BF_EXIT_USAGE, "bad size '%s'", "0h"), -1,
	    "bf_err_set returns -1");
	is_int(e.code, BF_EXIT_USAGE, "bf_err_set sets the code");
	is_str(e.msg, "bad size '0h'", "bf_err_set formats the message");
	is_int(bf_err_set(NULL, 2, "x"), -1, "bf_err_set accepts NULL");
	bf_err_clear(&e);
	is_int(e.code, 0, "bf_err_clear resets the code");
	is_str(e.msg, "", "bf_err_clear empties the message");

	{
		char big[3000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		bf_err_set(&e, 74, "long %s", big);
		is_int(strlen(e.msg), sizeof(e.msg) - 1,
		    "long messages are truncated, not overflowed");
	}

	is_str(bf_progname, "bf", "default program name");
	bf_setprogname("/usr/local/bin/bf-validate");
	is_str(bf_progname, "bf-validate", "progname after the last slash");
	bf_setprogname("bf-load");
	is_str(bf_progname, "bf-load", "progname without a slash");
	bf_setprogname("");
	is_str(bf_progname, "bf-load", "empty argv0 keeps the name");

	s = capture_stderr(do_warn, "x");
	is_str(s, "bf-load: bad thing 'x'\n", "bf_warn format");
	s = capture_stderr(do_warn_at, "y");
	is_str(s, "bf-load: <stdin>:42: bad timestamp 'y'\n",
	    "bf_warn_at format with line");
	s = capture_stderr(do_warn_at0, "z");
	is_str(s, "bf-load: rates.csv: cannot open: z\n",
	    "bf_warn_at without line");

	bf_err_set(&e, BF_EXIT_UNAVAILABLE, "source down");
	s = capture_stderr(do_print, &e);
	is_str(s, "bf-load: source down\n", "bf_err_print message");
	is_int(print_rc, 69, "bf_err_print returns the code");
	bf_err_set(&e, 0, "no code");
	capture_stderr(do_print, &e);
	is_int(print_rc, BF_EXIT_FAILED, "bf_err_print of code 0 returns 1");

	is_int(close_stdout_status("/dev/null"), 0,
	    "bf_close_stdout: 0 on a good stream");
	if (access("/dev/full", W_OK) == 0)
		is_int(close_stdout_status("/dev/full"), BF_EXIT_IO,
		    "bf_close_stdout: 74 on a lost write (/dev/full)");
	else
		ok(1, "# SKIP no /dev/full");
	return done_testing();
}
