/*
 * test-retry.c: unit tests for retry.c (backoff, Retry-After, token bucket,
 * circuit breaker), driven by a fake clock and fixed random bits; and for
 * budget.c, the same bucket and breaker shared through a budget directory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "budget.h"
#include "hash.h"
#include "retry.h"
#include "tap.h"

static void
test_ms_parse(void)
{
	int64_t ms;
	char buf[32];

	ok(bf_ms_parse("250ms", &ms) == 0 && ms == 250, "250ms");
	ok(bf_ms_parse("1.5s", &ms) == 0 && ms == 1500, "1.5s");
	ok(bf_ms_parse("2", &ms) == 0 && ms == 2000, "bare number is seconds");
	ok(bf_ms_parse("1m30s", &ms) == 0 && ms == 90000, "1m30s");
	ok(bf_ms_parse("1h", &ms) == 0 && ms == 3600000, "1h");
	ok(bf_ms_parse("0", &ms) == 0 && ms == 0, "zero");
	ok(bf_ms_parse("", &ms) < 0, "empty refused");
	ok(bf_ms_parse("5x", &ms) < 0, "unknown unit refused");
	ok(bf_ms_parse("1s2", &ms) < 0, "trailing bare number refused");
	ok(bf_ms_parse("-1s", &ms) < 0, "negative refused");
	ok(bf_ms_parse("99999999999999999999s", &ms) < 0, "overflow refused");
	bf_ms_format(250, buf, sizeof(buf));
	is_str(buf, "0.25s", "format 250ms");
	bf_ms_format(30000, buf, sizeof(buf));
	is_str(buf, "30s", "format 30s");
	bf_ms_format(1001, buf, sizeof(buf));
	is_str(buf, "1.001s", "format 1001ms");
}

static void
test_backoff(void)
{
	struct bf_backoff b = { 100, 1000, 5, 5000 };
	uint64_t st = 42;
	int64_t d, max;
	int i, k, grew;

	is_int(bf_backoff_ceiling(&b, 0), 0, "no wait before the first try");
	is_int(bf_backoff_ceiling(&b, 1), 100, "retry 1 ceiling is base");
	is_int(bf_backoff_ceiling(&b, 2), 200, "retry 2 doubles");
	is_int(bf_backoff_ceiling(&b, 4), 800, "retry 4");
	is_int(bf_backoff_ceiling(&b, 5), 1000, "retry 5 hits the cap");
	is_int(bf_backoff_ceiling(&b, 200), 1000, "no overflow far out");
	is_int(bf_backoff_delay(&b, 3, 0), 0, "jitter floor is 0");
	is_int(bf_backoff_delay(&b, 3, 400), 400, "jitter ceiling inclusive");
	is_int(bf_backoff_delay(&b, 3, 401), 0, "jitter wraps modulo");
	/* Full jitter: over many draws every delay is within [0, ceiling],
	 * and the largest seen grows with the retry number. */
	grew = 1;
	for (k = 1, max = -1; k <= 4; k++) {
		int64_t m = 0;

		for (i = 0; i < 2000; i++) {
			d = bf_backoff_delay(&b, k, bf_rand_next(&st));
			if (d < 0 || d > bf_backoff_ceiling(&b, k))
				grew = 0;
			if (d > m)
				m = d;
		}
		if (m <= max)
			grew = 0;
		max = m;
	}
	ok(grew, "jittered delays stay in range and their maximum grows");
	is_int(bf_retry_wait(&b, 1, 0, 3000), 3000,
	    "Retry-After longer than the jitter wins");
	is_int(bf_retry_wait(&b, 1, 50, -1), 50, "no Retry-After: jitter");
	is_int(bf_retry_wait(&b, 1, 0, 999999), 5000,
	    "Retry-After cut to the maximum");
}

