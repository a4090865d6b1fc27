/* Unit tests for src/lib/stream.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "tap.h"

static struct bf_json J = BF_JSON_INIT;

static int
parse(const char *s)
{
	return bf_json_parse(&J, s, strlen(s), BF_JSON_WANT_OBJECT, NULL);
}

static void
test_types(void)
{
	static const struct {
		const char *line;
		int type;
	} c[] = {
		{ "{\"type\":\"window\"}", BF_LINE_WINDOW },
		{ "{\"a\":1,\"type\":\"sample\"}", BF_LINE_SAMPLE },
		{ "{\"type\":\"usage\",\"x\":{\"type\":\"window\"}}",
		    BF_LINE_USAGE },
		{ "{\"type\":\"u\\u0073age\"}", BF_LINE_USAGE },
		{ "{\"type\":\"reject\"}", BF_LINE_OTHER },
		{ "{\"type\":\"\"}", BF_LINE_OTHER },
		{ "{\"type\":\"Window\"}", BF_LINE_OTHER },
		{ "{\"type\":1}", BF_LINE_NOTYPE },
		{ "{\"type\":null}", BF_LINE_NOTYPE },
		{ "{\"x\":{\"type\":\"sample\"}}", BF_LINE_NOTYPE },
		{ "{}", BF_LINE_NOTYPE },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		parse(c[i].line);
		is_int(bf_line_type(&J), c[i].type, "type of %s", c[i].line);
	}
	bf_json_parse(&J, "[1]", 3, 0, NULL);
	is_int(bf_line_type(&J), BF_LINE_NOTYPE, "type of an array root");
}

static const char *const WIN =
    "{\"type\":\"window\",\"partition\":\"db-1\","
    "\"window_start\":\"2026-01-01T00:00:00Z\","
    "\"window_end\":\"2026-01-02T00:00:00Z\","
    "\"grid\":\"size=86400 phase=0 billing_day=1\"}";

static void
test_window(void)
{
	struct bf_window a, b;
	struct bf_err e;

	ok(parse(WIN) == 0, "parse window line");
	ok(bf_window_from_json(&J, &a, &e) == 0, "window from json");
	is_str(a.partition, "db-1", "partition");
	is_int(a.start, 1767225600, "start");
	is_int(a.end, 1767225600 + 86400, "end");
	is_str(a.ws, "2026-01-01T00:00:00Z", "ws");
	is_str(a.we, "2026-01-02T00:00:00Z", "we");

	parse("{\"type\":\"sample\",\"window_end\":\"2026-01-02T00:00:00Z\","
	    "\"partition\":\"db\\u002d1\",\"window_start\":"
	    "\"2026-01-01T00:00:00Z\",\"value\":1}");
	ok(bf_window_from_json(&J, &b, &e) == 0, "window of a sample line");
	ok(bf_window_same(&a, &b), "same window (escaped partition)");
	bf_window_free(&b);
	ok(b.partition == NULL, "free clears partition");

	parse("{\"partition\":\"db-1\",\"window_start\":\"2026-01-01T00:00:00Z\","
	    "\"window_end\":\"2026-01-03T00:00:00Z\"}");
	bf_window_from_json(&J, &b, &e);
	ok(!bf_window_same(&a, &b), "different end");
	bf_window_free(&b);
	parse("{\"partition\":\"db-2\",\"window_start\":\"2026-01-01T00:00:00Z\","
	    "\"window_end\":\"2026-01-02T00:00:00Z\"}");
	bf_window_from_json(&J, &b, &e);
	ok(!bf_window_same(&a, &b), "different partition");
	bf_window_free(&b);
	parse("{\"partition\":\"db-1\",\"window_start\":\"2026-01-01T01:00:00+01:00\","
	    "\"window_end\":\"2026-01-02T00:00:00Z\"}");
	ok(bf_window_from_json(&J, &b, &e) == 0 && bf_window_same(&a, &b),
	    "an offset start is the same instant");
	is_str(b.ws, "2026-01-01T00:00:00Z", "ws canonical");
	bf_window_free(&b);
	bf_window_free(&a);
}

static void
bad_window(const char *line, const char *msg)
{
	struct bf_window w;
	struct bf_err e;

	memset(&e, 0, sizeof(e));
	parse(line);
	ok(bf_window_from_json(&J, &w, &e) == -1 && w.partition == NULL &&
	    e.code == BF_EXIT_FAILED, "refused: %s", msg);
	is_str(e.msg, msg, "message: %s", msg);
}

static void
test_window_bad(void)
{
	bad_window("{\"window_start\":\"2026-01-01T00:00:00Z\","
	    "\"window_end\":\"2026-01-02T00:00:00Z\"}",
	    "missing field 'partition'");
	bad_window("{\"partition\":7,\"window_start\":\"2026-01-01T00:00:00Z\","
	    "\"window_end\":\"2026-01-02T00:00:00Z\"}",
	    "field 'partition' is not a string: '7'");
	bad_window("{\"partition\":\"\",\"window_start\":\"2026-01-01T00:00:00Z\","
	    "\"window_end\":\"2026-01-02T00:00:00Z\"}",
	    "empty partition name");
	bad_window("{\"partition\":\"a\\u0000b\",\"window_start\":"
	    "\"2026-01-01T00:00:00Z\",\"window_end\":\"2026-01-02T00:00:00Z\"}",
	    "partition name holds a NUL byte 'a\\u0000b'");
	bad_window("{\"partition\":\"p\",\"window_end\":\"2026-01-02T00:00:00Z\"}",
	    "missing field 'window_start'");
	bad_window("{\"partition\":\"p\",\"window_start\":\"2026-01-01T00:00:00Z\"}",
	    "missing field 'window_end'");
	bad_window("{\"partition\":\"p\",\"window_start\":\"2026-13-01T00:00:00Z\","
	    "\"window_end\":\"2026-01-02T00:00:00Z\"}",
	    "bad timestamp '2026-13-01T00:00:00Z' in field 'window_start'");
	bad_window("{\"partition\":\"p\",\"window_start\":1767225600,"
	    "\"window_end\":\"2026-01-02T00:00:00Z\"}",
	    "field 'window_start' is not a string: '1767225600'");
	bad_window("{\"partition\":\"p\",\"window_start\":\"2026-01-01T00:00:00Z\","
	    "\"window_end\":\"2026-01-02T00:00:00.5Z\"}",
	    "bad timestamp '2026-01-02T00:00:00.5Z' in field 'window_end'");
	bad_window("{\"partition\":\"p\",\"window_start\":\"2026-01-01T00:00:00Z\","
	    "\"window_end\":\"2026-01-01T00:00:00Z\"}",
	    "window_end '2026-01-01T00:00:00Z' is not after window_start "
	    "'2026-01-01T00:00:00Z'");
}

static void
emit(const char *line, const char *stage, const char *status,
    const char *code, const char *msg, const char *counts, const char *want,
    const char *name)
{
	struct bf_buf out = BF_BUF_INIT;

	bf_buf_puts(&out, "prev|");
	bf_window_emit(line, strlen(line), &out, stage, status, code, msg,
	    counts);
	is_str(out.s + 5, want, "emit: %s", name);
	ok(strncmp(out.s, "prev|", 5) == 0, "emit appends: %s", name);
	if (out.len > 5) {
		int r = bf_json_parse(&J, out.s + 5, out.len - 6,
		    BF_JSON_WANT_OBJECT, NULL);

		is_int(r, 0, "emit output is valid JSON: %s", name);
	}
	bf_buf_free(&out);
}

/* A line that is no JSON object: nothing appended. */
static void
emit_none(const char *line, const char *name)
{
	struct bf_buf out = BF_BUF_INIT;

	bf_buf_puts(&out, "prev|");
	bf_window_emit(line, strlen(line), &out, "bf-load", "ok", NULL, NULL,
	    "\"loaded\":1");
	is_str(bf_buf_str(&out), "prev|", "emit: nothing for %s", name);
	bf_buf_free(&out);
}

