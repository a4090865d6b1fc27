/*
 * test-aggregate.c: unit tests of the aggregation engine (aggregate.h):
 * dedupe, each aggregate, the proportional split, and the engine on small
 * streams.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregate.h"
#include "tap.h"

#define T0 1767225600 /* 2026-01-01T00:00:00Z */

static bf_dec
D(const char *s)
{
	bf_dec d = { 0 };

	if (bf_dec_parse(s, strlen(s), &d) != BF_DEC_OK)
		fprintf(stderr, "# bad decimal '%s'\n", s);
	return d;
}

static const char *
F(bf_dec d)
{
	static char buf[8][BF_DEC_LEN];
	static int k;

	k = (k + 1) % 8;
	bf_dec_format(d, buf[k]);
	return buf[k];
}

/* Samples from "sec:value" pairs relative to T0. */
static size_t
mk(struct bf_sample *s, const char *spec)
{
	size_t n = 0;
	char *copy = strdup(spec), *tok, *save = NULL;

	for (tok = strtok_r(copy, " ", &save); tok;
	    tok = strtok_r(NULL, " ", &save)) {
		char *colon = strchr(tok, ':');
		char *dot;
		int32_t ns = 0;
		int k;

		*colon = '\0';
		s[n].sec = T0 + strtoll(tok, &dot, 10);
		/* The fraction's digits, padded to nanoseconds. */
		if (*dot == '.')
			dot++;
		for (k = 0; k < 9; k++) {
			ns *= 10;
			if (*dot >= '0' && *dot <= '9')
				ns += *dot++ - '0';
		}
		s[n].nsec = ns;
		s[n].v = D(colon + 1);
		n++;
	}
	free(copy);
	return n;
}

static const char *
agg(int fn, const char *spec, int64_t len)
{
	struct bf_sample s[64];
	size_t n = mk(s, spec);
	long d = 0, c = 0;
	bf_dec out;

	n = bf_samples_dedupe(s, n, &d, &c);
	if (bf_aggregate(fn, s, n, NULL, T0, T0 + len, &out) != BF_DEC_OK)
		return "error";
	return F(out);
}

static void
test_dedupe(void)
{
	struct bf_sample s[16];
	size_t n;
	long d = 0, c = 0;

	n = mk(s, "60:5 0:1 60:5 60:7 30:2 60:6 0:1.0");
	n = bf_samples_dedupe(s, n, &d, &c);
	is_int(n, 3, "dedupe keeps one sample per time");
	is_int(d, 2, "equal values at one time are duplicates");
	is_int(c, 2, "each other distinct value is a conflict");
	is_str(F(s[2].v), "7.000000000", "the greatest value wins a conflict");
	ok(s[0].sec == T0 && s[1].sec == T0 + 30 && s[2].sec == T0 + 60,
	    "dedupe sorts by time");
	n = mk(s, "0.5:1 0.25:2 0.5:1");
	d = c = 0;
	n = bf_samples_dedupe(s, n, &d, &c);
	ok(n == 2 && d == 1 && s[0].nsec == 250000000,
	    "fractions of seconds count");
	/* Already in order (no sort): the same runs and winners. */
	n = mk(s, "0:1 0:1.0 30:2 60:5 60:5 60:6 60:7");
	d = c = 0;
	n = bf_samples_dedupe(s, n, &d, &c);
	ok(n == 3 && d == 2 && c == 2 && s[1].sec == T0 + 30 &&
	    strcmp(F(s[2].v), "7.000000000") == 0,
	    "dedupe of samples already in order");
	/* In order but for the last one. */
	n = mk(s, "0:1 30:2 60:5 60:7 60:6 0:1");
	d = c = 0;
	n = bf_samples_dedupe(s, n, &d, &c);
	ok(n == 3 && d == 1 && c == 2 && s[0].sec == T0 &&
	    s[1].sec == T0 + 30 && strcmp(F(s[2].v), "7.000000000") == 0,
	    "dedupe of samples in order but the last");
}

