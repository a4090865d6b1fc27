/*
 * test-records.c: unit tests for the records of the file and exec sources
 * (source-file.c): bf_recs_sort against a plain reference sort on records
 * in and out of order, borrowed records against copied ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fetch.h"
#include "source.h"
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
	emit_all("{\"ts\":1}\n\n{\"ts\":2,\"a\":1,\"\\u0061\":2}\n", 1, NULL,
	    &a, &rca);
	is_str(bf_buf_str(&a), "data:3: duplicate key at byte 15",
	    "a bad line: its number");
	bf_buf_free(&a);
	bf_buf_free(&b);
}

int
main(void)
{
	setup();
	test_sort();
	test_borrow();
	return done_testing();
}