static void
test_emit(void)
{
	const char *w0 = "{\"type\":\"window\",\"partition\":\"db-1\"}";

	emit(w0, "bf-fetch", "ok", NULL, NULL, "\"fetched\":12,\"pages\":3",
	    "{\"type\":\"window\",\"partition\":\"db-1\",\"fetched\":12,"
	    "\"pages\":3,\"status\":\"ok\"}\n", "ok with counts");
	emit(w0, "bf-fetch", "ok", NULL, NULL, NULL,
	    "{\"type\":\"window\",\"partition\":\"db-1\",\"status\":\"ok\"}\n",
	    "ok without counts");
	emit(w0, "bf-fetch", NULL, NULL, NULL, "",
	    "{\"type\":\"window\",\"partition\":\"db-1\",\"status\":\"ok\"}\n",
	    "NULL status means ok, empty counts");
	emit("{\"type\":\"window\",\"status\":\"ok\",\"fetched\":5,"
	    "\"p\":\"x\"}", "bf-validate", "ok", NULL, NULL,
	    "\"accepted\":4,\"rejected\":1",
	    "{\"type\":\"window\",\"fetched\":5,\"p\":\"x\",\"accepted\":4,"
	    "\"rejected\":1,\"status\":\"ok\"}\n", "status replaced, not added");
	emit("{\"type\":\"window\",\"fetched\":5,\"status\":\"ok\"}", "bf-fetch",
	    "ok", NULL, NULL, "\"fetched\":7",
	    "{\"type\":\"window\",\"fetched\":7,\"status\":\"ok\"}\n",
	    "count replaces the same key");
	emit("{\"type\":\"window\",\"f\\u0065tched\":5}", "bf-fetch", "ok",
	    NULL, NULL, "\"fetched\":7",
	    "{\"type\":\"window\",\"fetched\":7,\"status\":\"ok\"}\n",
	    "count replaces an escaped spelling of its key");
	emit("{\"type\":\"window\",\"status\":\"ok\"}", "bf-fetch", "failed",
	    "unavailable", "source \"x\" down\n", "\"fetched\":0",
	    "{\"type\":\"window\",\"fetched\":0,\"status\":\"failed\","
	    "\"error\":{\"stage\":\"bf-fetch\",\"code\":\"unavailable\","
	    "\"message\":\"source \\\"x\\\" down\\n\"}}\n", "failing");
	emit("{\"type\":\"window\",\"status\":\"failed\",\"error\":{\"stage\":"
	    "\"bf-fetch\",\"code\":\"unavailable\",\"message\":\"m\"},"
	    "\"fetched\":0}", "bf-validate", "ok", NULL, NULL,
	    "\"accepted\":0",
	    "{\"type\":\"window\",\"status\":\"failed\",\"error\":{\"stage\":"
	    "\"bf-fetch\",\"code\":\"unavailable\",\"message\":\"m\"},"
	    "\"fetched\":0,\"accepted\":0}\n", "failed is sticky");
	emit("{\"type\":\"window\",\"status\":\"failed\",\"error\":{\"stage\":"
	    "\"bf-fetch\",\"code\":\"a\",\"message\":\"m\"}}", "bf-load",
	    "failed", "b", "other", NULL,
	    "{\"type\":\"window\",\"status\":\"failed\",\"error\":{\"stage\":"
	    "\"bf-fetch\",\"code\":\"a\",\"message\":\"m\"}}\n",
	    "first error kept");
	emit("{\"type\":\"window\",\"error\":{\"stage\":\"old\"},"
	    "\"status\":\"ok\"}", "bf-load", "ok", NULL, NULL, NULL,
	    "{\"type\":\"window\",\"status\":\"ok\"}\n",
	    "stale error dropped on ok");
	emit(w0, NULL, "failed", NULL, NULL, NULL,
	    "{\"type\":\"window\",\"partition\":\"db-1\",\"status\":\"failed\","
	    "\"error\":{\"stage\":\"\",\"code\":\"\",\"message\":\"\"}}\n",
	    "failing with NULL strings");
	emit_none("[1,2]", "an array");
	emit_none("{\"type\":\"window\"", "truncated JSON");
	emit_none("", "an empty line");
	parse("{\"type\":\"window\",\"status\":\"failed\"}");
	ok(bf_window_failed(&J), "bf_window_failed");
	parse("{\"type\":\"window\",\"status\":\"ok\"}");
	ok(!bf_window_failed(&J), "ok is not failed");
	parse("{\"type\":\"window\"}");
	ok(!bf_window_failed(&J), "no status is not failed");
}