static void
test_aggregates(void)
{
	const char *v = "0:4 60:1 120:9 180:3";

	is_str(agg(BF_AGG_COUNT, v, 240), "4.000000000", "count");
	is_str(agg(BF_AGG_MIN, v, 240), "1.000000000", "min");
	is_str(agg(BF_AGG_MAX, v, 240), "9.000000000", "max");
	is_str(agg(BF_AGG_SUM, v, 240), "17.000000000", "sum");
	is_str(agg(BF_AGG_AVG, v, 240), "4.250000000", "avg");
	is_str(agg(BF_AGG_LAST, "180:3 0:4 120:9", 240), "3.000000000",
	    "last is the latest, not the last read");
	is_str(agg(BF_AGG_AVG, "0:1 1:1 2:0", 3), "0.666666667",
	    "avg rounds half-even once");
	is_str(agg(BF_AGG_AVG, "0:0.000000001 1:0", 3), "0.000000000",
	    "avg: exact half rounds to even (0)");
	is_str(agg(BF_AGG_AVG, "0:0.000000003 1:0", 3), "0.000000002",
	    "avg: exact half rounds to even (2)");
	/* Nearest rank: k = ceil(0.95 n). */
	is_str(agg(BF_AGG_P95, "0:7", 10), "7.000000000", "p95 of one");
	is_str(agg(BF_AGG_P95,
	    "0:1 1:2 2:3 3:4 4:5 5:6 6:7 7:8 8:9 9:10 10:11 11:12 12:13 "
	    "13:14 14:15 15:16 16:17 17:18 18:19 19:20", 20),
	    "19.000000000", "p95 of 1..20 is the 19th");
	is_str(agg(BF_AGG_P95,
	    "0:21 1:2 2:3 3:4 4:5 5:6 6:7 7:8 8:9 9:10 10:11 11:12 12:13 "
	    "13:14 14:15 15:16 16:17 17:18 18:19 19:20 20:1", 21),
	    "20.000000000", "p95 of 21 values is the 20th: ceil(19.95)");
	is_str(agg(BF_AGG_P95, "0:5 1:1", 2), "5.000000000",
	    "p95 of two is the greater");
	/* Integral: 4*60 + 1*60 + 9*60 + 3*60 (to the window end). */
	is_str(agg(BF_AGG_INTEGRAL, v, 240), "1020.000000000", "integral");
	is_str(agg(BF_AGG_INTEGRAL, "100:2", 300), "400.000000000",
	    "integral: nothing before the first sample");
	is_str(agg(BF_AGG_INTEGRAL, "0.5:1 1.25:3", 2), "3.000000000",
	    "integral over fractions of seconds: 1*0.75 + 3*0.75");
	is_str(agg(BF_AGG_INTEGRAL, "0.5:1 1.2:3", 2), "3.100000000",
	    "integral over fractions of seconds: 1*0.7 + 3*0.8");
	is_str(agg(BF_AGG_INTEGRAL, "0.000000001:0.000000001", 1),
	    "0.000000001",
	    "integral: nanosecond parts summed and rounded once");
	/* Increase: +5, reset to 2 (counts 2), +3. */
	is_str(agg(BF_AGG_INCREASE, "0:10 60:15 120:2 180:5", 240),
	    "10.000000000", "increase with a counter reset");
	is_str(agg(BF_AGG_INCREASE, "0:10", 240), "0.000000000",
	    "increase of one sample is 0");
	is_str(agg(BF_AGG_SUM, "0:100000000000000000000000000000 "
	    "1:100000000000000000000000000000", 2), "error",
	    "overflow is an error, not a wrap");
}

static void
test_split(void)
{
	bf_dec p[3], sum;
	int64_t w[3] = { 1, 1, 1 };
	int64_t w2[2] = { 43200, 43200 };

	ok(bf_dec_split(D("1"), w, 3, 3, p) == BF_DEC_OK, "split ok");
	is_str(F(p[0]), "0.333333333", "split: first third rounded");
	is_str(F(p[1]), "0.333333333", "split: second third rounded");
	is_str(F(p[2]), "0.333333334", "split: the last takes the remainder");
	bf_dec_add(p[0], p[1], &sum);
	bf_dec_add(sum, p[2], &sum);
	is_str(F(sum), "1.000000000", "split parts add up exactly");
	bf_dec_split(D("0.000000001"), w2, 2, 86400, p);
	is_str(F(p[0]), "0.000000000", "split: half of 1e-9 rounds to even");
	is_str(F(p[1]), "0.000000001", "split: the remainder keeps it");
	bf_dec_split(D("-0.75"), w2, 2, 86400, p);
	ok(strcmp(F(p[0]), "-0.375000000") == 0 &&
	    strcmp(F(p[1]), "-0.375000000") == 0, "split of a negative cost");
}

