/* Unit tests for src/lib/stream.c. */
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

	parse(line);
	bf_buf_puts(&out, "prev|");
	bf_window_emit(&J, &out, stage, status, code, msg, counts);
	is_str(out.s + 5, want, "emit: %s", name);
	ok(strncmp(out.s, "prev|", 5) == 0, "emit appends: %s", name);
	if (out.len > 5) {
		int r = bf_json_parse(&J, out.s + 5, out.len - 6,
		    BF_JSON_WANT_OBJECT, NULL);

		is_int(r, 0, "emit output is valid JSON: %s", name);
	}
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
	parse("{\"type\":\"window\",\"status\":\"failed\"}");
	ok(bf_window_failed(&J), "bf_window_failed");
	parse("{\"type\":\"window\",\"status\":\"ok\"}");
	ok(!bf_window_failed(&J), "ok is not failed");
	parse("{\"type\":\"window\"}");
	ok(!bf_window_failed(&J), "no status is not failed");
}

int
main(void)
{
	test_types();
	test_window();
	test_window_bad();
	test_emit();
	bf_json_free(&J);
	return done_testing();
}