/* The field table of the scanner tests: the common names, then some of a
 * stage's, and two that share their length and first 8 bytes. */
enum {
	T_METRIC = BF_F_NCOMMON, T_TS, T_VALUE, T_UNIT, T_INSTANCE_ID,
	T_STARD, T_N
};
static const char *const tnames[T_N] = {
	BF_F_COMMON_NAMES, "metric", "ts", "value", "unit", "instance_id",
	"window_stard",
};

/* bf_line_scan on line against one bf_json_get per name; returns how many
 * names were found. */
static int
scan_as_get(const struct bf_fields *fs, const char *line, int *type)
{
	int tok[T_N], i, same = 1, found = 0;

	if (bf_json_parse(&J, line, strlen(line), 0, NULL) != BF_JSON_OK) {
		ok(0, "scan: parses: %s", line);
		return -1;
	}
	*type = bf_line_scan(fs, &J, tok);
	for (i = 0; i < T_N; i++) {
		int want = J.tok[0].type == BF_JSON_OBJECT ?
		    bf_json_get(&J, 0, tnames[i]) : -1;

		if (tok[i] != want) {
			same = 0;
			printf("# %s: %s at %d, bf_json_get %d\n", line,
			    tnames[i], tok[i], want);
		}
		found += tok[i] >= 0;
	}
	ok(same, "scan finds what bf_json_get finds: %.60s", line);
	is_int(*type, bf_line_type(&J), "scan: line type of %.60s", line);
	return found;
}