/* The engine on a stream: returns its output in *out (malloc'd). */
static int
run(const char *rates, const char *tenants, int64_t step, const char *in,
    char **out, char **dlqout)
{
	char rp[] = "/tmp/test-agg-rXXXXXX", tp[] = "/tmp/test-agg-tXXXXXX";
	char dp[] = "/tmp/test-agg-dXXXXXX";
	struct bf_rates rc;
	struct bf_tenants tm;
	struct bf_agg_opts o;
	struct bf_agg *a;
	struct bf_err e;
	struct bf_buf warn = BF_BUF_INIT;
	size_t outlen;
	FILE *fp;
	const char *p, *nl;
	long line = 0;
	int fd, status;

	fd = mkstemp(rp);
	write(fd, rates, strlen(rates));
	close(fd);
	fd = mkstemp(dp);
	close(fd);
	if (bf_rates_load(&rc, rp, &e) == -1) {
		fprintf(stderr, "# %s\n", e.msg);
		exit(1);
	}
	memset(&o, 0, sizeof(o));
	if (tenants) {
		fd = mkstemp(tp);
		write(fd, tenants, strlen(tenants));
		close(fd);
		if (bf_tenants_load(&tm, tp, &e) == -1) {
			fprintf(stderr, "# %s\n", e.msg);
			exit(1);
		}
		o.tenants = &tm;
	}
	o.rates = &rc;
	o.step = step;
	o.out = fp = open_memstream(out, &outlen);
	o.dlq = bf_dlq_open(dp, &e);
	a = bf_agg_new(&o);
	for (p = in; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		bf_agg_line(a, p, (size_t)(nl - p), NULL, "<test>", ++line, &e);
	}
	bf_agg_finish(a, &warn, &e);
	status = bf_agg_status(a);
	bf_agg_free(a);
	bf_dlq_close(o.dlq, &e);
	fclose(fp);
	if (dlqout) {
		FILE *d = fopen(dp, "r");
		size_t cap = 1 << 16, n;

		*dlqout = calloc(1, cap);
		n = fread(*dlqout, 1, cap - 1, d);
		(*dlqout)[n] = '\0';
		fclose(d);
	}
	unlink(rp);
	unlink(dp);
	if (tenants) {
		unlink(tp);
		bf_tenants_free(&tm);
	}
	bf_rates_free(&rc);
	bf_buf_free(&warn);
	return status;
}

#define HDR "metric,unit,aggregate,usage_unit,multiplier,divisor," \
	    "unit_price,currency,effective_from,effective_to\n"
#define WIN "\"partition\":\"p\",\"window_start\":\"2026-01-01T00:00:00Z\"," \
	    "\"window_end\":\"2026-01-02T00:00:00Z\""
#define SMP(inst, metric, ts, v) "{\"type\":\"sample\"," WIN \
	",\"instance_id\":\"" inst "\",\"metric\":\"" metric \
	"\",\"ts\":" ts ",\"value\":" v ",\"unit\":\"B\"}\n"
#define WLINE "{\"type\":\"window\"," WIN "}\n"

static int
count(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s++;
	}
	return n;
}