static void
test_retry_after(void)
{
	int64_t now = 1445412480; /* 2015-10-21T07:28:00Z */

	is_int(bf_retry_after_parse("120", 3, now), 120000, "delta seconds");
	is_int(bf_retry_after_parse(" 0 \r\n", 5, now), 0, "zero, spaces");
	is_int(bf_retry_after_parse("Wed, 21 Oct 2015 07:28:05 GMT", 29, now),
	    5000, "IMF-fixdate in the future");
	is_int(bf_retry_after_parse("Wed, 21 Oct 2015 07:27:00 GMT", 29, now),
	    0, "date in the past");
	is_int(bf_retry_after_parse("soon", 4, now), -1, "garbage");
	is_int(bf_retry_after_parse("-5", 2, now), -1, "negative");
	is_int(bf_retry_after_parse("Wed, 32 Oct 2015 07:28:05 GMT", 29, now),
	    -1, "bad day");
	is_int(bf_retry_after_parse("", 0, now), -1, "empty");
}

static void
test_bucket(void)
{
	struct bf_bucket b;
	int64_t n, per, t, w;
	int i, taken;

	ok(bf_rate_parse("10/s", &n, &per) == 0 && n == 10 && per == 1000,
	    "10/s");
	ok(bf_rate_parse("5", &n, &per) == 0 && n == 5 && per == 1000, "5");
	ok(bf_rate_parse("600/m", &n, &per) == 0 && n == 600 && per == 60000,
	    "600/m");
	ok(bf_rate_parse("1/10s", &n, &per) == 0 && n == 1 && per == 10000,
	    "1/10s");
	ok(bf_rate_parse("0", &n, &per) == 0 && n == 0, "0 is unlimited");
	ok(bf_rate_parse("ten", &n, &per) < 0, "words refused");
	ok(bf_rate_parse("10/x", &n, &per) < 0, "bad unit refused");
	ok(bf_rate_parse("-1", &n, &per) < 0, "negative refused");

	bf_bucket_init(&b, 10, 1000, 1);
	is_int(bf_bucket_take(&b, 5000), 0, "first token at once");
	is_int(bf_bucket_take(&b, 5000), 100, "next one in 100 ms");
	is_int(bf_bucket_take(&b, 5040), 60, "40 ms later: 60 ms left");
	is_int(bf_bucket_take(&b, 5100), 0, "at 100 ms it is there");
	/* Over 10 simulated seconds, taking whenever allowed, the bucket
	 * hands out 100 tokens plus the one it started with. */
	bf_bucket_init(&b, 10, 1000, 1);
	for (t = 0, taken = 0; t <= 10000;) {
		w = bf_bucket_take(&b, t);
		if (w == 0)
			taken++;
		else
			t += w;
	}
	is_int(taken, 101, "10/s over 10 s: 101 tokens");
	bf_bucket_init(&b, 2, 1000, 4);
	for (i = 0, taken = 0; i < 10; i++)
		if (bf_bucket_take(&b, 0) == 0)
			taken++;
	is_int(taken, 4, "a burst of 4 at once");
	bf_bucket_init(&b, 0, 1000, 1);
	for (i = 0, taken = 0; i < 1000; i++)
		if (bf_bucket_take(&b, 0) == 0)
			taken++;
	is_int(taken, 1000, "no limit");
}

static void
test_breaker(void)
{
	struct bf_breaker b;
	int i;

	bf_breaker_init(&b, 3, 1000);
	ok(bf_breaker_allow(&b, 0), "closed lets through");
	is_int(bf_breaker_failure(&b, 10), -1, "failure 1: still closed");
	is_int(bf_breaker_failure(&b, 20), -1, "failure 2: still closed");
	is_int(bf_breaker_success(&b), -1, "a success resets the count");
	bf_breaker_failure(&b, 30);
	bf_breaker_failure(&b, 40);
	is_int(b.state, BF_BREAKER_CLOSED, "two after the reset: closed");
	is_int(bf_breaker_failure(&b, 50), BF_BREAKER_OPEN,
	    "third consecutive failure opens");
	ok(!bf_breaker_allow(&b, 60), "open refuses");
	is_int(bf_breaker_wait(&b, 60), 990, "wait until the cool-down ends");
	ok(!bf_breaker_allow(&b, 1049), "still open just before cool-down");
	ok(bf_breaker_allow(&b, 1050), "half-open lets one probe");
	is_int(b.state, BF_BREAKER_HALF_OPEN, "state half-open");
	ok(!bf_breaker_allow(&b, 1051), "a second request waits for probe");
	is_int(bf_breaker_failure(&b, 1100), BF_BREAKER_OPEN,
	    "failed probe opens again");
	ok(!bf_breaker_allow(&b, 2000), "open for a new cool-down");
	ok(bf_breaker_allow(&b, 2100), "half-open again");
	is_int(bf_breaker_success(&b), BF_BREAKER_CLOSED,
	    "successful probe closes");
	for (i = 0; i < 5; i++)
		ok(bf_breaker_allow(&b, 2200 + i), "closed: request %d", i);
	is_int(b.opened, 2, "opened twice");
	bf_breaker_init(&b, 0, 1000);
	for (i = 0; i < 100; i++)
		bf_breaker_failure(&b, i);
	ok(bf_breaker_allow(&b, 100), "threshold 0 never opens");
	is_str(bf_breaker_state_name(BF_BREAKER_HALF_OPEN), "half-open",
	    "state name");
}