static void
test_scan(void)
{
	struct bf_fields fs;
	struct bf_buf big = BF_BUF_INIT;
	const char *names[BF_FIELDS_MAX + 1];
	char many[BF_FIELDS_MAX][16];
	int tok[T_N], toks[BF_FIELDS_MAX], type, i;

	ok(bf_fields_init(&fs, tnames, T_N) == 0, "scan: table compiles");
	for (i = 0; i <= BF_FIELDS_MAX; i++)
		names[i] = "x";
	is_int(bf_fields_init(&fs, names, BF_FIELDS_MAX + 1), -1,
	    "scan: a table over BF_FIELDS_MAX is refused");
	/* BF_FIELDS_MAX names, half of them of one length and first 8 bytes
	 * ("instance_00", "instance_02", ...), each found */
	for (i = 0; i < BF_FIELDS_MAX; i++) {
		snprintf(many[i], sizeof(many[i]), i % 2 ? "%02d_field" :
		    "instance_%02d", i);
		names[i] = many[i];
	}
	ok(bf_fields_init(&fs, names, BF_FIELDS_MAX) == 0,
	    "scan: a table of BF_FIELDS_MAX names compiles");
	bf_buf_puts(&big, "{");
	for (i = BF_FIELDS_MAX - 1; i >= 0; i--)
		bf_buf_printf(&big, "\"%s\":%d%s", names[i], i, i ? "," : "}");
	parse(big.s);
	bf_line_scan(&fs, &J, toks);
	for (i = 0, type = 0; i < BF_FIELDS_MAX; i++) {
		long long v;

		type += toks[i] > 0 && bf_json_int(&J, toks[i], &v) == 0 &&
		    v == i;
	}
	is_int(type, BF_FIELDS_MAX, "scan: each of BF_FIELDS_MAX names found");
	bf_buf_reset(&big);
	bf_fields_init(&fs, tnames, T_N);

	is_int(scan_as_get(&fs, "{}", &type), 0, "scan: 0 keys, none found");
	is_int(type, BF_LINE_NOTYPE, "scan: {} has no type");
	is_int(scan_as_get(&fs, "{\"type\":\"sample\"}", &type), 1,
	    "scan: 1 key found");
	is_int(type, BF_LINE_SAMPLE, "scan: 1 key, a sample");
	is_int(scan_as_get(&fs, "{\"x\":\"sample\"}", &type), 0,
	    "scan: 1 unknown key");

	/* 20 keys: over the parser's linear limit, its table is sorted. */
	bf_buf_puts(&big, "{\"a1\":1,\"type\":\"window\",\"a2\":2,\"a3\":3,"
	    "\"partition\":\"p\",\"a4\":[4],\"window_start\":\"s\",\"a5\":5,"
	    "\"a6\":6,\"window_end\":\"e\",\"a7\":{\"ts\":1},\"metric\":\"m\","
	    "\"a8\":8,\"a9\":9,\"ts\":\"t\",\"b1\":1,\"value\":1.5,"
	    "\"b2\":2,\"unit\":\"u\",\"instance_id\":\"i\"}");
	is_int(scan_as_get(&fs, big.s, &type), 9, "scan: 20 keys, 9 found");
	is_int(type, BF_LINE_WINDOW, "scan: 20 keys, a window");
	is_int(J.tok[0].size, 20, "scan: the line has 20 keys");
	bf_line_scan(&fs, &J, tok);
	ok(tok[T_TS] > 0 && bf_json_streq(&J, tok[T_TS], "t"),
	    "scan: 20 keys: the root ts, not the nested one");

	/* escaped keys match after unescaping; near misses do not */
	is_int(scan_as_get(&fs, "{\"\\u0074ype\":\"window\","
	    "\"window_st\\u0061rt\":\"s\",\"partitio\\u006e\":1,"
	    "\"m\\u0065tric\":2,\"window_st\\u0061rx\":3,"
	    "\"\\u0076alue\\u0000\":4,\"t\\\"s\":5}", &type), 4,
	    "scan: escaped keys found, near misses not");
	is_int(type, BF_LINE_WINDOW, "scan: \\u0074ype is type");
	bf_line_scan(&fs, &J, tok);
	ok(tok[BF_F_WINDOW_START] > 0 && tok[T_VALUE] == -1 &&
	    tok[T_TS] == -1 && tok[T_STARD] == -1,
	    "scan: escaped window_start found, value\\0 and t\"s not");

	/* a key with a field's first 8 bytes, longer or of the same length */
	is_int(scan_as_get(&fs, "{\"window_start_x\":1,\"window_s\":2,"
	    "\"window_stard\":3,\"window_st\":4,\"instance_idx\":5}", &type),
	    1, "scan: window_start_x, window_s are no fields");
	bf_line_scan(&fs, &J, tok);
	ok(tok[T_STARD] == 6 && tok[BF_F_WINDOW_START] == -1,
	    "scan: window_stard is not window_start (same length, 8 bytes)");
	is_int(scan_as_get(&fs, "{\"window_start\":\"a\",\"window_stard\":"
	    "\"b\"}", &type), 2, "scan: both names of one 8-byte prefix");

	/* nested objects and arrays are skipped */
	is_int(scan_as_get(&fs, "{\"a\":{\"ts\":1,\"value\":{\"unit\":[1,"
	    "{\"metric\":2}]}},\"b\":[{\"type\":1},[[\"unit\"]]],"
	    "\"unit\":\"s\",\"c\":{},\"d\":[],\"value\":{\"ts\":9},"
	    "\"ts\":[{}]}", &type), 3, "scan: nested members skipped");
	bf_line_scan(&fs, &J, tok);
	ok(tok[T_TS] > 0 && J.tok[tok[T_TS]].type == BF_JSON_ARRAY &&
	    J.tok[tok[T_VALUE]].type == BF_JSON_OBJECT && tok[T_METRIC] == -1 &&
	    tok[BF_F_TYPE] == -1, "scan: the root's members, not nested ones");

	/* a root that is not an object */
	bf_json_parse(&J, "[{\"type\":\"sample\"}]", 19, 0, NULL);
	tok[0] = 7;
	is_int(bf_line_scan(&fs, &J, tok), BF_LINE_NOTYPE,
	    "scan: an array root has no type");
	ok(tok[BF_F_TYPE] == -1 && tok[T_METRIC] == -1,
	    "scan: an array root: nothing found");
	bf_json_parse(&J, "\"type\"", 6, 0, NULL);
	is_int(bf_line_scan(&fs, &J, tok), BF_LINE_NOTYPE,
	    "scan: a string root has no type");
	bf_json_parse(&J, "{", 1, 0, NULL);
	is_int(bf_line_scan(&fs, &J, tok), BF_LINE_NOTYPE,
	    "scan: a failed parse has no type");
	bf_buf_free(&big);
}