static void
test_engine(void)
{
	char *out = NULL, *dlq = NULL;
	int st;

	/* Two series out of order, a price change at 12:00, an owner
	 * change at 06:00. */
	st = run(HDR "m,B,sum,u,,,1,USD,,2026-01-01T12:00:00Z\n"
		     "m,B,sum,u,,,3,USD,2026-01-01T12:00:00Z,\n",
	    "instance_id,tenant,cost_center,effective_from,effective_to\n"
	    "b,t1,,,2026-01-01T06:00:00Z\n"
	    "b,t2,c2,2026-01-01T06:00:00Z,\n", 0,
	    SMP("b", "m", "\"2026-01-01T01:00:00Z\"", "2")
	    "{\"type\":\"other\",\"x\":1}\n"
	    SMP("a", "m", "1767225600", "\"5\"")
	    SMP("b", "m", "\"2026-01-01T02:00:00Z\"", "2")
	    WLINE, &out, &dlq);
	is_int(st, BF_EXIT_OK, "engine: status ok");
	ok(strncmp(out, "{\"type\":\"other\",\"x\":1}\n", 23) == 0,
	    "engine: other lines pass through first, unchanged");
	ok(strstr(out, "\"instance_id\":\"a\"") <
	    strstr(out, "\"instance_id\":\"b\""), "engine: usage sorted");
	/* b: sum 4, by when it happened: both samples (01:00, 02:00) are
	 * before the price change at 12:00 and the owner change at 06:00, so
	 * all 4 at price 1, all to t1 (by time share it was 8, t1 2). */
	ok(strstr(out, "\"quantity\":\"4.000000000\"") != NULL,
	    "engine: quantity of b");
	ok(strstr(out, "\"cost\":\"4.000000000\",\"currency\"") != NULL,
	    "engine: price split cost of b");
	ok(strstr(out, "{\"tenant\":\"t1\",\"cost_center\":\"\",\"from\":"
	    "\"2026-01-01T00:00:00Z\",\"to\":\"2026-01-01T06:00:00Z\","
	    "\"cost\":\"4.000000000\"}") != NULL, "engine: owner split t1");
	ok(strstr(out, "\"tenant\":\"t2\",\"cost_center\":\"c2\",\"from\":"
	    "\"2026-01-01T06:00:00Z\",\"to\":\"2026-01-02T00:00:00Z\","
	    "\"cost\":\"0.000000000\"}") != NULL, "engine: owner split t2");
	/* a: no owner: unallocated, one tenant. */
	ok(strstr(out, "\"tenant\":\"unallocated\",\"allocations\"") != NULL,
	    "engine: an instance without owner is unallocated");
	ok(strstr(out, "\"usage_rows\":2") != NULL, "engine: usage_rows");
	is_int(count(out, "\n"), 4, "engine: 4 lines out");
	free(out);
	free(dlq);

	/* Unit mismatch fails the window, no usage. */
	st = run(HDR "m,GiB,sum,u,,,1,USD,,\n", NULL, 0,
	    SMP("a", "m", "1767225600", "1") WLINE, &out, NULL);
	is_int(st, BF_EXIT_FAILED, "unit mismatch: status failed");
	ok(strstr(out, "\"code\":\"unit_mismatch\"") != NULL &&
	    !strstr(out, "\"type\":\"usage\""), "unit mismatch: no usage");
	free(out);

	/* Missing rate for part of the window. */
	st = run(HDR "m,B,sum,u,,,1,USD,,2026-01-01T12:00:00Z\n", NULL, 0,
	    SMP("a", "m", "1767225600", "1") WLINE, &out, NULL);
	ok(st == BF_EXIT_FAILED && strstr(out, "\"code\":\"missing_rate\""),
	    "a rate missing for part of the window fails it");
	free(out);

	/* Outside the window, closed window, window never closed. */
	st = run(HDR "m,B,sum,u,,,1,USD,,\n", NULL, 0,
	    SMP("a", "m", "\"2026-01-02T00:00:00Z\"", "1")
	    SMP("a", "m", "1767225600", "1") WLINE
	    SMP("a", "m", "1767225600", "1"), &out, &dlq);
	ok(strstr(dlq, "\"code\":\"outside_window\"") != NULL,
	    "a sample outside its window goes to the DLQ");
	ok(strstr(dlq, "\"code\":\"window_closed\"") != NULL,
	    "a sample of a closed window goes to the DLQ");
	ok(strstr(out, "\"out_of_window\":1") != NULL,
	    "the window line counts it");
	is_int(st, BF_EXIT_OK, "DLQ records are normal operation");
	free(out);
	free(dlq);

	st = run(HDR "m,B,sum,u,,,1,USD,,\n", NULL, 0,
	    SMP("a", "m", "1767225600", "1"), &out, NULL);
	ok(st == BF_EXIT_FAILED && *out == '\0',
	    "a window whose line never comes: nothing out, status failed");
	free(out);

	/* Downsampling. */
	st = run(HDR "m,B,max,u,,,1,USD,,\n", NULL, 3600,
	    SMP("a", "m", "1767225600", "1") SMP("a", "m", "1767225660", "2")
	    SMP("a", "m", "1767229200", "7") WLINE, &out, NULL);
	is_int(count(out, "\"type\":\"downsample\""), 2,
	    "downsample: one line per step with samples");
	ok(strstr(out, "\"avg\":\"1.500000000\",\"max\":\"2.000000000\"") !=
	    NULL, "downsample: avg and max");
	ok(strstr(out, "\"downsampled\":2") != NULL, "downsample: counted");
	free(out);
}