/* One process of the shared-budget tests: its own structs, one handle. */
struct proc {
	struct bf_budget *b;
	struct bf_bucket bk;
	struct bf_breaker br;
	int64_t now, r;
	int op; /* 0 take, 1 allow, 2 failure */
};

static void
step(struct bf_budget_state *st, void *ctx)
{
	struct proc *p = ctx;

	bf_budget_get(st, &p->bk, &p->br);
	if (p->op == 0)
		p->r = bf_bucket_take(&p->bk, p->now);
	else if (p->op == 1)
		p->r = bf_breaker_allow(&p->br, p->now);
	else
		p->r = bf_breaker_failure(&p->br, p->now);
	bf_budget_put(st, &p->bk, &p->br);
}

static int64_t
run(struct proc *p, int op, int64_t now)
{
	struct bf_err e;

	p->op = op;
	p->now = now;
	p->r = -99;
	if (bf_budget_update(p->b, step, p, &e) < 0)
		return -100;
	return p->r;
}

static void
proc_open(struct proc *p, const char *dir)
{
	struct bf_err e;

	memset(p, 0, sizeof(*p));
	p->b = bf_budget_open(dir, "prometheus:http://h:9090/x", &e);
	bf_bucket_init(&p->bk, 1, 1000, 1); /* 1/s, burst 1 */
	bf_breaker_init(&p->br, 2, 5000);   /* 2 failures, 5 s */
}

/* An id too long for a file name: cut, with its hash. */
static void
long_id(const char *dir)
{
	char id[400], path[600];
	struct bf_budget *b;
	struct bf_err e;
	struct stat sb;

	memset(id, '/', sizeof(id) - 1); /* each '/' is 3 bytes: %2F */
	id[sizeof(id) - 1] = '\0';
	b = bf_budget_open(dir, id, &e);
	ok(b != NULL, "a 399-byte id opens");
	bf_budget_close(b);
	/* 183 bytes of "%2F" cut to whole escapes: 61 of them, then '~' */
	snprintf(path, sizeof(path), "%s/", dir);
	while (strlen(path) < strlen(dir) + 1 + 183)
		strcat(path, "%2F");
	snprintf(path + strlen(path), sizeof(path) - strlen(path),
	    "~%016llx", (unsigned long long)bf_fnv1a64(id, strlen(id)));
	ok(stat(path, &sb) == 0 && strlen(strrchr(path, '/') + 1) <= 200,
	    "its file: the first escapes, '~' and the hash");
	unlink(path);
}

