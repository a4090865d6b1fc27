/*
 * test-retry.c: unit tests for retry.c (backoff, Retry-After, token bucket,
 * circuit breaker), driven by a fake clock and fixed random bits.
 */
#include <stdint.h>
#include <string.h>

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

int
main(void)
{
	test_ms_parse();
	test_backoff();
	test_retry_after();
	test_bucket();
	test_breaker();
	return done_testing();
}