/* The cache on the window fields of line, scanned with fs. */
static int
cache_same(const struct bf_fields *fs, struct bf_wcache *c,
    const char *line, int set)
{
	int tok[BF_F_NCOMMON], r;

	parse(line);
	bf_line_scan(fs, &J, tok);
	r = bf_wcache_get(c, &J, tok + BF_F_PARTITION) == c;
	if (set)
		bf_wcache_set(c, &J, tok + BF_F_PARTITION, c);
	return r;
}

static void
test_wcache(void)
{
	static const char *const common[] = { BF_F_COMMON_NAMES };
	struct bf_fields fs;
	struct bf_wcache c = BF_WCACHE_INIT;
	const char *l0 = "{\"type\":\"sample\",\"partition\":\"p\","
	    "\"window_start\":\"2026-01-01T00:00:00Z\","
	    "\"window_end\":\"2026-01-02T00:00:00Z\",\"value\":1}";

	bf_fields_init(&fs, common, BF_F_NCOMMON);
	ok(!cache_same(&fs, &c, l0, 1), "cache: empty, a miss");
	ok(cache_same(&fs, &c, l0, 0), "cache: the same line, a hit");
	ok(cache_same(&fs, &c, "{\"value\":2,\"window_end\":"
	    "\"2026-01-02T00:00:00Z\",\"partition\":\"p\",\"window_start\":"
	    "\"2026-01-01T00:00:00Z\"}", 0), "cache: other order, a hit");
	ok(!cache_same(&fs, &c, "{\"partition\":\"q\",\"window_start\":"
	    "\"2026-01-01T00:00:00Z\",\"window_end\":\"2026-01-02T00:00:00Z\"}",
	    0), "cache: other partition, a miss");
	ok(!cache_same(&fs, &c, "{\"partition\":\"p\",\"window_start\":"
	    "\"2026-01-01T00:00:01Z\",\"window_end\":\"2026-01-02T00:00:00Z\"}",
	    0), "cache: other window_start, a miss");
	ok(!cache_same(&fs, &c, "{\"partition\":\"p\",\"window_start\":"
	    "\"2026-01-01T00:00:00Z\",\"window_end\":\"2026-01-02T00:00:01Z\"}",
	    0), "cache: other window_end, a miss");
	ok(!cache_same(&fs, &c, "{\"partition\":\"p\",\"window_start\":"
	    "\"2026-01-01T00:00:00Z\"}", 0), "cache: no window_end, a miss");
	ok(!cache_same(&fs, &c, "{\"partition\":\"\\u0070\",\"window_start\":"
	    "\"2026-01-01T00:00:00Z\",\"window_end\":\"2026-01-02T00:00:00Z\"}",
	    0), "cache: raw bytes differ (escaped), a miss");
	ok(cache_same(&fs, &c, l0, 0), "cache: still the first window");
	/* the values are kept apart: ("a","bc","d") is not ("ab","c","d") */
	cache_same(&fs, &c, "{\"partition\":\"a\",\"window_start\":\"bc\","
	    "\"window_end\":\"d\"}", 1);
	ok(!cache_same(&fs, &c, "{\"partition\":\"a\",\"window_start\":\"b\","
	    "\"window_end\":\"cd\"}", 0), "cache: values kept apart");
	ok(cache_same(&fs, &c, "{\"partition\":\"a\",\"window_start\":\"bc\","
	    "\"window_end\":\"d\"}", 0), "cache: set again, a hit");
	bf_wcache_clear(&c);
	ok(!cache_same(&fs, &c, "{\"partition\":\"a\",\"window_start\":\"bc\","
	    "\"window_end\":\"d\"}", 0), "cache: cleared, a miss");
	bf_wcache_free(&c);
}

int
main(void)
{
	test_types();
	test_window();
	test_window_bad();
	test_emit();
	test_scan();
	test_wcache();
	bf_json_free(&J);
	return done_testing();
}
