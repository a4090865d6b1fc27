/*
 * retry.c: backoff, Retry-After, token bucket, circuit breaker (retry.h).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "retry.h"
#include "timeutil.h"

int64_t
bf_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parses one "NUMBER[.FRACTION]" at *pp as thousandths. */
static int
parse_milli(const char **pp, int64_t *out)
{
	const char *p = *pp;
	int64_t whole = 0, frac = 0;
	int nd = 0, nf = 0;

	while (isdigit((unsigned char)*p)) {
		if (whole > INT64_MAX / 10 / 1000 / 3600)
			return -1;
		whole = whole * 10 + (*p++ - '0');
		nd++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (nf < 3) {
				frac = frac * 10 + (*p - '0');
				nf++;
			}
			p++;
			nd++;
		}
	}
	if (nd == 0)
		return -1;
	while (nf < 3) {
		frac *= 10;
		nf++;
	}
	*out = whole * 1000 + frac;
	*pp = p;
	return 0;
}

int
bf_ms_parse(const char *s, int64_t *ms)
{
	const char *p = s;
	int64_t total = 0, v, mul;
	int terms = 0;

	if (s == NULL || *s == '\0')
		return -1;
	while (*p != '\0') {
		if (parse_milli(&p, &v) < 0)
			return -1;
		if (strncmp(p, "ms", 2) == 0) {
			mul = 1;
			p += 2;
			v /= 1000; /* v was thousandths of a millisecond */
		} else if (*p == 's') {
			mul = 1;
			p++;
		} else if (*p == 'm') {
			mul = 60;
			p++;
		} else if (*p == 'h') {
			mul = 3600;
			p++;
		} else if (*p == '\0' && terms == 0) {
			mul = 1;
		} else {
			return -1;
		}
		if (v > (INT64_MAX / 4) / mul)
			return -1;
		total += v * mul;
		terms++;
	}
	*ms = total;
	return 0;
}

void
bf_ms_format(int64_t ms, char *out, size_t outlen)
{
	int64_t s = ms / 1000, f = ms % 1000;

	if (f == 0)
		snprintf(out, outlen, "%llds", (long long)s);
	else if (f % 100 == 0)
		snprintf(out, outlen, "%lld.%01llds", (long long)s,
		    (long long)(f / 100));
	else if (f % 10 == 0)
		snprintf(out, outlen, "%lld.%02llds", (long long)s,
		    (long long)(f / 10));
	else
		snprintf(out, outlen, "%lld.%03llds", (long long)s,
		    (long long)f);
}

uint64_t
bf_rand_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

uint64_t
bf_rand_seed(void)
{
	struct timespec ts;
	uint64_t s;

	clock_gettime(CLOCK_REALTIME, &ts);
	s = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ULL ^
	    (uint64_t)ts.tv_sec << 20 ^ (uint64_t)getpid();
	return s != 0 ? s : 0x9E3779B97F4A7C15ULL;
}

int64_t
bf_backoff_ceiling(const struct bf_backoff *b, int retry)
{
	int64_t c = b->base_ms;
	int i;

	if (retry < 1 || c <= 0)
		return 0;
	for (i = 1; i < retry && c < b->cap_ms; i++)
		c = c > INT64_MAX / 2 ? INT64_MAX : c * 2;
	return c < b->cap_ms ? c : b->cap_ms;
}

int64_t
bf_backoff_delay(const struct bf_backoff *b, int retry, uint64_t rnd)
{
	int64_t c = bf_backoff_ceiling(b, retry);

	if (c <= 0)
		return 0;
	return (int64_t)(rnd % ((uint64_t)c + 1));
}

int64_t
bf_retry_wait(const struct bf_backoff *b, int retry, uint64_t rnd,
    int64_t retry_after_ms)
{
	int64_t d = bf_backoff_delay(b, retry, rnd);

	if (retry_after_ms >= 0) {
		if (b->max_retry_after_ms > 0 &&
		    retry_after_ms > b->max_retry_after_ms)
			retry_after_ms = b->max_retry_after_ms;
		if (retry_after_ms > d)
			d = retry_after_ms;
	}
	return d;
}

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

int64_t
bf_retry_after_parse(const char *v, size_t n, int64_t now)
{
	char s[64], mon[4], wd[4], gmt[4];
	int d, y, hh, mm, ss, m, k, used = 0;
	int64_t secs = 0, t;
	size_t i;

	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' ||
	    v[n - 1] == '\r' || v[n - 1] == '\n'))
		n--;
	if (n == 0 || n >= sizeof(s))
		return -1;
	memcpy(s, v, n);
	s[n] = '\0';
	for (i = 0; i < n && isdigit((unsigned char)s[i]); i++) {
		if (secs > INT64_MAX / 10000)
			return -1;
		secs = secs * 10 + (s[i] - '0');
	}
	if (i == n)
		return secs * 1000;
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (sscanf(s, "%3s, %2d %3s %4d %2d:%2d:%2d %3s%n", wd, &d, mon, &y,
	    &hh, &mm, &ss, gmt, &used) != 8 || (size_t)used != n ||
	    strcmp(gmt, "GMT") != 0)
		return -1;
	for (m = -1, k = 0; k < 12; k++)
		if (strcmp(mon, months[k]) == 0)
			m = k + 1;
	if (m < 0 || d < 1 || d > bf_days_in_month(y, m) || hh > 23 ||
	    mm > 59 || ss > 60)
		return -1;
	t = bf_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
	return t > now ? (t - now) * 1000 : 0;
}