static void
test_shared(void)
{
	char dir[] = "/tmp/bf-test-budget.XXXXXX", path[256];
	struct proc a, b, c;
	struct bf_budget_state st, st2;
	struct bf_buf buf = BF_BUF_INIT;
	struct bf_err e;
	struct stat sb;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	proc_open(&a, dir);
	proc_open(&b, dir);
	ok(a.b != NULL && b.b != NULL, "two handles on one budget directory");
	if (a.b == NULL || b.b == NULL)
		return;
	/* 1/s, burst 1: a takes the one token; b, a second process, finds
	 * none left and waits for a's refill, not for a bucket of its own. */
	is_int(run(&a, 0, 100000), 0, "a: the bucket starts full");
	is_int(run(&b, 0, 100010), 990, "b: waits 990 ms for the shared token");
	is_int(run(&b, 0, 101000), 0, "b: takes it 1 s after a");
	is_int(run(&a, 0, 101500), 500, "a: waits 500 ms more");
	is_int(run(&a, 0, 102000), 0, "a: takes it at 2 s");
	/* Breaker: a's two failures open it for b and for c, a restart. */
	is_int(run(&a, 2, 103000), -1, "a: one failure");
	is_int(run(&b, 2, 103100), BF_BREAKER_OPEN, "b: the second opens it");
	proc_open(&c, dir);
	is_int(run(&c, 1, 104000), 0, "c, started later: refused in the cool-down");
	is_int(run(&c, 1, 108099), 0, "c: refused 1 ms before its end");
	is_int(run(&c, 1, 108100), 1, "c: the probe at its end");
	is_int(run(&a, 1, 108200), 0, "a: refused while c probes");
	snprintf(path, sizeof(path), "%s/prometheus%%3Ahttp%%3A%%2F%%2Fh%%3A9090"
	    "%%2Fx", dir);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "the file is the encoded id, 0600");
	bf_budget_close(a.b);
	bf_budget_close(b.b);
	bf_budget_close(c.b);
	unlink(path);
	long_id(dir);
	rmdir(dir);

	ok(bf_budget_open("/nonexistent/dir/x", "s", &e) == NULL &&
	    e.code == 69, "a directory that cannot be made: 69");
	ok(bf_budget_open("postgresql://u:pw@h/db", "s", &e) == NULL &&
	    e.code == 2 && strstr(e.msg, "pw") == NULL,
	    "a password in the target: 2, not echoed");

	memset(&st, 0, sizeof(st));
	st.tokens = 750;
	st.last_ms = 1765000000123;
	st.bstate = BF_BREAKER_OPEN;
	st.hold_ms = -1;
	snprintf(st.reason, sizeof(st.reason), "http 503\tbusy");
	bf_budget_format(&st, &buf);
	is_str(bf_buf_str(&buf), "bf-budget 1 750 1765000000123 0 1 0 0 0 0 0 "
	    "-1\thttp 503 busy", "state as text");
	ok(bf_budget_parse(bf_buf_str(&buf), &st2) == 0 && st2.tokens == 750 &&
	    st2.last_ms == 1765000000123 && st2.hold_ms == -1 &&
	    strcmp(st2.reason, "http 503 busy") == 0, "and back");
	ok(bf_budget_parse("bf-budget 1 750 1\tx", &st2) < 0,
	    "a short line refused");
	ok(bf_budget_parse("bf-budget 1 1 2 3 4 5 6 7 8 9 x\t", &st2) < 0,
	    "a bad number refused");
	bf_buf_free(&buf);

	bf_budget_default_id("prometheus",
	    "https://user:p@ss@prom.example:9090/api?token=s#f", &buf);
	is_str(bf_buf_str(&buf), "prometheus:https://prom.example:9090/api",
	    "URL id without userinfo, query or fragment");
	bf_buf_reset(&buf);
	bf_budget_default_id("postgres",
	    "host=/run/pg port=5433 dbname=tel user=bf sslmode=require", &buf);
	is_str(bf_buf_str(&buf), "postgres:host=/run/pg port=5433 dbname=tel",
	    "conninfo id: host, port, dbname");
	bf_buf_reset(&buf);
	bf_budget_default_id("postgres", "postgresql://bf@db1:5432/tel?"
	    "application_name=x", &buf);
	is_str(bf_buf_str(&buf), "postgres:host=db1 port=5432 dbname=tel",
	    "URI id: host, port, dbname");
	bf_buf_free(&buf);
}

int
main(void)
{
	test_ms_parse();
	test_backoff();
	test_retry_after();
	test_bucket();
	test_breaker();
	test_shared();
	return done_testing();
}