/* Many windows open at once, closed in a scrambled order: the window table
 * must find each one (deletions shift probe runs). */
static void
test_many_windows(void)
{
	struct bf_buf in = BF_BUF_INIT;
	char *out = NULL;
	int i, st, n = 600;

	for (i = 0; i < n; i++)
		bf_buf_printf(&in, "{\"type\":\"sample\",\"partition\":\"p%d\","
		    "\"window_start\":\"2026-01-01T00:00:00Z\","
		    "\"window_end\":\"2026-01-02T00:00:00Z\","
		    "\"instance_id\":\"i\",\"metric\":\"m\",\"ts\":1767225600,"
		    "\"value\":%d,\"unit\":\"B\"}\n", i, i);
	for (i = 0; i < n; i++)
		bf_buf_printf(&in, "{\"type\":\"window\",\"partition\":\"p%d\","
		    "\"window_start\":\"2026-01-01T00:00:00Z\","
		    "\"window_end\":\"2026-01-02T00:00:00Z\"}\n",
		    (i * 7919) % n);
	st = run(HDR "m,B,sum,u,,,1,USD,,\n", NULL, 0, bf_buf_str(&in), &out,
	    NULL);
	is_int(st, BF_EXIT_OK, "600 open windows: all closed");
	is_int(count(out, "\"usage_rows\":1,"), n,
	    "600 open windows: each with its usage");
	for (i = 0, st = 0; i < n; i++) {
		char want[256];

		snprintf(want, sizeof(want), "\"partition\":\"p%d\","
		    "\"instance_id\":\"i\",\"metric\":\"m\",\"window_start\":"
		    "\"2026-01-01T00:00:00Z\",\"window_end\":"
		    "\"2026-01-02T00:00:00Z\",\"aggregate\":\"sum\",\"value\":"
		    "\"%d.000000000\"", i, i);
		st += strstr(out, want) != NULL;
	}
	is_int(st, n, "600 open windows: samples stay with their window");
	free(out);
	bf_buf_free(&in);
}

/* Series in a repeating order, then out of it: each sample still lands in
 * its own series (the engine guesses the next series from the order). */
static void
test_series_order(void)
{
	static const char *const order[] = {
		"a", "b", "c", "a", "b", "c", "a", "c", "b", "b", "a", "c",
		"c", "a", "b", "a", "b", "c", "b",
	};
	struct bf_buf in = BF_BUF_INIT;
	char *out = NULL, want[256];
	int sum[3] = { 0 }, i, st, good = 0;

	for (i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++) {
		int k = order[i][0] - 'a';

		sum[k] += i + 1;
		bf_buf_printf(&in, "{\"type\":\"sample\"," WIN
		    ",\"instance_id\":\"i%s\",\"metric\":\"m\",\"ts\":%d,"
		    "\"value\":%d,\"unit\":\"B\"}\n", order[i],
		    1767225600 + i, i + 1);
	}
	bf_buf_puts(&in, WLINE);
	st = run(HDR "m,B,sum,u,,,1,USD,,\n", NULL, 0, bf_buf_str(&in), &out,
	    NULL);
	is_int(st, BF_EXIT_OK, "series order: status ok");
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "\"instance_id\":\"i%c\","
		    "\"metric\":\"m\",\"window_start\":\"2026-01-01T00:00:00Z\","
		    "\"window_end\":\"2026-01-02T00:00:00Z\",\"aggregate\":"
		    "\"sum\",\"value\":\"%d.000000000\"", 'a' + i, sum[i]);
		good += strstr(out, want) != NULL;
	}
	is_int(good, 3, "series order: each sum of its own samples");
	ok(strstr(out, "\"usage_rows\":3,\"duplicates\":0,\"conflicts\":0,"
	    "\"aggregated\":19,") != NULL, "series order: counts");
	free(out);
	/* Instance "a" of metric "bm" and instance "ab" of metric "m" are two
	 * series, though their names run together the same. */
	st = run(HDR "m,B,sum,u,,,1,USD,,\nbm,B,sum,u,,,1,USD,,\n", NULL, 0,
	    SMP("a", "bm", "1767225600", "1") SMP("x", "m", "1767225600", "1")
	    SMP("ab", "m", "1767225600", "2") WLINE, &out, NULL);
	ok(st == BF_EXIT_OK && strstr(out, "\"usage_rows\":3,\"duplicates\":0,"
	    "\"conflicts\":0,") != NULL &&
	    strstr(out, "\"instance_id\":\"ab\",\"metric\":\"m\"") != NULL,
	    "series (a, bm) and (ab, m) are apart");
	free(out);
	bf_buf_free(&in);
}