int
bf_rate_parse(const char *s, int64_t *n, int64_t *per_ms)
{
	const char *p = s;
	int64_t r = 0;

	if (s == NULL || !isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		if (r > INT64_MAX / 10 / 1000)
			return -1;
		r = r * 10 + (*p++ - '0');
	}
	*n = r;
	if (*p == '\0' || strcmp(p, "/s") == 0)
		*per_ms = 1000;
	else if (strcmp(p, "/m") == 0)
		*per_ms = 60000;
	else if (strcmp(p, "/h") == 0)
		*per_ms = 3600000;
	else if (*p == '/' && bf_ms_parse(p + 1, per_ms) == 0 &&
	    *per_ms > 0 && isdigit((unsigned char)p[1]))
		;
	else
		return -1;
	return 0;
}

void
bf_bucket_init(struct bf_bucket *b, int64_t n, int64_t per_ms, int64_t burst)
{
	memset(b, 0, sizeof(*b));
	b->n = n;
	b->per_ms = per_ms > 0 ? per_ms : 1000;
	b->burst = burst > 0 ? burst : 1;
}

int64_t
bf_bucket_take(struct bf_bucket *b, int64_t now_ms)
{
	int64_t full, need;

	if (b->n <= 0)
		return 0;
	full = b->burst * b->per_ms;
	if (!b->started) {
		b->started = 1;
		b->tokens = full;
		b->last_ms = now_ms;
	}
	if (now_ms > b->last_ms) {
		int64_t el = now_ms - b->last_ms;

		if (el > full / b->n + 1)
			b->tokens = full;
		else
			b->tokens += el * b->n;
		if (b->tokens > full)
			b->tokens = full;
		b->last_ms = now_ms;
	}
	if (b->tokens >= b->per_ms) {
		b->tokens -= b->per_ms;
		return 0;
	}
	need = b->per_ms - b->tokens;
	return (need + b->n - 1) / b->n;
}

void
bf_breaker_init(struct bf_breaker *b, int threshold, int64_t cooldown_ms)
{
	memset(b, 0, sizeof(*b));
	b->threshold = threshold;
	b->cooldown_ms = cooldown_ms;
	b->state = BF_BREAKER_CLOSED;
}

int
bf_breaker_allow(struct bf_breaker *b, int64_t now_ms)
{
	switch (b->state) {
	case BF_BREAKER_CLOSED:
		return 1;
	case BF_BREAKER_OPEN:
		if (now_ms - b->opened_ms < b->cooldown_ms)
			return 0;
		b->state = BF_BREAKER_HALF_OPEN;
		b->probing = 1;
		return 1;
	default:
		if (b->probing)
			return 0;
		b->probing = 1;
		return 1;
	}
}

int
bf_breaker_success(struct bf_breaker *b)
{
	int was = b->state;

	b->fails = 0;
	b->probing = 0;
	b->state = BF_BREAKER_CLOSED;
	return was != BF_BREAKER_CLOSED ? BF_BREAKER_CLOSED : -1;
}

int
bf_breaker_failure(struct bf_breaker *b, int64_t now_ms)
{
	if (b->threshold <= 0)
		return -1;
	switch (b->state) {
	case BF_BREAKER_CLOSED:
		if (++b->fails < b->threshold)
			return -1;
		break;
	case BF_BREAKER_OPEN:
		b->fails++;
		return -1;
	default:
		b->fails++;
		break;
	}
	b->state = BF_BREAKER_OPEN;
	b->opened_ms = now_ms;
	b->probing = 0;
	b->opened++;
	return BF_BREAKER_OPEN;
}

int64_t
bf_breaker_wait(const struct bf_breaker *b, int64_t now_ms)
{
	int64_t left;

	if (b->state != BF_BREAKER_OPEN)
		return 0;
	left = b->opened_ms + b->cooldown_ms - now_ms;
	return left > 0 ? left : 0;
}

const char *
bf_breaker_state_name(int state)
{
	switch (state) {
	case BF_BREAKER_OPEN:
		return "open";
	case BF_BREAKER_HALF_OPEN:
		return "half-open";
	default:
		return "closed";
	}
}
