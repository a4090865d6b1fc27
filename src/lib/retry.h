/*
 * retry.h: the resilience logic of bf-fetch, as pure functions over plain
 * structs: exponential backoff with full jitter, Retry-After, a token-bucket
 * rate limit and a circuit breaker.
 *
 * Nothing here reads a clock, sleeps, takes a lock or draws a random number
 * by itself: callers pass the time (milliseconds of a monotonic clock, or
 * epoch seconds for HTTP dates) and the random bits, so every function can be
 * unit tested with a fake clock and a fixed random source. The structs are
 * not thread-safe; a caller that shares one between threads holds a lock
 * around each call (fetch.c does).
 */
#ifndef BF_RETRY_H
#define BF_RETRY_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC (the default clock of callers). */
int64_t bf_mono_ms(void);

/* Parses a duration with millisecond precision: an unsigned decimal number
 * with an optional fraction and a unit ms, s, m or h ("250ms", "1.5s",
 * "2s", "1m"), or sums of those ("1m30s"). A bare number means seconds.
 * Returns 0 with *ms >= 0, or -1. "0" and "0s" are accepted (zero). */
int bf_ms_parse(const char *s, int64_t *ms);
/* Writes ms as seconds with up to three decimals ("0.25s", "30s") into out
 * (at least 32 bytes). */
void bf_ms_format(int64_t ms, char *out, size_t outlen);

/* A small fast random source (xorshift64*); *state must not be 0.
 * bf_rand_seed returns a non-zero seed from the clock and the process. */
uint64_t bf_rand_next(uint64_t *state);
uint64_t bf_rand_seed(void);

/*
 * Backoff: retry k (1-based: the wait before the second attempt is retry 1)
 * waits a uniformly random time in [0, min(cap, base * 2^(k-1))] ("full
 * jitter"). retries is the number of retries after the first attempt, so a
 * request is tried at most retries + 1 times.
 */
struct bf_backoff {
	int64_t base_ms;
	int64_t cap_ms;
	int retries;
	int64_t max_retry_after_ms; /* a longer Retry-After is cut to this */
};
#define BF_BACKOFF_BASE_MS 200
#define BF_BACKOFF_CAP_MS 30000
#define BF_BACKOFF_RETRIES 4
#define BF_RETRY_AFTER_MAX_MS 300000

/* min(cap, base * 2^(retry-1)), without overflow; 0 for retry < 1. */
int64_t bf_backoff_ceiling(const struct bf_backoff *b, int retry);
/* The full-jitter delay for retry, rnd being 64 random bits. */
int64_t bf_backoff_delay(const struct bf_backoff *b, int retry, uint64_t rnd);
/* The wait before retry: the jittered delay, but at least retry_after_ms
 * (the server's Retry-After, -1 when none) cut to max_retry_after_ms. */
int64_t bf_retry_wait(const struct bf_backoff *b, int retry, uint64_t rnd,
    int64_t retry_after_ms);

/* Parses an HTTP Retry-After value v[0..n): delta-seconds ("120") or an
 * IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT"), taken relative to now
 * (epoch seconds). Returns milliseconds to wait (0 for a date in the past),
 * or -1 when the value is neither. */
int64_t bf_retry_after_parse(const char *v, size_t n, int64_t now);

/*
 * Token bucket: n tokens every per_ms milliseconds, holding at most burst
 * tokens; it starts full. Tokens are kept scaled by per_ms, so the
 * arithmetic is exact integers.
 */
struct bf_bucket {
	int64_t n, per_ms; /* the rate; n == 0 means no limit */
	int64_t burst;
	int64_t tokens;    /* times per_ms */
	int64_t last_ms;
	int started;
};
/* Parses a rate: "R", "R/s", "R/m", "R/h" or "R/DURATION" ("1/10s") with
 * R a non-negative integer; "0" means no limit. Returns 0 or -1. */
int bf_rate_parse(const char *s, int64_t *n, int64_t *per_ms);
void bf_bucket_init(struct bf_bucket *b, int64_t n, int64_t per_ms,
    int64_t burst);
/* Takes one token at now_ms: returns 0 when taken, else the milliseconds to
 * wait before a token will be there (the caller waits and calls again). */
int64_t bf_bucket_take(struct bf_bucket *b, int64_t now_ms);

/*
 * Circuit breaker: closed lets everything through and counts consecutive
 * failures; threshold of them open it. Open refuses everything until
 * cooldown_ms have passed; then it is half-open and lets exactly one probe
 * through (others are refused while the probe runs): the probe's success
 * closes it, its failure opens it again for another cool-down. threshold 0
 * disables the breaker (always closed).
 */
enum bf_breaker_state {
	BF_BREAKER_CLOSED = 0,
	BF_BREAKER_OPEN,
	BF_BREAKER_HALF_OPEN,
};
struct bf_breaker {
	int threshold;
	int64_t cooldown_ms;
	int state;        /* enum bf_breaker_state */
	int fails;        /* consecutive failures */
	int64_t opened_ms;
	int probing;      /* half-open: a probe is out */
	long opened;      /* times it opened (for reports) */
};
void bf_breaker_init(struct bf_breaker *b, int threshold, int64_t cooldown_ms);
/* 1 when a request may go at now_ms (moving open to half-open once the
 * cool-down is over and handing out the one probe), 0 when refused. */
int bf_breaker_allow(struct bf_breaker *b, int64_t now_ms);
/* Reports the outcome of an allowed request. Both return the new state when
 * the call changed it, else -1 (for logging transitions). */
int bf_breaker_success(struct bf_breaker *b);
int bf_breaker_failure(struct bf_breaker *b, int64_t now_ms);
/* Milliseconds until an open breaker lets a probe through (0 if not open). */
int64_t bf_breaker_wait(const struct bf_breaker *b, int64_t now_ms);
const char *bf_breaker_state_name(int state);

#endif