/* The same ts text again, another, a bad one, an escaped one: each read as
 * itself (the engine reuses the last ts's value when the text repeats). */
static void
test_ts_repeats(void)
{
	char *out = NULL, *dlq = NULL;
	int st;

	st = run(HDR "m,B,last,u,,,1,USD,,\n", NULL, 0,
	    SMP("i", "m", "\"2026-01-01T00:00:00Z\"", "1")
	    SMP("i", "m", "\"2026-01-01T00:00:00Z\"", "1")
	    SMP("i", "m", "\"2026-01-02T00:00:00Z\"", "9")
	    SMP("i", "m", "\"2026-01-01T00:00:00Z\"", "1")
	    SMP("i", "m", "\"2026-01-01T00:00:0\"", "9")
	    SMP("i", "m", "\"2026-01-01T00:00:00Z\"", "1")
	    SMP("i", "m", "\"2026-01-01T12:00:00Z\"", "2")
	    SMP("i", "m", "\"2026-01-01T12:00:00\\u005a\"", "2")
	    SMP("i", "m", "\"2026-01-01T12:00:00Z\"", "2")
	    SMP("i", "m", "1767225600", "1")
	    SMP("i", "m", "\"2026-01-01T23:59:59Z\"", "3")
	    SMP("i", "m", "\"2026-01-01T23:59:60Z\"", "9")
	    WLINE, &out, &dlq);
	is_int(st, BF_EXIT_OK, "ts repeats: status ok");
	ok(strstr(out, "\"value\":\"3.000000000\"") != NULL &&
	    strstr(out, "\"samples\":3,") != NULL,
	    "ts repeats: the last sample wins, three times");
	ok(strstr(out, "\"duplicates\":6,\"conflicts\":0,\"aggregated\":9,"
	    "\"out_of_window\":1,\"invalid_samples\":2") != NULL,
	    "ts repeats: counts");
	is_int(count(dlq, "\"code\":\"outside_window\""), 1,
	    "ts repeats: 1 outside the window");
	is_int(count(dlq, "\"code\":\"bad_timestamp\""), 2,
	    "ts repeats: 2 bad");
	free(out);
	free(dlq);
}

/* Pieces "p0 p1 ... pk" (seconds from T0) into c; returns the count. */
static size_t
cuts(bf_time *c, const char *spec)
{
	size_t n = 0;
	const char *p = spec;
	char *end;

	for (;;) {
		c[n++] = T0 + strtoll(p, &end, 10);
		if (*end == '\0')
			return n - 1;
		p = end + 1;
	}
}

/* The pieces of fn as "v0 v1 ...", or "error". */
static const char *
pieces(int fn, const char *spec, const char *lbspec, const char *cutspec)
{
	static char buf[512];
	struct bf_sample s[64], lb;
	bf_dec pv[16];
	bf_time c[17];
	size_t n = mk(s, spec), np = cuts(c, cutspec), i;
	long d = 0, k = 0;

	if (lbspec)
		mk(&lb, lbspec);
	n = bf_samples_dedupe(s, n, &d, &k);
	if (bf_aggregate_pieces(fn, s, n, lbspec ? &lb : NULL, c, np, pv) !=
	    BF_DEC_OK)
		return "error";
	buf[0] = '\0';
	for (i = 0; i < np; i++) {
		strcat(buf, i ? " " : "");
		strcat(buf, F(pv[i]));
	}
	return buf;
}

