/*
 * test-records.c: unit tests for the records of the file and exec sources
 * (source-file.c): bf_recs_sort against a plain reference sort on records
 * in and out of order, borrowed records against copied ones, records
 * parsed in parts against one part (lookback samples included), the
 * lookback sample of each series.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fetch.h"
#include "records.h"
#include "stream.h"
#include "timeutil.h"
#include "tap.h"

static struct bf_fetch_opts opts;
static struct bf_source src;

static void
setup(void)
{
	bf_fetch_opts_init(&opts);
	opts.kind = BF_SRC_FILE;
	memset(&src, 0, sizeof(src));
	src.ops = &bf_source_file;
	src.o = &opts;
}

static unsigned long rng_state = 1;

static unsigned
rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)((rng_state >> 33) % n);
}

/* The reference order: (key as a C string, ts, input order). */
struct ref {
	const char *key;
	bf_time ts;
	size_t i;
};

static int
ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Partition keys as written in JSON and as the C strings they route as
 * ("a\u0000z" is "a", like the window's partition would compare). */
static const char *const keys_json[] = { "a", "b", "ab", "a\\u0000z", "",
	"\\u0062", "B" };
static const char *const keys_c[] = { "a", "b", "ab", "a", "", "b", "B" };

/* n records over nk keys; mode 0: times random, 1: each key's times in
 * order, 2: all in order of one key. */
static int
sort_case(unsigned n, unsigned nk, int mode, int borrow)
{
	struct bf_recopts ro;
	struct bf_recs rs;
	struct bf_buf data = BF_BUF_INIT;
	struct bf_err e;
	struct ref *ref = calloc(n + 1, sizeof(*ref));
	bf_time t = 1767225600;
	size_t i;
	unsigned k;
	int good = 1;

	for (i = 0; i < n; i++) {
		k = mode == 2 ? 0 : rnd(nk);
		if (mode == 0)
			t = 1767225600 + rnd(20);
		else
			t += rnd(3);
		ref[i].key = keys_c[k];
		ref[i].ts = t;
		ref[i].i = i;
		bf_buf_printf(&data, "{\"partition\":\"%s\",\"ts\":%lld,"
		    "\"instance_id\":\"i\",\"value\":%zu}\n", keys_json[k],
		    (long long)t, i);
	}
	memset(&ro, 0, sizeof(ro));
	ro.borrow = borrow;
	memset(&rs, 0, sizeof(rs));
	if (bf_records_parse(&src, &ro, "data", bf_buf_str(&data), data.len,
	    BF_FMT_NDJSON, &rs, NULL, &e) < 0 || rs.n != n) {
		good = 0;
		goto out;
	}
	qsort(ref, n, sizeof(*ref), ref_cmp);
	bf_recs_sort(&rs);
	for (i = 0; i < n; i++) {
		const struct bf_rec *r = bf_recs_at(&rs, i);

		if ((size_t)(r - rs.r) != ref[i].i || r->ts != ref[i].ts ||
		    strcmp(bf_recs_str(&rs, rs.keys[r->key]), ref[i].key) != 0)
			good = 0;
	}
out:
	bf_recs_free(&rs);
	bf_buf_free(&data);
	free(ref);
	return good;
}

static void
test_sort(void)
{
	unsigned n, round;
	int mode, good;

	for (mode = 0; mode < 3; mode++) {
		good = 1;
		for (round = 0; round < 60; round++) {
			n = rnd(round < 30 ? 8 : 400);
			good &= sort_case(n, 1 + rnd(7), mode, round & 1);
		}
		ok(good, "bf_recs_sort: the reference order (times %s)",
		    mode == 0 ? "random" : mode == 1 ? "in order per key" :
		    "all in order");
	}
}

/* The records of data emitted into one window over all times. */
static void
emit_all(const char *data, int borrow, const char *instance,
    struct bf_buf *out, int *rc)
{
	struct bf_recopts ro;
	struct bf_recs rs;
	struct bf_err e;
	struct bf_job job;

	memset(&ro, 0, sizeof(ro));
	ro.borrow = borrow;
	ro.instance = instance;
	ro.key = "p";
	memset(&rs, 0, sizeof(rs));
	memset(&job, 0, sizeof(job));
	bf_buf_reset(out);
	*rc = bf_records_parse(&src, &ro, "data", data, strlen(data),
	    BF_FMT_NDJSON, &rs, NULL, &e);
	if (*rc < 0) {
		bf_buf_puts(out, e.msg);
	} else {
		job.w.partition = bf_xstrdup("p");
		job.w.start = 0;
		job.w.end = 253402300799LL;
		bf_time_format(job.w.start, job.w.ws);
		bf_time_format(job.w.end, job.w.we);
		bf_recs_sort(&rs);
		bf_recs_emit(&src, &rs, 0, rs.n, &job, 60);
		bf_buf_add(out, job.out.s, job.out.len);
		bf_buf_free(&job.out);
		bf_buf_free(&job.prefix);
		bf_window_free(&job.w);
	}
	bf_recs_free(&rs);
}

static void
test_borrow(void)
{
	static const char data[] =
	    "{\"t\\u0073\":\"2026-01-01T00:06:00Z\",\"instance_\\u0069d\":"
	    "\"db\\u002d1\",\"metric\":\"cpu\",\"value\":1}\n"
	    "{\"ts\":1767226260.5,\"ts\\u0000\":1,\"metric\":\"c\\u0070u\"}\n"
	    "{\"type\":\"s\\u0061mple\",\"ts\":\"2026-01-01T00:10:00\\u005a\","
	    "\"value\":4,\"source\":null,\"resolution\":\"r\"}\n"
	    "{\"type\":\"window\",\"ts\":\"x\"}\n"
	    "{\"a\":1,\"type\":\"sample\",\"b\":2,\"partition\":\"q\",\"c\":3,"
	    "\"window_start\":\"x\",\"d\":4,\"ts\":60,\"e\":5}\n"
	    "{\"a\":1,\"type\":\"sample\",\"b\":2,\"partition\":\"q\",\"c\":3,"
	    "\"ts\":60,\"d\":4}\n"
	    "  { \"ts\" : 61 , \"v\" : [1, {\"ts\":2}] , \"\" : 0 }  \r\n"
	    "{\"window_end\":1,\"ts\":62,\"window_start\":2,\"partition\":3,"
	    "\"unit\":\"u\",\"metric\":\"m\"}\n";
	struct bf_buf a = BF_BUF_INIT, b = BF_BUF_INIT;
	int rca, rcb;

	emit_all(data, 0, "db-9", &a, &rca);
	emit_all(data, 1, "db-9", &b, &rcb);
	ok(rca == 0 && rcb == 0, "tricky records parse");
	is_int((long long)bf_buf_str(&a)[0] != 0 &&
	    strchr(a.s, '\n') != NULL, 1, "and emit");
	ok(a.len == b.len && memcmp(bf_buf_str(&a), bf_buf_str(&b),
	    a.len) == 0, "borrowed records emit the bytes copied ones do");
	is_int((long long)(strstr(bf_buf_str(&a), "\"ts\\u0000\":1") != NULL),
	    1, "a key \"ts\\u0000\" is not \"ts\"");

	emit_all("{\"ts\":1}\n{\"ts\":2}\n", 1, NULL, &a, &rca);
	is_str(bf_buf_str(&a), "{\"type\":\"sample\",\"partition\":\"p\","
	    "\"window_start\":\"1970-01-01T00:00:00Z\",\"window_end\":"
	    "\"9999-12-31T23:59:59Z\",\"ts\":\"1970-01-01T00:00:01Z\","
	    "\"source\":\"file\",\"resolution\":60}\n"
	    "{\"type\":\"sample\",\"partition\":\"p\","
	    "\"window_start\":\"1970-01-01T00:00:00Z\",\"window_end\":"
	    "\"9999-12-31T23:59:59Z\",\"ts\":\"1970-01-01T00:00:02Z\","
	    "\"source\":\"file\",\"resolution\":60}\n",
	    "no instance: routed by the key alone");
	emit_all("{\"ts\":\"\"}\n", 1, NULL, &a, &rca);
	is_str(bf_buf_str(&a), "data:1: bad 'ts'", "an empty \"ts\" is bad");
	emit_all("{\"ts\":\"1970-01-01T00:00:09Z\"}\n{\"ts\":\"1970-01-01T00:"
	    "00:09Z\"}\n{\"ts\":\"1970-01-01T00:00:0\\u0039Z\"}\n{\"ts\":\"1970-"
	    "01-01T00:00:09Z \"}\n", 1, NULL, &a, &rca);
	is_str(bf_buf_str(&a), "data:4: bad 'ts'",
	    "a time like the one before is not taken for it");
	emit_all("{\"ts\":1}\n\n{\"ts\":2,\"a\":1,\"\\u0061\":2}\n", 1, NULL,
	    &a, &rca);
	is_str(bf_buf_str(&a), "data:3: duplicate key at byte 15",
	    "a bad line: its number");
	bf_buf_free(&a);
	bf_buf_free(&b);
}

static char tmpdir[] = "/tmp/bf-test-records.XXXXXX";
static char tmpdir2[] = "/tmp/bf-test-records.XXXXXX";

/* What the file source makes of data in parts parts: every partition's
 * samples over all times, and from 30 on with those before as lookback
 * samples (lookback seconds), or the error. */
static int64_t lookback = 3600;
/* --memory: 0 the default (all in memory here), 1 a few records a run. */
static size_t memory;

static void
file_run(const char *data, size_t len, int parts, struct bf_buf *out)
{
	static const char *const parts_of[] = { "a", "b", "ab", "", "db-1",
		"db-2", "p", NULL };
	char path[128], *paths[1];
	struct bf_source s = src;
	struct bf_fetch_opts o = opts;
	struct bf_err e;
	struct bf_job job;
	FILE *fp;
	int k, from;

	snprintf(path, sizeof(path), "%s/data.ndjson", tmpdir);
	fp = fopen(path, "w");
	fwrite(data, 1, len, fp);
	fclose(fp);
	paths[0] = path;
	o.data = paths;
	o.ndata = 1;
	o.instance = data[0] == ' ' ? "db-9" : NULL;
	o.lookback = lookback;
	o.memory = memory;
	o.tmpdir = tmpdir;
	s.o = &o;
	bf_records_parts(parts, 1);
	bf_buf_reset(out);
	bf_err_clear(&e);
	if (s.ops->open(&s, &e) < 0) {
		bf_buf_printf(out, "error %d %s", e.code, e.msg);
		goto out;
	}
	for (k = 0; parts_of[k / 2] != NULL; k++) {
		from = k % 2 ? 30 : 0;
		memset(&job, 0, sizeof(job));
		job.w.partition = bf_xstrdup(parts_of[k / 2]);
		job.w.start = from;
		job.w.end = 253402300799LL;
		bf_time_format(job.w.start, job.w.ws);
		bf_time_format(job.w.end, job.w.we);
		s.ops->fetch(&s, NULL, &job);
		bf_buf_add(out, job.out.s, job.out.len);
		bf_buf_printf(out, "%s %d: fetched %ld lookback %ld\n",
		    parts_of[k / 2], from, job.fetched, job.lookback);
		bf_buf_free(&job.out);
		bf_buf_free(&job.prefix);
		bf_window_free(&job.w);
	}
	s.ops->close(&s);
out:
	bf_records_parts(0, (size_t)1 << 20);
}

/* 1 when data (len 0: a string) gives the same in 2, 3 and 4 parts as
 * in one, and in 1 to 4 parts with runs of a few records on disk
 * (--memory 1) as all in memory; want_error 1 or 0 (-1: either) says
 * whether it is refused. */
static int
same_in_parts(const char *data, size_t len, int want_error)
{
	struct bf_buf one = BF_BUF_INIT, more = BF_BUF_INIT;
	int parts, good = 1;

	if (len == 0)
		len = strlen(data);
	memory = 0;
	file_run(data, len, 1, &one);
	if (want_error >= 0 && (strncmp(bf_buf_str(&one), "error", 5) == 0) !=
	    want_error)
		good = 0;
	for (parts = 2; parts <= 2 * BF_FILE_MAXPARTS + 1; parts++) {
		memory = parts > BF_FILE_MAXPARTS ? 1 : 0;
		file_run(data, len, memory ? parts - BF_FILE_MAXPARTS : parts,
		    &more);
		if (one.len != more.len || memcmp(bf_buf_str(&one),
		    bf_buf_str(&more), one.len) != 0) {
			good = 0;
			fprintf(stderr, "# %d parts, memory %zu:\n# %.300s\n"
			    "# one:\n# %.300s\n", memory ? parts -
			    BF_FILE_MAXPARTS : parts, memory,
			    bf_buf_str(&more), bf_buf_str(&one));
		}
	}
	memory = 0;
	bf_buf_free(&one);
	bf_buf_free(&more);
	return good;
}

static const char *const lines[] = {
	"{\"partition\":\"a\",\"ts\":5,\"instance_id\":\"i\"}",
	"{\"t\\u0073\":\"2026-01-01T00:06:00Z\",\"instance_\\u0069d\":"
	    "\"db\\u002d1\",\"metric\":\"cpu\",\"value\":1}",
	"  { \"ts\" : 61 , \"v\" : [1, {\"ts\":2}] , \"\" : 0 }  \r",
	"",
	"{\"type\":\"window\",\"ts\":\"x\"}",
	"{\"a\":1,\"type\":\"sample\",\"b\":2,\"partition\":\"ab\","
	    "\"c\":3,\"window_start\":\"x\",\"d\":4,\"ts\":60,\"e\":5}",
	"{\"partition\":\"b\",\"ts\":3,\"instance_id\":\"i\"}",
	"{\"partition\":\"a\\u0000z\",\"ts\":4,\"instance_id\":\"i\"}",
	"{\"ts\":\"2026-01-01T00:00:00Z\",\"instance_id\":\"db-2\"}",
	"{\"partition\":\"a\",\"ts\":5,\"instance_id\":\"j\",\"v\":1}",
};
static const char *const bad[] = {
	"{\"ts\":1,\"instance_id\":\"i\",}",
	"{\"ts\":\"x\",\"instance_id\":\"i\"}",
	"{\"instance_id\":\"i\"}",
	"{\"ts\":1}",
	"{\"ts\":1,\"a\":1,\"\\u0061\":2}",
};

static void
test_parts(void)
{
	struct bf_buf data = BF_BUF_INIT;
	int round, i, n, nbad, good = 1, goodbad = 1;

	if (mkdtemp(tmpdir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	for (round = 0; round < 80; round++) {
		bf_buf_reset(&data);
		n = 1 + (int)rnd(round < 40 ? 6 : 60);
		nbad = round >= 20 ? 1 + (int)rnd(2) : 0;
		/* A leading blank: records without instance get one. */
		if (round & 1)
			bf_buf_putc(&data, ' ');
		for (i = 0; i < n; i++) {
			if (nbad > 0 && rnd(n) == 0) {
				bf_buf_puts(&data, bad[rnd(5)]);
				nbad--;
			} else {
				bf_buf_puts(&data, lines[rnd(10)]);
			}
			if (i < n - 1 || (round & 2))
				bf_buf_putc(&data, '\n');
		}
		if (round < 20)
			good &= same_in_parts(data.s, data.len, -1);
		else
			goodbad &= same_in_parts(data.s, data.len, -1);
	}
	ok(good, "records in parts: the same samples as in one");
	ok(goodbad, "bad records in parts: the same first error");
	ok(same_in_parts("{\"ts\":1,\"instance_id\":\"i\"}\n{\"ts\":1}\n",
	    0, 1), "an error in the last part: its line in the file");
	ok(same_in_parts("{\"ts\":1}\n{\"ts\":1,\"instance_id\":\"i\"}\n",
	    0, 1), "an error in the first part");
	ok(same_in_parts("\n\n\n\n\n\n\n\n", 0, 0), "blank lines only");
	ok(same_in_parts("{\"ts\":1,\"instance_id\":\"a\"}", 0, 0),
	    "one line, no newline");
	bf_buf_free(&data);
	rmdir(tmpdir);
}

/* The lookback sample of each series of partition p, window [30, ...):
 * the last record of (instance_id, metric) in [30 - lookback, 30). */
static void
test_lookback(void)
{
	static const char data[] =
	    "{\"partition\":\"p\",\"instance_id\":\"i\",\"metric\":\"m1\",\"ts\":20,\"value\":2}\n"
	    "{\"partition\":\"p\",\"instance_id\":\"i\",\"metric\":\"m1\",\"ts\":10,\"value\":1}\n"
	    "{\"partition\":\"p\",\"instance_id\":\"i\",\"metric\":\"m2\",\"ts\":15,\"value\":3}\n"
	    "{\"partition\":\"p\",\"instance_id\":\"j\",\"metric\":\"m1\",\"ts\":5,\"value\":4}\n"
	    "{\"partition\":\"p\",\"instance_id\":\"i\",\"metric\":\"m1\",\"ts\":40,\"value\":5}\n"
	    "{\"partition\":\"p\",\"instance_id\":\"i\",\"metric\":\"m1\",\"ts\":20,\"value\":6}\n";
	struct bf_buf out = BF_BUF_INIT;
	const char *b;
	char path[128];

	if (mkdtemp(tmpdir2) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	memcpy(tmpdir, tmpdir2, sizeof(tmpdir2));
	lookback = 20;
	file_run(data, sizeof(data) - 1, 1, &out);
	b = bf_buf_str(&out);
	ok(strstr(b, "p 30: fetched 1 lookback 2\n") != NULL,
	    "lookback 20: two series within it, one sample in the window");
	ok(strstr(b, "\"ts\":\"1970-01-01T00:00:20Z\",\"source\":\"file\","
	    "\"lookback\":true}") != NULL && strstr(b, "\"value\":6") != NULL &&
	    strstr(b, "\"value\":2,\"ts\":\"1970-01-01T00:00:20Z\",\"source\":"
	    "\"file\",\"lookback\":true") == NULL,
	    "lookback: the last at the latest time, in input order");
	ok(strstr(b, "\"value\":3,\"ts\":\"1970-01-01T00:00:15Z\",\"source\":"
	    "\"file\",\"lookback\":true}") != NULL, "lookback: series m2");
	ok(strstr(b, "\"value\":4,") == NULL || strstr(b, "\"value\":4,\"ts\":"
	    "\"1970-01-01T00:00:05Z\",\"source\":\"file\"}") != NULL,
	    "lookback: none beyond it");
	ok(strstr(b, "\"value\":1,\"ts\":\"1970-01-01T00:00:10Z\",\"source\":"
	    "\"file\",\"lookback\"") == NULL, "lookback: not an earlier one");
	lookback = 0;
	file_run(data, sizeof(data) - 1, 1, &out);
	ok(strstr(bf_buf_str(&out), "p 30: fetched 1 lookback 0\n") != NULL &&
	    strstr(bf_buf_str(&out), "\"lookback\":true") == NULL,
	    "lookback 0: none");
	lookback = 3600;
	bf_buf_free(&out);
	snprintf(path, sizeof(path), "%s/data.ndjson", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

int
main(void)
{
	setup();
	test_sort();
	test_borrow();
	test_parts();
	test_lookback();
	return done_testing();
}