/* The whole with a lookback sample. */
static const char *
agg_lb(int fn, const char *spec, const char *lbspec, int64_t len)
{
	struct bf_sample s[64], lb;
	size_t n = mk(s, spec);
	long d = 0, c = 0;
	bf_dec out;

	mk(&lb, lbspec);
	n = bf_samples_dedupe(s, n, &d, &c);
	if (bf_aggregate(fn, s, n, &lb, T0, T0 + len, &out) != BF_DEC_OK)
		return "error";
	return F(out);
}

static void
test_pieces(void)
{
	/* Cuts at 100 and 200 of [0, 300). */
	is_str(pieces(BF_AGG_SUM, "10:1 99:2 100:4 250:8", NULL, "0 100 200 300"),
	    "3.000000000 4.000000000 8.000000000", "pieces: sum by ts");
	is_str(pieces(BF_AGG_COUNT, "10:1 99:2 100:4 250:8", NULL,
	    "0 100 200 300"), "2.000000000 1.000000000 1.000000000",
	    "pieces: count by ts");
	/* Steps +5 (at 50), +3 (at 150), reset to 2 (at 250): +2. */
	is_str(pieces(BF_AGG_INCREASE, "0:10 50:15 150:18 250:2", NULL,
	    "0 100 200 300"), "5.000000000 3.000000000 2.000000000",
	    "pieces: increase steps go to the piece of the later sample");
	/* The lookback step (7 -> 10 at 120) goes to the second piece. */
	is_str(pieces(BF_AGG_INCREASE, "120:10 150:18", "-30:7",
	    "0 100 200 300"), "0.000000000 11.000000000 0.000000000",
	    "pieces: the lookback step goes to the first sample's piece");
	/* 2 from 50 to 150 (cut at 100), 4 from 150 to 300 (cut at 200). */
	is_str(pieces(BF_AGG_INTEGRAL, "50:2 150:4", NULL, "0 100 200 300"),
	    "100.000000000 300.000000000 400.000000000",
	    "pieces: integral split at each cut");
	/* With a lookback value 3 from 0 to 50. */
	is_str(pieces(BF_AGG_INTEGRAL, "50:2 150:4", "-10:3", "0 100 200 300"),
	    "250.000000000 300.000000000 400.000000000",
	    "pieces: integral holds the lookback value from the start");
	/* Fractions: 1 from 99.5 to 100.25 (0.5 + 0.25), 3 to 300. */
	is_str(pieces(BF_AGG_INTEGRAL, "99.5:1 100.25:3", NULL, "0 100 300"),
	    "0.500000000 599.500000000",
	    "pieces: integral of fractions of seconds");
	/* A held value across two cuts, the cut on a sample. */
	is_str(pieces(BF_AGG_INTEGRAL, "10:1 200:2", NULL, "0 100 200 300"),
	    "90.000000000 100.000000000 200.000000000",
	    "pieces: a value held across a cut, a sample on a cut");
	is_str(pieces(BF_AGG_MAX, "10:1", NULL, "0 100 300"), "error",
	    "pieces: not for a non-additive aggregate");
	/* One piece: the whole. */
	is_str(pieces(BF_AGG_INTEGRAL, "99.5:1 100.25:3", NULL, "0 300"),
	    agg(BF_AGG_INTEGRAL, "99.5:1 100.25:3", 300),
	    "pieces: one piece is the whole");
	is_str(agg_lb(BF_AGG_INCREASE, "0:10 50:15", "-5:12", 300),
	    "15.000000000", "lookback: increase 12 -> 10 (a reset: +10) -> 15");
	is_str(agg_lb(BF_AGG_INTEGRAL, "100:1", "-5:2", 300),
	    "400.000000000", "lookback: integral 2 * 100 + 1 * 200");
	is_str(agg_lb(BF_AGG_MAX, "100:1", "-5:2", 300), "1.000000000",
	    "lookback: max ignores it");
	is_str(agg_lb(BF_AGG_INTEGRAL, "", "-5:2", 300), "0.000000000",
	    "lookback: nothing without a sample in the window");
}

int
main(void)
{
	test_dedupe();
	test_aggregates();
	test_split();
	test_pieces();
	test_engine();
	test_many_windows();
	test_series_order();
	test_ts_repeats();
	return done_testing();
}
